import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { api, startApp, testConfig } from './helpers.js';
import { TestFleet } from './test-fleet.js';

/**
 * The aggregates (transitions, activity, shared-device usage) on a real Parcours writing to a real InfluxDB: a household's devices (and
 * one of its members' toothbrush) publish two days of use over MQTT; the API computes transitions,
 * activity and shared-device usage from the store, the aggregate job writes the same figures to InfluxDB,
 * a later session updates them, and a batch re-derivation replaces them without adding any.
 */
const minute = 60_000;
const hour = 60 * minute;
const day1 = Date.UTC(2026, 2, 2); // a Monday
const day2 = day1 + 24 * hour;
const iso = (ms: number) => new Date(ms).toISOString();
const database = 'parcours_aggregates';

let influx: InfluxServer;
let app: ParcoursApp;
let fleet: TestFleet;

/** Rows of an InfluxQL query as objects keyed by column (time in ms). */
async function influxRows(q: string): Promise<Record<string, unknown>[]> {
  const body = (await influx.query(q, database)) as { results: { series?: { columns: string[]; values: unknown[][] }[] }[] };
  const series = body.results[0]?.series?.[0];
  return (series?.values ?? []).map((values) => Object.fromEntries(series!.columns.map((column, i) => [column, values[i]])));
}

const get = async <T>(path: string) => {
  const response = await api<{ items: T[] }>(app.urls.http, 'GET', path);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.items;
};

interface ApiTransition {
  subjectType: string | null;
  fromType: string;
  toType: string;
  count: number;
  medianGapS: number;
}
interface ApiActivity {
  period: string;
  start: string;
  subjectType: string | null;
  deviceType: string;
  activeSubjects: number;
  activeDevices: number;
  sessions: number;
}
interface ApiShare {
  actor: string;
  sessions: number;
  durationS: number;
  share: number;
}
interface ApiSharedUsage {
  deviceId: string;
  deviceType: string;
  subjectId: string;
  sessions: number;
  durationS: number;
  reported: ApiShare[];
  inferred: ApiShare[];
  unattributed: Omit<ApiShare, 'actor'>;
}

const transitionsOf = (from: number, to: number) => get<ApiTransition>(`/api/v1/transitions?from=${iso(from)}&to=${iso(to)}`);
const activityOf = (period: 'day' | 'week') => get<ApiActivity>(`/api/v1/activity?period=${period}&from=${iso(day1)}&to=${iso(day1 + 7 * 24 * hour)}`);
const sharedUsageOf = (from: number, to: number) => get<ApiSharedUsage>(`/api/v1/shared-usage?from=${iso(from)}&to=${iso(to)}`);

/** The InfluxDB points of a measurement, in the API's terms, sorted. */
async function transitionPoints(): Promise<unknown[]> {
  const rows = await influxRows('SELECT "count", "gap_s", "subject_type", "from_type", "to_type" FROM "transition"');
  return rows.map((r) => [r.time, r.subject_type, r.from_type, r.to_type, r.count, r.gap_s]).sort();
}
async function activityPoints(period: 'day' | 'week'): Promise<unknown[]> {
  const rows = await influxRows(
    `SELECT "active_subjects", "active_devices", "sessions", "subject_type", "device_type" FROM "activity" WHERE "period" = '${period}'`,
  );
  return rows.map((r) => [iso(r.time as number), r.subject_type, r.device_type, r.active_subjects, r.active_devices, r.sessions]).sort();
}
async function usageSharePoints(): Promise<unknown[]> {
  const rows = await influxRows('SELECT "sessions", "duration_s", "share", "device", "subject", "actor", "source" FROM "usage_share"');
  return rows.map((r) => [r.time, r.device, r.subject, r.source, r.actor, r.sessions, r.duration_s, r.share]).sort();
}
const activityRows = (items: ApiActivity[]) =>
  items.map((a) => [a.start, a.subjectType ?? 'none', a.deviceType, a.activeSubjects, a.activeDevices, a.sessions]).sort();
const shareRows = (day: number, items: ApiSharedUsage[]) =>
  items.flatMap((u) => [
    ...u.reported.map((m) => [day, u.deviceId, u.subjectId, 'reported', m.actor, m.sessions, m.durationS, m.share]),
    ...u.inferred.map((m) => [day, u.deviceId, u.subjectId, 'inferred', m.actor, m.sessions, m.durationS, m.share]),
    ...(u.unattributed.sessions > 0
      ? [[day, u.deviceId, u.subjectId, 'none', 'none', u.unattributed.sessions, u.unattributed.durationS, u.unattributed.share]]
      : []),
  ]);
const staleDays = () => app.gateway.db.prepare('SELECT day FROM stale_days').all();

beforeAll(async () => {
  influx = await startInfluxDB();
  // A long interval: the test runs the job with flush(), so what it sees is what flush() did.
  app = await startApp(
    testConfig({ analytics: { sessionRules: {}, journeyGap: '30m', actorInference: true, aggregateInterval: '1h' }, influx: { url: influx.url, database } }),
  );
  fleet = new TestFleet(app);
  const post = (path: string, body: unknown) => api(app.urls.http, 'POST', `/api/v1${path}`, body);
  await post('/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  for (const id of ['ana', 'ben']) {
    await post('/subjects', { id, kind: 'individual', type: 'person', name: id });
    await post('/memberships', { individualId: id, collectiveId: 'home', validFrom: iso(day1 - 24 * hour) });
  }
  for (const [id, type, owner] of [
    ['cm', 'coffee_machine', 'home'],
    ['shower', 'shower', 'home'],
    ['meter', 'meter', 'home'],
    ['brush', 'toothbrush', 'ana'],
    // Silent, but Ben can be observed: without a personal device, nobody would be inferred in his household.
    ['ben-phone', 'phone', 'ben'],
  ] as const)
    await fleet.connect(id, type, owner, day1 - 24 * hour);

  await fleet.use('cm', day1 + 7 * hour, 5, 'ana');
  await fleet.use('shower', day1 + 7 * hour + 10 * minute, 10, 'ana');
  await fleet.use('cm', day1 + 7 * hour + 40 * minute, 5, 'ben');
  // No actor: Ana's toothbrush, 12 minutes after the start, makes her the inferred one.
  await fleet.use('cm', day1 + 10 * hour, 6);
  await fleet.use('brush', day1 + 10 * hour + 12 * minute, 3);
  await fleet.use('cm', day2 + 7 * hour, 5, 'ben');
  // No actor, nobody's personal device near: unattributed.
  await fleet.use('shower', day2 + 12 * hour, 5);
  // The meter's clock moves the fleet on: every journey closes.
  await fleet.publish('meter', 'telemetry', day2 + 18 * hour, { metrics: { power_w: 80 } });
  await app.drained();
  await app.analytics.aggregates.flush();
});

afterAll(async () => {
  await fleet?.close();
  await app?.stop();
  await influx?.stop();
});

describe('aggregates of the stored sessions and journeys', () => {
  it('serves the transitions of the closed journeys, and writes the same ones to InfluxDB, one point per day', async () => {
    const day1Transitions = await transitionsOf(day1, day2);
    expect(day1Transitions).toEqual([
      { subjectType: 'household', fromType: 'coffee_machine', toType: 'shower', count: 1, medianGapS: 300 },
      { subjectType: 'household', fromType: 'shower', toType: 'coffee_machine', count: 1, medianGapS: 1200 },
      // Ana's journey; the coffee she was only inferred to make is not in it.
      { subjectType: 'person', fromType: 'coffee_machine', toType: 'shower', count: 1, medianGapS: 300 },
    ]);
    expect(await transitionsOf(day2, day2 + 24 * hour)).toEqual([]);
    expect(await transitionPoints()).toEqual(day1Transitions.map((t) => [day1, t.subjectType, t.fromType, t.toType, t.count, t.medianGapS]).sort());
    expect(staleDays()).toEqual([]);
  });

  it('serves daily and weekly activity, and writes the same points with their period tag', async () => {
    const daily = await activityOf('day');
    expect(activityRows(daily)).toEqual([
      [iso(day1), 'household', 'coffee_machine', 1, 1, 3],
      [iso(day1), 'household', 'shower', 1, 1, 1],
      [iso(day1), 'person', 'coffee_machine', 2, 1, 2],
      [iso(day1), 'person', 'shower', 1, 1, 1],
      [iso(day1), 'person', 'toothbrush', 1, 1, 1],
      [iso(day2), 'household', 'coffee_machine', 1, 1, 1],
      [iso(day2), 'household', 'shower', 1, 1, 1],
      [iso(day2), 'person', 'coffee_machine', 1, 1, 1],
    ]);
    const weekly = await activityOf('week');
    expect(activityRows(weekly)).toEqual([
      [iso(day1), 'household', 'coffee_machine', 1, 1, 4],
      [iso(day1), 'household', 'shower', 1, 1, 2],
      // Ben on both days, Ana on the first: two, not the three the days add up to.
      [iso(day1), 'person', 'coffee_machine', 2, 1, 3],
      [iso(day1), 'person', 'shower', 1, 1, 1],
      [iso(day1), 'person', 'toothbrush', 1, 1, 1],
    ]);
    expect(await activityPoints('day')).toEqual(activityRows(daily));
    expect(await activityPoints('week')).toEqual(activityRows(weekly));
  });

  it("serves the members' shares of the household's devices, inferred apart, and writes them as usage_share points", async () => {
    const [cm, shower] = await sharedUsageOf(day1, day2);
    expect(cm).toEqual({
      deviceId: 'cm',
      deviceType: 'coffee_machine',
      subjectId: 'home',
      sessions: 3,
      durationS: 960,
      reported: [
        { actor: 'ana', sessions: 1, durationS: 300, share: 300 / 960 },
        { actor: 'ben', sessions: 1, durationS: 300, share: 300 / 960 },
      ],
      inferred: [{ actor: 'ana', sessions: 1, durationS: 360, share: 360 / 960 }],
      unattributed: { sessions: 0, durationS: 0, share: 0 },
    });
    expect(shower).toMatchObject({ deviceId: 'shower', reported: [{ actor: 'ana', share: 1 }], inferred: [] });
    const secondDay = await sharedUsageOf(day2, day2 + 24 * hour);
    expect(secondDay.find((u) => u.deviceId === 'shower')?.unattributed).toEqual({ sessions: 1, durationS: 300, share: 1 });
    expect(await usageSharePoints()).toEqual([...shareRows(day1, [cm!, shower!]), ...shareRows(day2, secondDay)].sort());
  });

  it('updates the points of the day a new session changes', async () => {
    await fleet.use('shower', day2 + 12 * hour + 30 * minute, 5, 'ben');
    await app.drained();
    expect(staleDays()).not.toEqual([]);
    await app.analytics.aggregates.flush();
    expect(staleDays()).toEqual([]);
    expect(await activityPoints('week')).toContainEqual([iso(day1), 'person', 'shower', 2, 1, 2]);
    expect(await activityPoints('day')).toContainEqual([iso(day2), 'person', 'shower', 1, 1, 1]);
    // The household's second shower of the day, 25 minutes after the first, joins its journey.
    expect(await transitionPoints()).toContainEqual([day2, 'household', 'shower', 'shower', 1, 1500]);
    const shares = (await usageSharePoints()).filter((p) => (p as unknown[])[0] === day2 && (p as unknown[])[1] === 'shower');
    expect(shares).toEqual([
      [day2, 'shower', 'home', 'none', 'none', 1, 300, 0.5],
      [day2, 'shower', 'home', 'reported', 'ben', 1, 300, 0.5],
    ]);
  });

  it('replaces the points of the days a batch re-derivation rewrites, never adding any', async () => {
    const before = {
      transitions: await transitionPoints(),
      daily: await activityPoints('day'),
      weekly: await activityPoints('week'),
      shares: await usageSharePoints(),
    };
    // A stray point in a re-derived day: the day's points are replaced as a whole, so it goes.
    await fetch(`${influx.url}/write?db=${database}&precision=ms`, {
      method: 'POST',
      body: `transition,subject_type=person,from_type=tv,to_type=car count=99i,gap_s=1 ${day1}`,
    });
    expect(await transitionPoints()).toHaveLength(before.transitions.length + 1);
    await app.analytics.rederive('all', day1, day2 + 24 * hour);
    expect(staleDays()).toEqual([]);
    expect(await transitionPoints()).toEqual(before.transitions);
    expect(await activityPoints('day')).toEqual(before.daily);
    expect(await activityPoints('week')).toEqual(before.weekly);
    expect(await usageSharePoints()).toEqual(before.shares);
    const served = async (day: number) =>
      (await transitionsOf(day, day + 24 * hour)).map((t) => [day, t.subjectType, t.fromType, t.toType, t.count, t.medianGapS]);
    expect(await transitionPoints()).toEqual([...(await served(day1)), ...(await served(day2))].sort());
  });

  it("refuses bad parameters with the problem document's code", async () => {
    const week = await api<{ code: string }>(app.urls.http, 'GET', `/api/v1/activity?period=month&from=${iso(day1)}&to=${iso(day2)}`);
    expect([week.status, week.body.code]).toEqual([400, 'PARCOURS_E_VALIDATION']);
    const reversed = await api<{ code: string }>(app.urls.http, 'GET', `/api/v1/transitions?from=${iso(day2)}&to=${iso(day1)}`);
    expect([reversed.status, reversed.body.code]).toEqual([400, 'PARCOURS_E_BAD_INTERVAL']);
    // Computed on request from what the range holds: a range is bounded, as a funnel's is.
    const years = `from=${iso(day1 - 367 * 24 * hour)}&to=${iso(day1)}`;
    for (const path of ['/transitions', '/activity', '/shared-usage']) {
      const long = await api<{ code: string; detail: string }>(app.urls.http, 'GET', `/api/v1${path}?${years}`);
      expect([path, long.status, long.body.code], long.body.detail).toEqual([path, 400, 'PARCOURS_E_BAD_INTERVAL']);
    }
    const integrator = app.gateway.apiKeys.create({ name: 'crm', role: 'integrator', subjects: ['home'] }).key;
    const forbidden = await api<{ code: string }>(app.urls.http, 'GET', `/api/v1/shared-usage?from=${iso(day1)}&to=${iso(day2)}`, undefined, integrator);
    expect([forbidden.status, forbidden.body.code]).toEqual([403, 'PARCOURS_E_FORBIDDEN']);
  });
});
