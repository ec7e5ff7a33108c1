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
  restarted: 'washing_machine',
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
  // Its stop comes after a restart (below).
  await fleet.event('restarted', now - 4 * hour, 'usage.start');
  await app.drained();
});

afterAll(async () => {
  await fleet?.close();
  await app?.stop();
});

type Shape = Pick<UsageSession, 'closedBy' | 'events'> & { start: string; end: string };
const shape = (s: UsageSession): Shape => ({ start: iso(s.start), end: iso(s.end), closedBy: s.closedBy, events: s.events });
const session = (start: number, minutes: number, closedBy: UsageSession['closedBy'], events: number): Shape => ({
  start: iso(start),
  end: iso(start + minutes * minute),
  closedBy,
  events,
});
/** Each device's sessions, streaming and batch alike. */
const expected: Record<keyof typeof devices, Shape[]> = {
  clock: [],
  inOrder: [session(now - 10 * hour, 90, 'stop', 2)],
  silent: [session(now - 31 * hour, 0, 'idle_timeout', 1)],
  behind: [session(now - 5 * hour, 90, 'stop', 2)],
  minDuration: [session(now - 3 * hour + 5 * minute, 35, 'threshold', 0)],
  washer: [session(now - 3 * hour + 5 * minute, 35, 'threshold', 0)],
  strayStop: [],
  tooLate: [session(now - 20 * hour, 0, 'idle_timeout', 1)],
  restarted: [session(now - 4 * hour, 90, 'stop', 2)],
};
const shapesOf = async (deviceId: keyof typeof devices) => (await sessionsOf(deviceId)).map(shape);

describe('what closes a usage session, in streaming', () => {
  it('keeps the threshold sessions of a device whose telemetry comes behind the watermark, minimum duration and all', async () => {
    expect(await shapesOf('minDuration')).toEqual(expected.minDuration);
    expect(await shapesOf('washer')).toEqual(expected.washer);
  });

  it('ends a session that went silent at its last message, by the idle timeout, even once past its maximum length', async () => {
    expect(await shapesOf('silent')).toEqual(expected.silent);
  });

  it('ends a session at its stop, however long after the start, within the maximum length', async () => {
    expect(await shapesOf('inOrder')).toEqual(expected.inOrder);
    expect(await shapesOf('behind')).toEqual(expected.behind);
  });

  it('counts the stops that close no session: none open, or past the maximum length', async () => {
    expect(await shapesOf('strayStop')).toEqual(expected.strayStop);
    expect(await shapesOf('tooLate')).toEqual(expected.tooLate);
    expect(await scrapeMetrics(app.urls.http)).toMatch(/^parcours_analytics_unmatched_stops_total 2$/m);
  });
});

describe('after a restart', () => {
  it('still lets a stop close the session the idle timeout closed before', async () => {
    expect(await shapesOf('restarted')).toEqual([session(now - 4 * hour, 0, 'idle_timeout', 1)]);
    await fleet.close();
    await app.stop();
    app = await startApp({ ...app.config, http: { ...app.config.http, port: 0 }, mqtt: { ...app.config.mqtt, port: 0 } });
    await fleet.reconnect(app);
    await fleet.event('restarted', now - 4 * hour + 90 * minute, 'usage.stop');
    await app.drained();
    expect(await shapesOf('restarted')).toEqual(expected.restarted);
  });
});

describe('what closes a usage session, in a batch re-derivation', () => {
  it('gives the same sessions, ids and fields', async () => {
    const ids = Object.keys(devices) as (keyof typeof devices)[];
    const all = async () => Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await sessionsOf(id)])));
    const streamed = await all();
    await app.analytics.rederive(new Set(ids), now - 48 * hour, now);
    const batched = await all();
    expect(Object.fromEntries(ids.map((id) => [id, batched[id].map(shape)]))).toEqual(expected);
    expect(batched).toEqual(streamed);
  });
});
