import { errorCodes, measurements, type UsageSession } from '@parcours/contracts';
import { listDashboardQueries, listDashboardVariables, readShippedDashboards, substitute, type Dashboard } from '@parcours/dashboards';
import { loadScenario, ownerAt, type GroundTruth, type SimulationSummary, type World } from '@parcours/firmware-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { runFleet } from './simulated-run.js';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { waitUntil } from './mqtt-clients.js';

/**
 * The whole path, for real: the simulated `small` fleet publishes a simulated day over MQTT to the
 * embedded broker; the gateway validates, attributes and stores; the analytics derive sessions; the
 * InfluxDB sink writes to a real InfluxDB. Everything is checked against the simulator's ground truth.
 */
const from = Date.UTC(2026, 2, 2); // a Monday
const to = from + 24 * 3_600_000;
const database = 'parcours_e2e';

let influx: InfluxServer;
let app: ParcoursApp;
let world: World;
let summary: SimulationSummary;
let truth: GroundTruth;
let runStart: number;

interface Series {
  columns: string[];
  values: unknown[][];
  tags?: Record<string, string>;
}

async function influxQuery(q: string): Promise<Series[]> {
  const body = (await influx.query(q, database)) as { results: { series?: Series[]; error?: string }[] };
  const [result] = body.results;
  if (result?.error) throw new Error(`${q}: ${result.error}`);
  return result?.series ?? [];
}

/**
 * The time range and `$__interval` a dashboard is viewed with: the pipeline's own figures, written at wall-clock
 * time, during this run of seconds (Grafana's interval for such a range is below a second); the weighting runs,
 * written at wall-clock time, and their weighted activity of the simulated day, from that day to now (its queries
 * group by no interval); the others over the simulated day.
 */
function rangeOf(uid: string): { from: number; to: number; interval: string } {
  if (uid === 'parcours-fleet-pipeline') return { from: runStart, to: Date.now(), interval: '1s' };
  if (uid === 'parcours-weighting-quality') return { from, to: Date.now(), interval: '1h' };
  return { from, to, interval: '10m' };
}

/**
 * The variables' values, in order, as Grafana resolves them: "All" (every value the variable's query finds)
 * for a multi-value variable, else its saved current value when the query finds it, else the first.
 */
async function resolveVariables(dashboard: Dashboard, range: { from: number; to: number; interval: string }): Promise<Record<string, string | string[]>> {
  const vars: Record<string, string | string[]> = {};
  for (const variable of listDashboardVariables(dashboard)) {
    const [series] = await influxQuery(substitute(variable.query, { ...range, vars }));
    const values = (series?.values ?? []).map((row) => String(row[1]));
    expect(values, `${dashboard.uid} $${variable.name}`).not.toEqual([]);
    const current = variable.current;
    vars[variable.name] = variable.multi ? values : typeof current === 'string' && values.includes(current) ? current : values[0]!;
  }
  return vars;
}

/** The series of a shipped panel's (first) query, substituted as Grafana would. */
async function panelSeries(uid: string, title: string): Promise<Series[]> {
  const dashboard = readShippedDashboards()
    .map((d) => d.dashboard)
    .find((d) => d.uid === uid)!;
  const panel = listDashboardQueries(dashboard).find((p) => p.title === title);
  if (!panel) throw new Error(`no panel "${title}" in ${uid}`);
  const range = rangeOf(uid);
  return influxQuery(substitute(panel.query, { ...range, vars: await resolveVariables(dashboard, range) }));
}

/** A table panel's rows as Grafana's table format makes them: one per series and value, its tags as columns. */
async function panelTable(uid: string, title: string): Promise<Record<string, unknown>[]> {
  return (await panelSeries(uid, title)).flatMap((s) => s.values.map((row) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, row[i]])) })));
}

const sum = (values: unknown[][]) => values.reduce((total, row) => total + Number(row[1] ?? 0), 0);

/** Points of a measurement in InfluxDB: every raw and session point has an integer field (`seq` or `events`). */
async function influxPointCount(measurement: string, field: string): Promise<number> {
  return (await influx.scalar(`SELECT count("${field}") FROM ${measurement} WHERE time >= ${from}ms AND time < ${to + 86_400_000}ms`, database)) ?? 0;
}

beforeAll(async () => {
  runStart = Date.now();
  influx = await startInfluxDB();
  const config = testConfig({
    mqtt: { allowAnonymous: true }, // lets the simulator's unknown-device faults reach the gateway
    // Every device here sends usage events, which this run checks exactly. With telemetry thresholds, a
    // device already on at the window's first sample (its usage.start was the day before) would get a
    // session from its telemetry that the ground truth, which lists sessions starting in the window, lacks.
    // Threshold sessions are checked against the ground truth in threshold-sessions.test.ts.
    analytics: {
      sessionRules: {},
      // A household's morning: the funnels dashboard's panels need one.
      funnels: [{ name: 'morning', countBy: 'collective', window: '1h', steps: [{ deviceType: 'coffee_machine' }, { deviceType: 'water_heater' }] }],
    },
    // The fleet dashboard reads the pipeline's own figures: several points during the run.
    influx: { url: influx.url, database, pipelineInterval: '500ms' },
  });
  app = await startApp(config);
  world = await loadScenario('small');
  summary = await runFleet(app, { world, seed: 11, from, to });
  truth = summary.groundTruth;
  await app.drained();
  // The aggregates (transitions, activity, shares, usage per hour) of the simulated day, now rather than at the next interval.
  await app.analytics.aggregates.flush();
  // A panel of the world's persons, balanced on their coffee, drawn an hour before the end and refreshed at it: the panels dashboard reads its health.
  const panel = { id: 'morning-panel', name: 'Coffee drinkers', size: 2, seed: 1, universe: { type: 'person' } };
  const design = { method: 'balanced', balanceOn: [{ usage: 'coffee_machine', activeWithin: '1d' }] };
  expect((await api(app.urls.http, 'POST', '/api/v1/panels', { ...panel, design, at: new Date(to - 3_600_000).toISOString() })).status).toBe(201);
  expect((await api(app.urls.http, 'POST', '/api/v1/panels/morning-panel/refresh', { at: new Date(to).toISOString() })).status).toBe(200);
  await waitUntil(async () => ((await influx.scalar(`SELECT count("size") FROM ${measurements.panelHealth}`, database)) ?? 0) >= 2);
  // The panel's members raked, from their draw's weights, to France's shares of their age bands (rounded): unequal
  // weights for the weighting dashboard to show.
  const franceShares: Record<string, number> = { '13-17': 6.2, '18-24': 8.3, '25-34': 11.5, '35-44': 12.4, '45-54': 12.9, '55-64': 12.8 };
  const memberships = await api<{ items: { individualId: string; validTo: string | null }[] }>(
    app.urls.http,
    'GET',
    '/api/v1/memberships?collectiveId=morning-panel&limit=1000',
  );
  const bandOf = new Map(world.individuals.map((p) => [p.id, String(p.attributes.ageBand)]));
  const bands = new Set(memberships.body.items.filter((m) => m.validTo === null).map((m) => bandOf.get(m.individualId)!));
  const scheme = {
    id: 'morning-weights',
    name: 'Coffee drinkers to France by age band',
    at: new Date(to).toISOString(),
    sample: { kind: 'panel', panelId: 'morning-panel' },
    baseWeights: 'inclusion',
    margins: [
      { variables: ['ageBand'], targets: { from: 'file', cells: [...bands].map((ageBand) => ({ levels: { ageBand }, value: franceShares[ageBand]! })) } },
    ],
    targetsAs: 'shares',
    method: 'rake',
  };
  expect((await api(app.urls.http, 'POST', '/api/v1/weighting-schemes', scheme)).status).toBe(201);
  expect((await api(app.urls.http, 'POST', '/api/v1/weighting-schemes/morning-weights/run', {})).status).toBe(200);
  const written = async (measurement: string) => ((await influx.scalar(`SELECT count(*) FROM ${measurement}`, database)) ?? 0) > 0;
  await waitUntil(async () =>
    (await Promise.all([measurements.weighting, measurements.weightingMargin, measurements.weightingWeights].map(written))).every(Boolean),
  );
  // A survey after the morning coffee, two prompts answered (one shown first) and a trigger capped, recorded as
  // the trigger job and the answer route record them: the surveys dashboard reads their points.
  const survey = {
    id: 'after-coffee',
    name: 'After coffee',
    questions: [
      { kind: 'single', id: 'taste', text: 'How was it?', choices: ['good', 'bad'].map((id) => ({ id, label: id })) },
      { kind: 'nps', id: 'recommend', text: 'Would you recommend it?' },
    ],
    triggers: [{ on: 'session_closed', deviceType: 'coffee_machine' }],
  };
  expect((await api(app.urls.http, 'POST', '/api/v1/surveys', survey)).status).toBe(201);
  const prompted = (promptId: string, decision: 'sent' | 'capped', at: number) =>
    app.prompts.record(
      {
        decision,
        promptId,
        surveyId: 'after-coffee',
        surveyVersion: 1,
        personId: `person-${promptId}`,
        trigger: promptId,
        sendAt: at,
        expiresAt: at + 3_600_000,
        detail: decision,
      },
      {
        triggeredAt: at,
        sessionId: null,
        journeyId: null,
        deviceId: null,
        rule: 'session_closed',
        deviceType: 'coffee_machine',
        path: null,
        collectives: [],
        stratum: null,
        community: null,
      },
      at,
    );
  const morning = from + 8 * 3_600_000;
  prompted('pr_01', 'sent', morning);
  prompted('pr_02', 'sent', morning + 600_000);
  prompted('pr_03', 'capped', morning + 1_200_000);
  app.prompts.markShown('pr_01', morning + 60_000);
  app.prompts.answer('pr_01', { values: { taste: 'good', recommend: 10 } }, morning + 120_000);
  app.prompts.answer('pr_02', { values: { taste: 'bad', recommend: 4 } }, morning + 700_000);
  await waitUntil(async () => (await Promise.all([measurements.surveyPrompt, measurements.surveyAnswer].map(written))).every(Boolean));
  // The run marked the days around its date stale: their weighted activity, now rather than at the next interval.
  await app.analytics.aggregates.flush();
  // One more pipeline point after everything was handled (the reporter writes all its stages at once).
  const handled = Date.now();
  await waitUntil(async () => ((await influx.scalar(`SELECT count("log_depth") FROM ${measurements.pipeline} WHERE time >= ${handled}ms`, database)) ?? 0) > 0);
});

afterAll(async () => {
  await app?.stop();
  await influx?.stop();
});

describe('end to end: simulated fleet → broker → gateway → analytics → InfluxDB', () => {
  it('ran a real day of a real fleet', () => {
    expect(summary.failed).toBe(0);
    expect(truth.validMessages.telemetry).toBeGreaterThan(5_000);
    expect(truth.sessions.length).toBeGreaterThan(50);
    expect(new Set(truth.faults.map((f) => f.kind))).toEqual(new Set(['bad_json', 'wrong_types', 'unknown_device']));
  });

  it('stored every valid message exactly once, in the embedded store and in InfluxDB', async () => {
    expect(app.gateway.log.count({ channel: 'telemetry' })).toBe(truth.validMessages.telemetry);
    expect(app.gateway.log.count({ channel: 'events' })).toBe(truth.validMessages.events);
    expect(await influxPointCount('telemetry', 'seq')).toBe(truth.validMessages.telemetry);
    expect(await influxPointCount('usage_event', 'seq')).toBe(truth.validMessages.events);
  });

  it('quarantined each injected fault with its reason code, counted in /metrics', async () => {
    const byReason: Record<string, number> = {};
    for (const { reason } of truth.faults) if (reason !== null) byReason[reason] = (byReason[reason] ?? 0) + 1;
    expect(Object.keys(byReason).sort()).toEqual([errorCodes.badJson, errorCodes.schema, errorCodes.unknownDevice].sort());
    const listed = await api<{ countsByReason: Record<string, number> }>(app.urls.http, 'GET', '/api/v1/quarantine?limit=1');
    expect(listed.body.countsByReason).toEqual(byReason);
    const metrics = await scrapeMetrics(app.urls.http);
    for (const [reason, count] of Object.entries(byReason)) {
      expect(metrics).toContain(`parcours_messages_quarantined_total{reason="${reason}"} ${count}`);
    }
  });

  it('attributed every stored message to its device type and the subject it was assigned to at the time', () => {
    const devices = new Map(world.devices.map((d) => [d.id, d]));
    const subjects = new Map(app.gateway.registry.listSubjects({ limit: 1000, offset: 0 }).map((s) => [s.id, s]));
    let checked = 0;
    for (let offset = 0; ; ) {
      const records = app.gateway.log.readAfter(offset, 5000);
      if (records.length === 0) break;
      for (const record of records) {
        const device = devices.get(record.deviceId)!;
        expect(record.deviceType).toBe(device.type);
        const owner = ownerAt(device, record.ts);
        expect(record.subjectId).toBe(owner);
        expect(record.subjectType).toBe(subjects.get(owner!)!.type);
        checked += 1;
      }
      offset = records.at(-1)!.offset;
    }
    expect(checked).toBe(truth.validMessages.telemetry + truth.validMessages.events);
  });

  it('derived the ground-truth usage sessions of every device', () => {
    const key = (deviceId: string, start: number, end: number) => `${deviceId} ${new Date(start).toISOString()} ${new Date(end).toISOString()}`;
    const closedInWindow = truth.sessions.filter((s) => s.endMs < to);
    const derived = closedInWindow.flatMap((s) => app.analytics.sessionStore.listForDevice(s.deviceId, s.startMs, s.startMs + 1, 10));
    expect(derived.map((s) => key(s.deviceId, s.start, s.end)).sort()).toEqual(closedInWindow.map((s) => key(s.deviceId, s.startMs, s.endMs)).sort());
    const all = world.devices.flatMap((d) => app.analytics.sessionStore.listForDevice(d.id, from, to, 10_000));
    expect(all).toHaveLength(closedInWindow.length); // and nothing else
    for (const s of closedInWindow) {
      const session = derived.find((d) => d.deviceId === s.deviceId && d.start === s.startMs)!;
      expect(session.subjectId).toBe(s.subjectId);
      expect(session.actor).toBe(s.actor);
    }
  });

  it('serves them at /api/v1/subjects/{id}/sessions and writes them to InfluxDB', async () => {
    const closedInWindow = truth.sessions.filter((s) => s.endMs < to);
    const bySubject = new Map<string, number>();
    for (const s of closedInWindow) for (const id of new Set([s.subjectId, s.actor])) if (id) bySubject.set(id, (bySubject.get(id) ?? 0) + 1);
    const range = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&limit=10000`;
    for (const [subjectId, count] of bySubject) {
      const response = await api<{ items: UsageSession[] }>(app.urls.http, 'GET', `/api/v1/subjects/${subjectId}/sessions?${range}`);
      expect(response.status).toBe(200);
      expect(response.body.items, subjectId).toHaveLength(count);
    }
    expect(await influxPointCount('usage_session', 'events')).toBe(closedInWindow.length);
  });

  it('answers every query of the shipped Grafana dashboards with data, as Grafana would send it', async () => {
    for (const { dashboard } of readShippedDashboards()) {
      const range = rangeOf(dashboard.uid!);
      const vars = await resolveVariables(dashboard, range);
      for (const panel of listDashboardQueries(dashboard)) {
        const series = await influxQuery(substitute(panel.query, { ...range, vars }));
        expect(series.length, `${dashboard.uid} "${panel.title}" ${panel.refId}`).toBeGreaterThan(0);
      }
    }
  });

  it('shows on the dashboards the figures of the ground truth and of the API', async () => {
    const closed = truth.sessions.filter((s) => s.endMs < to);
    const typeOf = new Map(world.devices.map((d) => [d.id, d.type]));
    const countBy = <T>(items: T[], key: (item: T) => string) => {
      const counts: Record<string, number> = {};
      for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
      return counts;
    };

    // Panels & communities: the members stat is the panel's size as the API judges it.
    const members = await panelSeries('parcours-panels-communities', 'Members');
    const health = await api<{ size: number }>(app.urls.http, 'GET', `/api/v1/panels/morning-panel/representativeness?at=${new Date(to).toISOString()}`);
    expect(members.map((s) => [s.tags!.panel, s.values.at(-1)![1]])).toEqual([['morning-panel', health.body.size]]);

    // Weighting quality: the design effect stat is the stored run's, as the API reports it.
    const designEffect = await panelSeries('parcours-weighting-quality', 'Design effect');
    const run = await api<{ report: { weights: { designEffect: number } } }>(app.urls.http, 'GET', '/api/v1/weighting-schemes/morning-weights/report');
    expect(designEffect.map((s) => [s.tags!.scheme, s.values.at(-1)![1]])).toEqual([['morning-weights', run.body.report.weights.designEffect]]);

    // Weighting quality: the weighted active share of the simulated day, over any device, is the API's.
    const share = await panelSeries('parcours-weighting-quality', 'Weighted active share');
    const activity = await api<{ weighted: { start: string; deviceType: string | null; activeShare: Record<string, number> }[] }>(
      app.urls.http,
      'GET',
      `/api/v1/activity?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&weights=morning-weights`,
    );
    const anyDevice = activity.body.weighted.find((w) => w.deviceType === null)!;
    const ofDay = (series: Series) => series.values.find((row) => row[0] === from)!.slice(1);
    expect(share.map(ofDay)).toEqual([
      [anyDevice.activeShare.estimate, anyDevice.activeShare.lower, anyDevice.activeShare.upper, anyDevice.activeShare.sampleValue],
    ]);
    expect(anyDevice.activeShare.sampleValue).toBeGreaterThan(0);

    // Usage sessions: sessions per device type over time, summed over the day.
    const perType = await panelSeries('parcours-usage-sessions', 'Sessions by device type');
    expect(Object.fromEntries(perType.map((s) => [s.tags!.device_type, sum(s.values)]))).toEqual(countBy(closed, (s) => typeOf.get(s.deviceId)!));

    // Time of day × day of week: every session under the UTC hour and ISO weekday of its start (a Monday).
    const cells = await panelTable('parcours-usage-sessions', 'Time of day × day of week');
    expect(Object.fromEntries(cells.map((c) => [`${c.weekday} ${c.hour}`, c.sessions]))).toEqual(
      countBy(closed, (s) => `1 ${String(new Date(s.startMs).getUTCHours()).padStart(2, '0')}`),
    );

    // Journeys & paths: the transitions table equals GET /api/v1/transitions for the day.
    const transitions = await api<{ items: { fromType: string; toType: string; count: number }[] }>(
      app.urls.http,
      'GET',
      `/api/v1/transitions?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
    );
    const expected: Record<string, number> = {};
    for (const t of transitions.body.items) expected[`${t.fromType}→${t.toType}`] = (expected[`${t.fromType}→${t.toType}`] ?? 0) + t.count;
    const rows = await panelTable('parcours-journeys-paths', 'Transitions between device types');
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    expect(Object.fromEntries(rows.map((r) => [`${r.from_type}→${r.to_type}`, r.transitions]))).toEqual(expected);

    // Fleet & pipeline: quarantined by reason equals the faults the simulator injected.
    const byReason = await panelSeries('parcours-fleet-pipeline', 'Quarantined by reason since start');
    expect(Object.fromEntries(byReason.map((s) => [s.tags!.reason, s.values.at(-1)![1]]))).toEqual(
      countBy(
        truth.faults.filter((f) => f.reason !== null),
        (f) => f.reason!,
      ),
    );
  });
});
