import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes, measurements } from '@parcours/contracts';
import { CustomerBaseClient, generateCustomerBase, pushCustomerBase, writeCustomerBase } from '@parcours/firmware-sim';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';

const day = 86_400_000;
const startsAt = Date.UTC(2026, 2, 2);
const database = 'panels';
let app: ParcoursApp;
let influx: InfluxServer;
let base: ReturnType<typeof generateCustomerBase>;
let checks: Awaited<ReturnType<typeof pushCustomerBase>>;

const strata = ['region', 'household_size', 'age_band'];
const drawAt = new Date(startsAt + day).toISOString();
const draw = { id: 'base-panel', name: 'Base panel', at: drawAt, size: 1_000, seed: 7, rotationGroups: 4, design: { method: 'stratified', strata } };

interface Plan {
  universeSize: number;
  size: number;
  cells: { stratum: string; universe: number; quota: number; proportionalQuota: number }[];
  expectedMargins: { differencePoints: number }[];
}

interface Member {
  individualId: string;
  validFrom: string;
  validTo: string | null;
  draw: { inclusionProbability: number; stratum: string };
}

/** Every membership of a collective, page after page. */
async function membershipsOf(collectiveId: string): Promise<Member[]> {
  const all: Member[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await api<{ items: Member[] }>(app.urls.http, 'GET', `/api/v1/memberships?collectiveId=${collectiveId}&limit=1000&offset=${offset}`);
    all.push(...page.body.items);
    if (page.body.items.length < 1000) return all;
  }
}

beforeAll(async () => {
  influx = await startInfluxDB();
  app = await startApp(testConfig({ influx: { url: influx.url, database } }));
  // A customer base of 20,000 from the simulator, pushed as an integrator would: sources, people, keys, traits.
  base = generateCustomerBase({ size: 20_000, seed: 3, startsAt });
  const dir = mkdtempSync(join(tmpdir(), 'parcours-universe-'));
  await writeCustomerBase(base, dir);
  checks = await pushCustomerBase(dir, new CustomerBaseClient({ apiUrl: app.urls.http, apiKey: adminKey(), logger: pino({ level: 'silent' }) }));
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await influx?.stop();
});

describe('a customer base becomes a sampling frame', () => {
  it('imported every source with exactly the planted overlaps and conflicts', () => {
    expect(checks.map((c) => c.source)).toEqual(['crm', 'loyalty', 'web']);
    for (const check of checks) expect(check.differing, `${check.source}: ${JSON.stringify(check)}`).toEqual([]);
  });

  it('shows the allocation before drawing, and the same plan again for the same seed', async () => {
    const dry = await api<{ plan: Plan }>(app.urls.http, 'POST', '/api/v1/panels', { ...draw, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.plan.size).toBe(1_000);
    expect(dry.body.plan.universeSize).toBe(20_000);
    for (const cell of dry.body.plan.cells) expect(Math.abs(cell.quota - cell.proportionalQuota)).toBeLessThan(1);
    expect((await api(app.urls.http, 'GET', '/api/v1/panels/base-panel')).status).toBe(404);
    const again = await api<{ plan: Plan }>(app.urls.http, 'POST', '/api/v1/panels', { ...draw, dryRun: true });
    expect(again.body.plan).toEqual(dry.body.plan);
  });

  it('draws the panel as memberships carrying how each member was drawn', async () => {
    const drawn = await api<{ panel: { id: string; members: number } }>(app.urls.http, 'POST', '/api/v1/panels', draw);
    expect(drawn.status).toBe(201);
    expect(drawn.body.panel.members).toBe(1_000);
    const memberships = await membershipsOf('base-panel');
    expect(memberships).toHaveLength(1_000);
    for (const m of memberships) {
      expect(m.validFrom).toBe(drawAt);
      expect(m.draw.inclusionProbability).toBeGreaterThan(0);
      expect(m.draw.stratum.split('|').map((part) => part.split('=')[0])).toEqual(strata);
    }
    const taken = await api<{ code: string }>(app.urls.http, 'POST', '/api/v1/panels', draw);
    expect(taken.body.code).toBe(errorCodes.conflict);
  });

  it('judges the panel against its universe, and writes its health to InfluxDB', async () => {
    const report = await api<{ size: number; rIndicator: number; maxDifferencePoints: number; cells: { members: number; quota: number }[] }>(
      app.urls.http,
      'GET',
      `/api/v1/panels/base-panel/representativeness?at=${encodeURIComponent(drawAt)}`,
    );
    expect(report.body.size).toBe(1_000);
    expect(report.body.rIndicator).toBeGreaterThan(0.95);
    expect(report.body.maxDifferencePoints).toBeLessThan(0.5);
    for (const cell of report.body.cells) expect(Math.abs(cell.members - cell.quota)).toBeLessThanOrEqual(1);
    await waitUntil(
      async () => ((await influx.scalar(`SELECT last("size") FROM ${measurements.panelHealth} WHERE "panel" = 'base-panel'`, database)) ?? 0) === 1_000,
    );
  });

  it('lets opted-out members go at once, and refills their cells without them', async () => {
    const memberIds = new Set((await membershipsOf('base-panel')).map((m) => m.individualId));
    const optOutAt = new Date(startsAt + 10 * day).toISOString();
    // The simulator's planted attrition: concentrated in one cell (the 18–24s of Île-de-France).
    const leaving = base.optOuts.map((o) => `cust-${String(o.customer + 1).padStart(6, '0')}`).filter((id) => memberIds.has(id));
    expect(leaving.length).toBeGreaterThan(10);
    for (const id of leaving)
      expect((await api(app.urls.http, 'PUT', `/api/v1/subjects/${id}/consents/panel`, { granted: false, at: optOutAt })).status).toBe(200);
    const refreshAt = new Date(startsAt + 20 * day).toISOString();
    const refreshed = await api<{ left: Record<string, number>; joined: number; size: number; shortfall: unknown[] }>(
      app.urls.http,
      'POST',
      '/api/v1/panels/base-panel/refresh',
      { at: refreshAt, seed: 2 },
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.left.opted_out).toBe(leaving.length);
    expect(refreshed.body.size).toBe(1_000);
    expect(refreshed.body.shortfall).toEqual([]);
    const current = (await membershipsOf('base-panel')).filter((m) => m.validTo === null);
    expect(current).toHaveLength(1_000);
    for (const id of leaving) expect(current.some((m) => m.individualId === id)).toBe(false);
    // A second refresh the same day changes nothing: nobody left since.
    const idle = await api<{ left: Record<string, number>; joined: number }>(app.urls.http, 'POST', '/api/v1/panels/base-panel/refresh', {
      at: refreshAt,
      seed: 2,
    });
    expect(idle.body).toMatchObject({ left: {}, joined: 0 });
  });

  it('recruits a thematic community among the panel’s members from their web interests', async () => {
    const rules = {
      id: 'photo',
      name: 'Photo enthusiasts',
      panelId: 'base-panel',
      at: new Date(startsAt + 21 * day).toISOString(),
      attributes: [{ name: 'interest_photo', in: ['true'] }],
      size: 60,
      minSize: 5,
      seed: 4,
    };
    const dry = await api<{ eligible: number; recruited: number }>(app.urls.http, 'POST', '/api/v1/communities', { ...rules, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.eligible).toBeGreaterThan(5);
    const recruited = await api<{ recruited: number }>(app.urls.http, 'POST', '/api/v1/communities', rules);
    expect(recruited.status).toBe(201);
    expect(recruited.body.recruited).toBe(Math.min(60, dry.body.eligible));
    const community = await api<{ items: { individualId: string }[] }>(app.urls.http, 'GET', '/api/v1/memberships?collectiveId=photo&limit=100');
    const profile = await api<{ attributes: Record<string, { value: unknown }> }>(
      app.urls.http,
      'GET',
      `/api/v1/subjects/${community.body.items[0]!.individualId}/attributes?at=${encodeURIComponent(rules.at)}`,
    );
    expect(String(profile.body.attributes.interest_photo?.value)).toBe('true');
    const tooLarge = await api<{ code: string; errors: { path: string }[] }>(app.urls.http, 'POST', '/api/v1/communities', {
      ...rules,
      id: 'photo-2',
      size: 301,
    });
    expect(tooLarge).toMatchObject({ status: 400, body: { code: errorCodes.validation, errors: [{ path: 'body.size' }] } });
    const tooMany = await api<{ code: string }>(app.urls.http, 'POST', '/api/v1/communities', {
      ...rules,
      id: 'photo-2',
      size: 3_000,
      minSize: 3_000,
      maxSize: 3_000,
    });
    expect(tooMany).toMatchObject({ status: 422, body: { code: errorCodes.communityTooSmall } });
  });

  it('refuses a quota the universe cannot fill, naming the cell', async () => {
    const refused = await api<{ code: string; detail: string }>(app.urls.http, 'POST', '/api/v1/panels', {
      ...draw,
      id: 'too-big',
      design: { method: 'stratified', strata: ['region'], allocation: { given: { 'region=11': 100_000 } } },
    });
    expect(refused).toMatchObject({ status: 422, body: { code: errorCodes.quotaShortfall } });
    expect(refused.body.detail).toContain('region=11');
  });
});
