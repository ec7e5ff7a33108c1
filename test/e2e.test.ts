import { errorCodes, type UsageSession } from '@parcours/contracts';
import { dashboardSchema, listDashboardQueries, readShippedDashboards, substitute } from '@parcours/dashboards';
import { loadScenario, ownerAt, Simulator, type GroundTruth, type SimulationSummary, type World } from '@parcours/firmware-sim';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';

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

async function influxQuery(q: string): Promise<{ columns: string[]; values: unknown[][]; tags?: Record<string, string> }[]> {
  const body = (await influx.query(q, database)) as { results: { series?: { columns: string[]; values: unknown[][]; tags?: Record<string, string> }[]; error?: string }[] };
  const [result] = body.results;
  if (result?.error) throw new Error(`${q}: ${result.error}`);
  return result?.series ?? [];
}

/** Points of a measurement in InfluxDB: every raw and session point has an integer field (`seq` or `events`). */
async function influxPointCount(measurement: string, field: string): Promise<number> {
  return (await influx.scalar(`SELECT count("${field}") FROM ${measurement} WHERE time >= ${from}ms AND time < ${to + 86_400_000}ms`, database)) ?? 0;
}

beforeAll(async () => {
  influx = await startInfluxDB();
  const config = testConfig({
    influx: { url: influx.url, database },
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
  });
  app = await startApp(config);
  world = await loadScenario('small');
  const simulator = new Simulator({
    scenario: world, seed: 11, from, to, speed: 'max', mqttUrl: app.urls.mqtt, apiUrl: app.urls.http, apiKey: adminKey(),
    baseTopic: config.mqtt.baseTopic, dataDir: config.data.dir, qos: 1, logger: pino({ level: 'error' }), unknownDeviceAuth: null,
  });
  await simulator.start();
  summary = await simulator.done;
  await simulator.stop();
  truth = summary.groundTruth;
  await app.drained();
  await app.analytics.aggregates.flush();
}, 240_000);

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

  it('answers every query of the shipped Grafana dashboards with data', async () => {
    const dashboards = readShippedDashboards().map((d) => dashboardSchema.parse(d.json));
    for (const dashboard of dashboards) {
      // "All" for every variable, with the values its own query finds, as Grafana does.
      const vars: Record<string, string[]> = {};
      for (const variable of dashboard.templating.list) {
        const [series] = await influxQuery(substitute(variable.query, { from, to, interval: '10m', vars }));
        vars[variable.name] = (series?.values ?? []).map((row) => String(row[1]));
        expect(vars[variable.name], `${dashboard.uid} $${variable.name}`).not.toEqual([]);
      }
      for (const panel of listDashboardQueries(dashboard)) {
        const series = await influxQuery(substitute(panel.query, { from, to, interval: '10m', vars }));
        expect(series.length, `${dashboard.uid} "${panel.title}"`).toBeGreaterThan(0);
      }
    }
    const [sessions] = await influxQuery(substitute('SELECT count("duration_s") FROM "usage_session" WHERE $timeFilter', { from, to, interval: '10m', vars: {} }));
    expect(sessions!.values[0]![1]).toBe(truth.sessions.filter((s) => s.endMs < to).length);
  });
});
