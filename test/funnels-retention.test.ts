import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { api, startApp, testConfig } from './helpers.js';
import { TestFleet } from './test-fleet.js';

/**
 * Funnels and retention through the real app: devices publish a known month of usage over MQTT, then
 * the API's funnel, retention and lifecycle figures are checked exactly against what was published.
 *
 * Individuals: ana and ben (household `home`), cy and the guest dan (workplace `office`). Week 0 is the
 * week of 2 March 2026.
 */
const minute = 60_000;
const day = 24 * 60 * minute;
const week0 = Date.UTC(2026, 2, 2); // a Monday
const at = (week: number, weekday: number, hour: number, min = 0) => week0 + week * 7 * day + weekday * day + hour * 60 * minute + min * minute;
const iso = (ms: number) => new Date(ms).toISOString();

let app: ParcoursApp;
let influx: InfluxServer;
const database = 'parcours_funnels';
let fleet: TestFleet;

/** Monday of week k, as the API writes it. */
const w = (k: number) => iso(week0 + k * 7 * day);
const get = <T>(path: string) => api<T>(app.urls.http, 'GET', path);

beforeAll(async () => {
  const funnels = [
    { name: 'morning', steps: [{ deviceType: 'coffee_machine' }, { eventType: 'door.opened' }, { deviceType: 'car' }], window: '1h', countBy: 'individual' },
    { name: 'leaving', steps: [{ deviceType: 'coffee_machine' }, { eventType: 'door.opened' }], window: '30m', countBy: 'collective' },
  ] as const;
  influx = await startInfluxDB();
  app = await startApp(
    testConfig({
      analytics: { sessionRules: {}, actorInference: false, funnels: funnels.map((f) => ({ ...f, steps: [...f.steps] })) },
      influx: { url: influx.url, database },
    }),
  );
  fleet = new TestFleet(app);
  const post = (path: string, body: unknown) => api(app.urls.http, 'POST', `/api/v1${path}`, body);
  for (const [id, type] of [
    ['ana', 'person'],
    ['ben', 'person'],
    ['cy', 'person'],
    ['dan', 'guest'],
  ])
    await post('/subjects', { id, kind: 'individual', type, name: id });
  await post('/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  await post('/subjects', { id: 'office', kind: 'collective', type: 'workplace', name: 'Office' });
  for (const [individualId, collectiveId] of [
    ['ana', 'home'],
    ['ben', 'home'],
    ['cy', 'office'],
    ['dan', 'office'],
  ]) {
    await post('/memberships', { individualId, collectiveId, validFrom: iso(week0 - 28 * day) });
  }
  await fleet.connect('home-cm', 'coffee_machine', 'home', week0 - 28 * day);
  await fleet.connect('home-door', 'door_sensor', 'home', week0 - 28 * day);
  await fleet.connect('ana-car', 'car', 'ana', week0 - 28 * day);
  await fleet.connect('office-cm', 'coffee_machine', 'office', week0 - 28 * day);

  // In device-time order. Week -1: cy's first use.
  await fleet.use('office-cm', at(-1, 0, 9), 5, 'cy');
  // Week 0, Monday: ana goes all the way (coffee, door 20 min later, car 10 min after); home's door is 20 min after its coffee.
  await fleet.use('home-cm', at(0, 0, 7), 5, 'ana');
  await fleet.event('home-door', at(0, 0, 7, 20), 'door.opened', 'ana');
  await fleet.use('ana-car', at(0, 0, 7, 30), 30);
  await fleet.use('office-cm', at(0, 0, 9), 5, 'cy');
  // Tuesday: ben's door is more than the window after his coffee; Wednesday: 10 minutes after.
  await fleet.use('home-cm', at(0, 1, 7), 5, 'ben');
  await fleet.event('home-door', at(0, 1, 8, 30), 'door.opened', 'ben');
  await fleet.use('home-cm', at(0, 2, 7), 5, 'ben');
  await fleet.event('home-door', at(0, 2, 7, 10), 'door.opened', 'ben');
  // Week 1: ana drives, dan's first coffee. Week 2: ben's coffee.
  await fleet.use('ana-car', at(1, 0, 8), 30);
  await fleet.use('office-cm', at(1, 1, 9), 5, 'dan');
  await fleet.use('home-cm', at(2, 0, 7), 5, 'ben');
  await app.drained();
  await app.analytics.aggregates.flush();
});

afterAll(async () => {
  await fleet?.close();
  await app?.stop();
  await influx?.stop();
});

const byCell = (a: { cohort: unknown; weekOffset: unknown }, b: { cohort: unknown; weekOffset: unknown }) =>
  `${a.cohort} ${a.weekOffset}`.localeCompare(`${b.cohort} ${b.weekOffset}`);

/** InfluxQL rows as objects, keyed by column then by the series' tags. */
async function influxRows(q: string): Promise<Record<string, unknown>[]> {
  const body = (await influx.query(q, database)) as {
    results: { error?: string; series?: { columns: string[]; values: unknown[][]; tags?: Record<string, string> }[] }[];
  };
  if (body.results[0]?.error) throw new Error(body.results[0].error);
  return (body.results[0]?.series ?? []).flatMap((series) =>
    series.values.map((v) => ({ ...series.tags, ...Object.fromEntries(series.columns.map((c, i) => [c, v[i]])) })),
  );
}

describe('funnels', () => {
  it('lists the declared funnels', async () => {
    const response = await get<{ items: unknown[] }>('/api/v1/funnels');
    expect(response.status).toBe(200);
    expect(response.body.items).toEqual([
      { name: 'morning', steps: [{ deviceType: 'coffee_machine' }, { eventType: 'door.opened' }, { deviceType: 'car' }], windowS: 3600, countBy: 'individual' },
      { name: 'leaving', steps: [{ deviceType: 'coffee_machine' }, { eventType: 'door.opened' }], windowS: 1800, countBy: 'collective' },
    ]);
  });

  it('counts individuals from the sessions they used and the events naming them, each once at its furthest step', async () => {
    const response = await get(`/api/v1/funnels/morning?from=${iso(week0)}&to=${iso(week0 + 7 * day)}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      name: 'morning',
      countBy: 'individual',
      from: iso(week0),
      to: iso(week0 + 7 * day),
      windowS: 3600,
      entered: 3,
      converted: 1,
      conversion: 1 / 3,
      medianSecondsToConvert: 1800,
      steps: [
        { step: 1, deviceType: 'coffee_machine', reached: 3, conversionFromPrevious: 1, conversionFromStart: 1, medianSecondsFromPrevious: null },
        { step: 2, eventType: 'door.opened', reached: 2, conversionFromPrevious: 2 / 3, conversionFromStart: 2 / 3, medianSecondsFromPrevious: 900 },
        { step: 3, deviceType: 'car', reached: 1, conversionFromPrevious: 0.5, conversionFromStart: 1 / 3, medianSecondsFromPrevious: 600 },
      ],
    });
  });

  it('lets only entries inside [from, to) count: without Wednesday, ben stops at his first step', async () => {
    const response = await get<{ entered: number; steps: { reached: number }[] }>(`/api/v1/funnels/morning?from=${iso(week0)}&to=${iso(at(0, 2, 0))}`);
    expect(response.body.entered).toBe(3);
    expect(response.body.steps.map((s) => s.reached)).toEqual([3, 1, 1]);
  });

  it('counts collectives from the sessions and events of their devices', async () => {
    const response = await get<Record<string, unknown>>(`/api/v1/funnels/leaving?from=${iso(week0)}&to=${iso(week0 + 7 * day)}`);
    expect(response.body).toMatchObject({ entered: 2, converted: 1, conversion: 0.5, medianSecondsToConvert: 1200 });
  });

  it('answers 404 for an unknown funnel and 400 for a bad range', async () => {
    const unknown = await get<{ code: string }>(`/api/v1/funnels/evening?from=${iso(week0)}&to=${iso(week0 + day)}`);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'PARCOURS_E_NOT_FOUND']);
    const reversed = await get<{ code: string }>(`/api/v1/funnels/morning?from=${iso(week0 + day)}&to=${iso(week0)}`);
    expect([reversed.status, reversed.body.code]).toEqual([400, 'PARCOURS_E_BAD_INTERVAL']);
    const missing = await get<{ code: string }>('/api/v1/funnels/morning');
    expect([missing.status, missing.body.code]).toEqual([400, 'PARCOURS_E_VALIDATION']);
  });
});

describe('retention and lifecycle', () => {
  const range = `from=${iso(week0)}&to=${iso(week0 + 21 * day)}&weeks=2`;

  it('follows weekly cohorts of first use ever, and classifies each week', async () => {
    const response = await get(`/api/v1/retention?${range}&kind=individual`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      from: w(0),
      to: w(3),
      kind: 'individual',
      subjectType: null,
      weeks: 2,
      cohorts: [
        // ana and ben (cy first used the office's machine in week -1).
        {
          week: w(0),
          size: 2,
          retained: [
            { weekOffset: 0, week: w(0), active: 2, share: 1 },
            { weekOffset: 1, week: w(1), active: 1, share: 0.5 },
            { weekOffset: 2, week: w(2), active: 1, share: 0.5 },
          ],
        },
        {
          week: w(1),
          size: 1,
          retained: [
            { weekOffset: 0, week: w(1), active: 1, share: 1 },
            { weekOffset: 1, week: w(2), active: 0, share: 0 },
            { weekOffset: 2, week: w(3), active: 0, share: 0 },
          ],
        },
      ],
      lifecycle: [
        { week: w(0), new: 2, returning: 1, resurrecting: 0, dormant: 0 },
        { week: w(1), new: 1, returning: 1, resurrecting: 0, dormant: 2 },
        { week: w(2), new: 0, returning: 0, resurrecting: 1, dormant: 2 },
      ],
    });
  });

  it('takes first use over all time, not inside the range: ben, first active in week 0, resurrects in week 2', async () => {
    const response = await get<{ cohorts: { size: number }[]; lifecycle: unknown[] }>(`/api/v1/retention?from=${w(2)}&to=${w(3)}&kind=individual&weeks=0`);
    expect(response.body.cohorts).toEqual([]);
    expect(response.body.lifecycle).toEqual([{ week: w(2), new: 0, returning: 0, resurrecting: 1, dormant: 2 }]);
  });

  it('keeps the subjects of one type, and counts collectives from their own sessions', async () => {
    const guests = await get<{ cohorts: { size: number }[]; lifecycle: unknown[] }>(`/api/v1/retention?${range}&kind=individual&subjectType=guest`);
    expect(guests.body.cohorts.map((c) => c.size)).toEqual([1]);
    expect(guests.body.lifecycle).toEqual([
      { week: w(0), new: 0, returning: 0, resurrecting: 0, dormant: 0 },
      { week: w(1), new: 1, returning: 0, resurrecting: 0, dormant: 0 },
      { week: w(2), new: 0, returning: 0, resurrecting: 0, dormant: 1 },
    ]);
    const collectives = await get<{ cohorts: { size: number; retained: { active: number }[] }[]; lifecycle: unknown[] }>(
      `/api/v1/retention?${range}&kind=collective`,
    );
    expect(collectives.body.cohorts.map((c) => [c.size, c.retained.map((r) => r.active)])).toEqual([[1, [1, 0, 1]]]);
    expect(collectives.body.lifecycle).toEqual([
      { week: w(0), new: 1, returning: 1, resurrecting: 0, dormant: 0 },
      { week: w(1), new: 0, returning: 1, resurrecting: 0, dormant: 1 },
      { week: w(2), new: 0, returning: 0, resurrecting: 1, dormant: 1 },
    ]);
  });

  it('answers 400 for a bad range or kind', async () => {
    const reversed = await get<{ code: string }>(`/api/v1/retention?from=${w(1)}&to=${w(0)}&kind=individual`);
    expect([reversed.status, reversed.body.code]).toEqual([400, 'PARCOURS_E_BAD_INTERVAL']);
    const kind = await get<{ code: string }>(`/api/v1/retention?from=${w(0)}&to=${w(1)}&kind=household`);
    expect([kind.status, kind.body.code]).toEqual([400, 'PARCOURS_E_VALIDATION']);
  });
});

describe('funnels, retention and lifecycle in InfluxDB, for the dashboards', () => {
  it('writes per entry day the funnel the API gives for that day', async () => {
    for (let d = 0; d < 7; d++) {
      const from = week0 + d * day;
      const api = await get<{ steps: { reached: number }[] }>(`/api/v1/funnels/morning?from=${iso(from)}&to=${iso(from + day)}`);
      const points = await influxRows(`SELECT "reached" FROM "funnel" WHERE "funnel" = 'morning' AND time = ${from}ms GROUP BY "step"`);
      // A day nothing happened on has no points: nobody entered.
      const reached = points.length === 0 ? api.body.steps.map(() => 0) : points.sort((a, b) => Number(a.step) - Number(b.step)).map((p) => p.reached);
      expect(reached, iso(from)).toEqual(api.body.steps.map((s) => s.reached));
    }
    // Summed over the week's days, a subject counts once per day it entered (ben, Tuesday and Wednesday).
    const week = await influxRows(
      `SELECT sum("reached") FROM "funnel" WHERE "funnel" = 'morning' AND time >= ${week0}ms AND time < ${week0 + 7 * day}ms GROUP BY "step"`,
    );
    expect(week.sort((a, b) => Number(a.step) - Number(b.step)).map((p) => p.sum)).toEqual([4, 2, 1]);
  });

  it('writes the retention cells and lifecycle of every week the API gives', async () => {
    const response = await get<{
      cohorts: { week: string; size: number; retained: { weekOffset: number; active: number }[] }[];
      lifecycle: Record<string, unknown>[];
    }>(`/api/v1/retention?from=${w(-1)}&to=${w(3)}&kind=individual&weeks=3`);
    const cells = await influxRows(`SELECT "active", "cohort_size" FROM "retention" WHERE "kind" = 'individual' GROUP BY "cohort", "week_offset"`);
    // Points exist for the weeks something happened in (here up to week 2): a week nobody was active in has none.
    const expected = response.body.cohorts.flatMap((c) =>
      c.retained
        .filter((r) => Date.parse(c.week) + r.weekOffset * 7 * day <= Date.parse(w(2)))
        .map((r) => ({ cohort: c.week.slice(0, 10), weekOffset: String(r.weekOffset), active: r.active, size: c.size })),
    );
    const written = cells.map((p) => ({ cohort: p.cohort, weekOffset: p.week_offset, active: p.active, size: p.cohort_size }));
    expect(written.sort(byCell)).toEqual(expected.sort(byCell));
    expect(expected.length).toBeGreaterThan(5);
    const lifecycle = await influxRows(
      `SELECT "subjects" FROM "lifecycle" WHERE "kind" = 'individual' AND time >= ${week0 - 7 * day}ms AND time < ${week0 + 21 * day}ms GROUP BY "status"`,
    );
    for (const week of response.body.lifecycle) {
      const at = Date.parse(week.week as string);
      const byStatus = Object.fromEntries(lifecycle.filter((p) => p.time === at).map((p) => [p.status, p.subjects]));
      expect(byStatus, week.week as string).toEqual({ new: week.new, returning: week.returning, resurrecting: week.resurrecting, dormant: week.dormant });
    }
  });
});

describe('the API surface', () => {
  it('describes funnels and retention in /openapi.json', async () => {
    const spec = await api<{ paths: Record<string, { get?: { parameters?: { name: string }[] } }> }>(app.urls.http, 'GET', '/openapi.json', undefined, null);
    expect(spec.body.paths['/api/v1/funnels']?.get).toBeDefined();
    expect(spec.body.paths['/api/v1/funnels/{name}']?.get?.parameters?.map((p) => p.name).sort()).toEqual(['from', 'name', 'to', 'weights', 'weightsVersion']);
    expect(spec.body.paths['/api/v1/retention']?.get?.parameters?.map((p) => p.name).sort()).toEqual([
      'from',
      'kind',
      'subjectType',
      'to',
      'weeks',
      'weights',
      'weightsVersion',
    ]);
  });

  it('keeps aggregates over every subject from integrators (they read only their granted subjects)', async () => {
    const grant = app.gateway.apiKeys.create({ name: 'crm', role: 'integrator', subjects: ['home'] }).key;
    const response = await api<{ code: string }>(app.urls.http, 'GET', `/api/v1/funnels/leaving?from=${w(0)}&to=${w(1)}`, undefined, grant);
    expect([response.status, response.body.code]).toEqual([403, 'PARCOURS_E_FORBIDDEN']);
    const reader = app.gateway.apiKeys.create({ name: 'dash', role: 'reader' }).key;
    expect((await api(app.urls.http, 'GET', `/api/v1/retention?from=${w(0)}&to=${w(1)}&kind=collective`, undefined, reader)).status).toBe(200);
  });
});
