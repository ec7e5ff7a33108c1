import { builtInSessionRules, type UsageSession } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { TestFleet } from './test-fleet.js';

/**
 * What closes a session, over real MQTT: its explicit stop, the idle timeout when the stop never comes,
 * the maximum length — whether the device's data comes in order or behind the fleet's watermark (another
 * device's clock already ahead). Streaming first, then a batch re-derivation of the same range, which must
 * leave every session as it was.
 */
const minute = 60_000;
const hour = 60 * minute;
const now = Date.UTC(2026, 3, 6, 12);
const iso = (ms: number) => new Date(ms).toISOString();
const sessionRules = {
  ...builtInSessionRules,
  wm_min: { threshold: { metric: 'power_w', threshold: 50, minDuration: '5m' } },
};
const devices = {
  clock: 'meter',
  inOrder: 'washing_machine',
  silent: 'kettle',
  behind: 'washing_machine',
  minDuration: 'wm_min',
  washer: 'washing_machine',
  strayStop: 'washing_machine',
  tooLate: 'washing_machine',
} as const;

let app: ParcoursApp;
let fleet: TestFleet;

async function sessionsOf(deviceId: string): Promise<UsageSession[]> {
  const query = `from=${encodeURIComponent(iso(now - 48 * hour))}&to=${encodeURIComponent(iso(now))}`;
  const response = await api<{ items: UsageSession[] }>(app.urls.http, 'GET', `/api/v1/devices/${deviceId}/sessions?${query}`);
  expect(response.status).toBe(200);
  return response.body.items;
}

/** 50 one-minute power samples from `from`: 600 W for samples 5 to 39, 1 W otherwise. */
async function washCycle(deviceId: string, from: number): Promise<void> {
  for (let i = 0; i < 50; i++) await fleet.publish(deviceId, 'telemetry', from + i * minute, { metrics: { power_w: i >= 5 && i < 40 ? 600 : 1 } });
}

beforeAll(async () => {
  app = await startApp(testConfig({ analytics: { sessionRules, actorInference: false } }));
  fleet = new TestFleet(app);
  await api(app.urls.http, 'POST', '/api/v1/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  for (const [id, type] of Object.entries(devices)) await fleet.connect(id, type, 'home', now - 48 * hour);

  // In order, no device ahead: the stop comes 90 minutes after the start, nothing in between.
  await fleet.event('inOrder', now - 10 * hour, 'usage.start');
  await fleet.event('inOrder', now - 10 * hour + 90 * minute, 'usage.stop');
  // Another device's clock moves the fleet's watermark to now; every device below is behind it.
  await fleet.publish('clock', 'telemetry', now - 30_000, { metrics: { power_w: 80 } });
  await fleet.event('silent', now - 31 * hour, 'usage.start');
  await fleet.event('behind', now - 5 * hour, 'usage.start');
  await fleet.event('behind', now - 5 * hour + 90 * minute, 'usage.stop');
  await washCycle('minDuration', now - 3 * hour);
  await washCycle('washer', now - 3 * hour);
  await fleet.event('strayStop', now - 2 * hour, 'usage.stop');
  // The washing machine's maximum length is 6 h: this stop comes after it.
  await fleet.event('tooLate', now - 20 * hour, 'usage.start');
  await fleet.event('tooLate', now - 13 * hour, 'usage.stop');
  await app.drained();
});

afterAll(async () => {
  await fleet?.close();
  await app?.stop();
});

const shape = (s: UsageSession) => ({ start: iso(s.start), end: iso(s.end), closedBy: s.closedBy, events: s.events });

describe('what closes a usage session', () => {
  it('keeps the threshold sessions of a device whose telemetry comes behind the watermark, minimum duration and all', async () => {
    const cycle = { start: iso(now - 3 * hour + 5 * minute), end: iso(now - 3 * hour + 40 * minute), closedBy: 'threshold', events: 0 };
    expect((await sessionsOf('minDuration')).map(shape)).toEqual([cycle]);
    expect((await sessionsOf('washer')).map(shape)).toEqual([cycle]);
  });

  it('ends a session that went silent at its last message, by the idle timeout, even once past its maximum length', async () => {
    const start = iso(now - 31 * hour);
    expect((await sessionsOf('silent')).map(shape)).toEqual([{ start, end: start, closedBy: 'idle_timeout', events: 1 }]);
  });

  it('ends a session at its stop, however long after the start, within the maximum length', async () => {
    const session = (start: number) => ({ start: iso(start), end: iso(start + 90 * minute), closedBy: 'stop', events: 2 });
    expect((await sessionsOf('inOrder')).map(shape)).toEqual([session(now - 10 * hour)]);
    expect((await sessionsOf('behind')).map(shape)).toEqual([session(now - 5 * hour)]);
  });

  it('counts the stops that close no session: none open, or past the maximum length', async () => {
    expect(await sessionsOf('strayStop')).toEqual([]);
    const start = iso(now - 20 * hour);
    expect((await sessionsOf('tooLate')).map(shape)).toEqual([{ start, end: start, closedBy: 'idle_timeout', events: 1 }]);
    expect(await scrapeMetrics(app.urls.http)).toMatch(/^parcours_analytics_unmatched_stops_total 2$/m);
  });

  it('gives the same sessions in a batch re-derivation', async () => {
    const all = async () => Object.fromEntries(await Promise.all(Object.keys(devices).map(async (id) => [id, await sessionsOf(id)])));
    const streamed = await all();
    await app.analytics.rederive(new Set(Object.keys(devices)), now - 48 * hour, now);
    expect(await all()).toEqual(streamed);
  });
});
