import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadScenario, type Simulator } from '@parcours/firmware-sim';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';
import { startFleet } from './simulated-run.js';

/**
 * The web page in Debian's chromium, on what a running Parcours derived from a simulated morning of the
 * `small` world (its faults included), its devices still connected: each view shows the API's figures,
 * with no error in the browser's console (a refused inline style or script is one). With
 * PARCOURS_SCREENSHOTS_DIR set (docs/images), each view is saved there as shown in docs/web-page.md.
 */
const day = '2026-03-02'; // a Monday
const from = Date.UTC(2026, 2, 2, 5);
const to = Date.UTC(2026, 2, 2, 12);
const screenshots = process.env.PARCOURS_SCREENSHOTS_DIR;

let app: ParcoursApp;
let simulator: Simulator;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

interface Served {
  status: 'open' | 'closed';
}
const get = async <T>(path: string): Promise<T> => {
  const response = await api<T>(app.urls.http, 'GET', `/api/v1${path}`);
  expect(response.status, path).toBe(200);
  return response.body;
};
const figure = (name: string) => page.locator(`[data-figure="${name}"]`).first();
const figureNumber = async (name: string) => Number((await figure(name).textContent())?.replaceAll(',', ''));
/** What a chart holds, read from ECharts itself (its build defines `window.echarts`). */
const chartOption = <T>(selector: string, path: string) =>
  page.evaluate<T>(`echarts.getInstanceByDom(document.querySelector('${selector}')).getOption()${path}`);
const open = (items: Served[]) => items.filter((r) => r.status === 'open').length;

async function shoot(name: string): Promise<void> {
  if (!screenshots) return;
  mkdirSync(screenshots, { recursive: true });
  // ECharts animates its first drawing: the shot waits until the page has nothing left to do.
  await page.waitForFunction('new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(true), 1200)))');
  await page.screenshot({ path: join(screenshots, `web-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  // Unknown devices reach the gateway (and its quarantine) only when the broker lets anonymous clients in.
  app = await startApp(testConfig({ mqtt: { allowAnonymous: true } }));
  simulator = await startFleet(app, { world: await loadScenario('small'), from, to, seed: 7 });
  await simulator.done;
  await app.drained();
  if (!existsSync('/usr/bin/chromium')) throw new Error("no browser at /usr/bin/chromium: install Debian's chromium (scripts/install-test-services.sh)");
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  // The page shows local days; the browser's zone is fixed so that they are the UTC days asked of the API below.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-GB' });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await simulator?.stop();
  await app?.stop();
});

describe('the web page on a simulated fleet', () => {
  it('asks for the key once, from /, and keeps it for the tab', async () => {
    await page.goto(`${app.urls.http}/`);
    expect(new URL(page.url()).pathname).toBe('/ui/');
    await page.fill('#key-input', 'not-a-key');
    await page.click('#key-form button');
    await expect.poll(() => page.textContent('#message')).toContain('did not accept this key');
    expect(await page.isVisible('#key-form')).toBe(true);
    await page.fill('#key-input', adminKey());
    await page.click('#key-form button');
    await figure('online').waitFor();
    await page.reload();
    await figure('online').waitFor();
    expect(await page.isVisible('#key-form')).toBe(false);
    // The refused key answered 401 once: the browser logs that as an error of its own, not the page's.
    expect(consoleErrors.splice(0)).toEqual([expect.stringContaining('status of 401')]);
  });

  it('shows the fleet live as the API gives it: devices online, messages of the last hour, the quarantine by reason', async () => {
    await page.goto(`${app.urls.http}/ui/#fleet`);
    await expect.poll(() => figure('online').textContent()).not.toBe('');
    const fleet = await get<{
      devices: { registered: number; online: number };
      perMinute: { accepted: number; quarantined: number }[];
      quarantine: { held: number; byReason: { reason: string; count: number }[] };
    }>('/fleet');
    expect(fleet.devices.online).toBeGreaterThan(0);
    expect(fleet.quarantine.byReason.length).toBeGreaterThan(1);
    expect(await figureNumber('online')).toBe(fleet.devices.online);
    expect(await figureNumber('registered')).toBe(fleet.devices.registered);
    expect(await figureNumber('accepted')).toBe(fleet.perMinute.reduce((sum, m) => sum + m.accepted, 0));
    expect(await figureNumber('quarantined')).toBe(fleet.perMinute.reduce((sum, m) => sum + m.quarantined, 0));
    expect(await figureNumber('held')).toBe(fleet.quarantine.held);
    expect(await chartOption('#fleet-minutes', '.series.map((s) => s.data)')).toEqual([
      fleet.perMinute.map((m) => m.accepted),
      fleet.perMinute.map((m) => m.quarantined),
    ]);
    expect(await chartOption('#fleet-reasons', '.series[0].data')).toEqual(fleet.quarantine.byReason.map((r) => r.count).reverse());
    // A tooltip, drawn where the pointer is: the last minutes, where the fleet's messages are.
    const minutes = (await page.locator('#fleet-minutes').boundingBox())!;
    await page.mouse.move(minutes.x + minutes.width - 30, minutes.y + minutes.height / 2);
    await shoot('fleet');
  });

  it("shows a subject's day: its sessions per device and its journeys, the open ones marked", async () => {
    // A busy collective that day: a session still open, two journeys or more, the most sessions.
    const range = `from=${day}T00:00:00.000Z&to=2026-03-03T00:00:00.000Z&status=all&limit=10000`;
    const subjects = (await get<{ items: { id: string; kind: string }[] }>('/subjects?kind=collective&limit=1000')).items;
    const days = await Promise.all(
      subjects.map(async ({ id }) => ({
        id,
        sessions: (await get<{ items: Served[] }>(`/subjects/${id}/sessions?${range}`)).items,
        journeys: (await get<{ items: Served[] }>(`/subjects/${id}/journeys?${range}`)).items,
      })),
    );
    const shown = days.sort(
      (a, b) =>
        Math.sign(open(b.sessions)) - Math.sign(open(a.sessions)) ||
        Math.min(b.journeys.length, 2) - Math.min(a.journeys.length, 2) ||
        b.sessions.length - a.sessions.length,
    )[0]!;
    expect(open(shown.sessions)).toBeGreaterThan(0);
    expect(shown.journeys.length).toBeGreaterThan(1);
    await page.goto(`${app.urls.http}/ui/#day?subject=${shown.id}&date=${day}`);
    await figure('sessions').waitFor();
    expect(await figureNumber('sessions')).toBe(shown.sessions.length);
    expect(await figureNumber('open-sessions')).toBe(open(shown.sessions));
    expect(await figureNumber('journeys')).toBe(shown.journeys.length);
    expect(await figureNumber('open-journeys')).toBe(open(shown.journeys));
    expect(await page.locator('#day-journeys tbody tr').count()).toBe(shown.journeys.length);
    expect(await page.locator('#day-journeys td.open').count()).toBe(open(shown.journeys));
    expect(await chartOption<number>('#day-timeline', '.series[0].data.length')).toBe(shown.sessions.length + shown.journeys.length);
    expect(await chartOption<number>('#day-timeline', ".series[0].data.filter((d) => d.status === 'open').length")).toBe(
      open(shown.sessions) + open(shown.journeys),
    );
    await shoot('day');
  });

  it('shows the paths: a Sankey of the transitions from one device type to the next', async () => {
    const transitions = (
      await get<{ items: { fromType: string; toType: string; count: number }[] }>(`/transitions?from=${day}T00:00:00.000Z&to=2026-03-03T00:00:00.000Z`)
    ).items;
    expect(transitions.length).toBeGreaterThan(1);
    await page.goto(`${app.urls.http}/ui/#paths?from=${day}&to=${day}`);
    await figure('transitions').waitFor();
    expect(await figureNumber('transitions')).toBe(transitions.reduce((sum, t) => sum + t.count, 0));
    expect(await figureNumber('kinds')).toBe(transitions.length);
    expect(await chartOption('#paths-sankey', '.series[0].links.map((l) => [l.source, l.target, l.value])')).toEqual(
      transitions.map((t) => [`${t.fromType} ›`, `› ${t.toType}`, t.count]),
    );
    await shoot('paths');
  });

  it('logged no error in the browser', () => {
    expect(consoleErrors).toEqual([]);
  });
});
