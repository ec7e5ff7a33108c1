import { allTag, errorCodes, measurements, type WeightedEstimate } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { api, startApp, testConfig } from './helpers.js';
import { LogTap } from './several-nodes.js';
import { TestFleet } from './test-fleet.js';

/**
 * The `weighted_activity` points on a real Parcours writing to a real InfluxDB: people use their toothbrushes and
 * their household's coffee machine over two days; a scheme weights them to a file's age bands. After its run, the
 * aggregate job writes, for each day, what `GET /activity?weights=` answers for that day; a later session and a
 * new version of the scheme are followed, earlier versions' points kept, and a scheme whose figures cannot be
 * estimated (a stratum of one person) is logged and skipped without holding the rest back.
 */
const minute = 60_000;
const hour = 60 * minute;
const dayMs = 24 * hour;
const day1 = Date.UTC(2026, 2, 2); // a Monday
const day2 = day1 + dayMs;
const iso = (ms: number) => new Date(ms).toISOString();
const database = 'parcours_weighted_points';

let influx: InfluxServer;
let app: ParcoursApp;
let fleet: TestFleet;
const log = new LogTap();

type Estimate = WeightedEstimate;
interface WeightedActivity {
  start: string;
  deviceType: string | null;
  activeSubjects: Estimate;
  activeShare: Estimate;
  sessions: Estimate;
}

const call = <T>(method: string, path: string, body?: unknown) => api<T>(app.urls.http, method, `/api/v1${path}`, body);

/** Rows of an InfluxQL query as objects keyed by column (time in ms). */
async function influxRows(q: string): Promise<Record<string, unknown>[]> {
  const body = (await influx.query(q, database)) as { results: { series?: { columns: string[]; values: unknown[][] }[] }[] };
  const series = body.results[0]?.series?.[0];
  return (series?.values ?? []).map((values) => Object.fromEntries(series!.columns.map((column, i) => [column, values[i]])));
}

/** The route's weighted activity of one day, by the scheme's latest version unless one is named. */
async function routeDay(scheme: string, day: number, version?: number): Promise<{ version: number; weighted: WeightedActivity[] }> {
  const versionQuery = version === undefined ? '' : `&weightsVersion=${version}`;
  const response = await call<{ weighting: { version: number }; weighted: WeightedActivity[] }>(
    'GET',
    `/activity?period=day&from=${iso(day)}&to=${iso(day + dayMs)}&weights=${scheme}${versionQuery}`,
  );
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return { version: response.body.weighting.version, weighted: response.body.weighted };
}

/** The route's figures under the measurement's names (docs/design.md), sorted by device type. */
const asPoints = (weighted: WeightedActivity[]) =>
  weighted
    .map((w) => ({
      time: Date.parse(w.start),
      device_type: w.deviceType ?? allTag,
      active_share: w.activeShare.estimate,
      active_share_lower: w.activeShare.lower,
      active_share_upper: w.activeShare.upper,
      active_share_se: w.activeShare.standardError,
      active_people: w.activeSubjects.estimate,
      active_people_se: w.activeSubjects.standardError,
      sessions: w.sessions.estimate,
      sessions_se: w.sessions.standardError,
      n: w.activeShare.n,
      effective_size: w.activeShare.effectiveSize,
      sample_active_share: w.activeShare.sampleValue,
    }))
    .sort((a, b) => a.device_type.localeCompare(b.device_type));

/** The day's points of a scheme's version, as `asPoints` lists them. */
async function pointsOf(scheme: string, version: number, day: number): Promise<Record<string, unknown>[]> {
  const rows = await influxRows(
    `SELECT * FROM "${measurements.weightedActivity}" WHERE "scheme" = '${scheme}' AND "version" = '${version}' AND time >= ${day}ms AND time < ${day + dayMs}ms`,
  );
  return rows.map(({ scheme: _scheme, version: _version, ...point }) => point).sort((a, b) => String(a.device_type).localeCompare(String(b.device_type)));
}

/** Everyone of a type, weighted to these totals of age bands. */
const scheme = (type: string, bands: Record<string, number>) => ({
  name: `${type} to age bands`,
  at: iso(day2 + dayMs),
  sample: { kind: 'universe', universe: { type } },
  baseWeights: 'equal',
  margins: [{ variables: ['band'], targets: { from: 'file', cells: Object.entries(bands).map(([band, value]) => ({ levels: { band }, value })) } }],
});

beforeAll(async () => {
  influx = await startInfluxDB();
  // A long interval: the test runs the job with flush(), so what it sees is what flush() did.
  app = await startApp(
    testConfig({ log: { level: 'warn' }, analytics: { sessionRules: {}, aggregateInterval: '1h' }, influx: { url: influx.url, database } }),
    log,
  );
  fleet = new TestFleet(app);
  const post = async (path: string, body: unknown) => expect((await call('POST', path, body)).status).toBe(201);
  const since = day1 - dayMs;
  await post('/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  for (const [id, band] of [
    ['ana', 'young'],
    ['ben', 'young'],
    ['eve', 'young'],
    ['cleo', 'old'],
    ['dan', 'old'],
    ['finn', 'old'],
  ]) {
    await post('/subjects', { id, kind: 'individual', type: 'person', name: id, attributes: { band } });
  }
  // The only visitor: a scheme of visitors has a single person, whose figures have no variance.
  await post('/subjects', { id: 'vic', kind: 'individual', type: 'visitor', name: 'Vic', attributes: { band: 'young' } });
  for (const id of ['ana', 'ben']) await post('/memberships', { individualId: id, collectiveId: 'home', validFrom: iso(since) });
  await fleet.connect('cm', 'coffee_machine', 'home', since);
  for (const id of ['ana', 'cleo', 'eve', 'finn']) await fleet.connect(`brush-${id}`, 'toothbrush', id, since);

  await fleet.use('brush-ana', day1 + 7 * hour, 3);
  await fleet.use('brush-cleo', day1 + 8 * hour, 3);
  await fleet.use('cm', day1 + 9 * hour, 5, 'ben');
  await fleet.use('brush-eve', day2 + 7 * hour, 3);
  await fleet.use('brush-finn', day2 + 7 * hour, 3);
  await fleet.use('brush-finn', day2 + 21 * hour, 3);
  await fleet.use('cm', day2 + 9 * hour, 5, 'ana');
  await app.drained();
  // The days' aggregates, before any scheme: no weighted points yet.
  await app.analytics.aggregates.flush();

  for (const [id, content] of [
    ['people', scheme('person', { young: 60, old: 40 })],
    ['kept-before', scheme('person', { young: 60, old: 40 })],
  ] as const) {
    await post('/weighting-schemes', { id, ...content });
    expect((await call('POST', `/weighting-schemes/${id}/run`, {})).status).toBe(200);
  }
  // A run stored before runs kept their inputs: its weights can no longer be redone.
  app.gateway.db.prepare("UPDATE weighting_runs SET inputs = NULL WHERE scheme_id = 'kept-before'").run();
  // Figures of a single visitor could have no variance: the run is refused and stores nothing.
  await post('/weighting-schemes', { id: 'visitors', ...scheme('visitor', { young: 5 }) });
  const lonely = await call<{ code: string }>('POST', '/weighting-schemes/visitors/run', {});
  expect([lonely.status, lonely.body.code]).toEqual([422, errorCodes.weightingLonelyUnit]);
  await app.analytics.aggregates.flush();
}, 60_000);

afterAll(async () => {
  await fleet?.close();
  await app?.stop();
  await influx?.stop();
});

describe('weighted activity in InfluxDB', () => {
  it("writes, for each day around the scheme's date, what GET /activity?weights= answers for that day", async () => {
    for (const day of [day1, day2]) {
      const route = await routeDay('people', day);
      expect(route.version).toBe(1);
      // Any device, and each device type used that day.
      expect(route.weighted.map((w) => w.deviceType).sort()).toEqual([null, 'coffee_machine', 'toothbrush'].sort());
      expect(await pointsOf('people', 1, day)).toEqual(asPoints(route.weighted));
    }
    const [all] = await pointsOf('people', 1, day1);
    expect(all!.active_share_lower as number).toBeLessThanOrEqual(all!.active_share as number);
    expect(all!.active_share as number).toBeLessThanOrEqual(all!.active_share_upper as number);
  });

  it('skips, with a warning, a scheme whose weights cannot be redone, and writes the other aggregates all the same', async () => {
    expect((await call('GET', `/activity?from=${iso(day1)}&to=${iso(day2)}&weights=kept-before`)).body).toMatchObject({ code: errorCodes.notFound });
    expect(await influxRows(`SELECT count(*) FROM "${measurements.weightedActivity}" WHERE "scheme" = 'kept-before'`)).toEqual([]);
    expect(await influxRows(`SELECT count(*) FROM "${measurements.weightedActivity}" WHERE "scheme" = 'visitors'`)).toEqual([]);
    const warnings = log.text
      .split('\n')
      .filter((line) => line.includes('"scheme":"kept-before"'))
      .map((line) => JSON.parse(line) as { msg: string; err: { message: string } });
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]!.err.message).toContain('must run again');
    expect(app.gateway.db.prepare('SELECT day FROM stale_days').all()).toEqual([]);
    expect(await influxRows(`SELECT count("sessions") FROM "${measurements.activity}" WHERE "period" = 'day'`)).not.toEqual([]);
  });

  it("follows a later session on a day, and a new version's run, keeping the earlier version's points", async () => {
    const before = await pointsOf('people', 1, day2);
    await fleet.use('brush-cleo', day2 + 22 * hour, 3);
    await app.drained();
    await app.analytics.aggregates.flush();
    const after = await routeDay('people', day2);
    expect(await pointsOf('people', 1, day2)).toEqual(asPoints(after.weighted));
    expect(await pointsOf('people', 1, day2)).not.toEqual(before);

    expect((await call('PUT', '/weighting-schemes/people', scheme('person', { young: 30, old: 70 }))).status).toBe(200);
    expect((await call('POST', '/weighting-schemes/people/run', {})).status).toBe(200);
    await app.analytics.aggregates.flush();
    for (const day of [day1, day2]) {
      const latest = await routeDay('people', day);
      expect(latest.version).toBe(2);
      expect(await pointsOf('people', 2, day)).toEqual(asPoints(latest.weighted));
      expect(await pointsOf('people', 1, day)).toEqual(asPoints((await routeDay('people', day, 1)).weighted));
    }
    expect(await pointsOf('people', 2, day1)).not.toEqual(await pointsOf('people', 1, day1));
  });
});
