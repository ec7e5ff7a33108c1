import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { connectRecording, waitUntil, type RecordingClient } from './mqtt-clients.js';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';

/**
 * A registry correction for a past interval: the office coffee machine was registered as the household's.
 * Re-attribution moves that interval's events, sessions and InfluxDB points to the office, replacing
 * them (never adding), accepts the actor hints that now hold, and tells the integrators of both sides.
 */
const hour = 3_600_000;
const t0 = Date.UTC(2026, 5, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
let database = '';
let influx: InfluxServer;
let app: ParcoursApp;
let integrator: RecordingClient;
let homeCrm: RecordingClient;
let anaCrm: RecordingClient;
let seq = 0;

async function ingest(channel: 'events' | 'telemetry', ts: number, body: Record<string, unknown>): Promise<void> {
  seq += 1;
  await app.gateway.ingest({
    topic: `parcours/devices/cm/${channel}`,
    payload: Buffer.from(JSON.stringify({ ts, seq, ...body })),
    receivedAt: ts,
    clientId: 'cm',
    username: 'cm',
  });
}

async function influxCount(measurement: string, field: string, subject: string): Promise<number> {
  return (await influx.scalar(`SELECT count("${field}") FROM ${measurement} WHERE "subject" = '${subject}'`, database)) ?? 0;
}

const sessionsOf = (subject: string) => app.analytics.sessionStore.listForSubject(subject, t0, t0 + 48 * hour, 100);

/** A fresh Parcours on its own InfluxDB database: Ana works at the office; the coffee machine is registered, wrongly, as the household's from t0. */
async function startRegistered(name: string): Promise<void> {
  database = `parcours_reattribute_${name}`;
  app = await startApp(testConfig({ influx: { url: influx.url, database } }));
  const post = (path: string, body: unknown) => api(app.urls.http, 'POST', `/api/v1${path}`, body);
  await post('/subjects', { id: 'ana', kind: 'individual', type: 'person', name: 'Ana' });
  await post('/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  await post('/subjects', { id: 'office', kind: 'collective', type: 'workplace', name: 'Office' });
  await post('/memberships', { id: 'ana-office', individualId: 'ana', collectiveId: 'office', validFrom: iso(t0 - 24 * hour) });
  await post('/devices', { id: 'cm', type: 'coffee_machine' });
  await post('/devices/cm/assignments', { id: 'wrong', subjectId: 'home', validFrom: iso(t0) });
}

/** An integrator granted one subject, subscribed to its sessions and their removals. */
async function integratorOf(subject: string): Promise<RecordingClient> {
  const grant = app.gateway.apiKeys.create({ name: `crm-${subject}`, role: 'integrator', subjects: [subject] }).key;
  const client = await connectRecording(app.urls.mqtt, { username: `crm-${subject}`, password: grant });
  const base = `${app.config.mqtt.baseTopic}/subjects/${subject}`;
  await client.client.subscribeAsync([`${base}/sessions`, `${base}/sessions/removed`], { qos: 1 });
  return client;
}

const on = (client: RecordingClient, subject: string, stream: 'sessions' | 'sessions/removed') =>
  client.messages.filter((m) => m.topic === `${app.config.mqtt.baseTopic}/subjects/${subject}/${stream}`).map((m) => JSON.parse(m.payload));

/** The registry corrected: the machine was the office's on day 1. */
async function correctDayOne(): Promise<void> {
  await api(app.urls.http, 'PATCH', '/api/v1/devices/cm/assignments/wrong', { validFrom: iso(t0 + 24 * hour) });
  await api(app.urls.http, 'POST', '/api/v1/devices/cm/assignments', { subjectId: 'office', validFrom: iso(t0), validTo: iso(t0 + 24 * hour) });
}

function reattributeCli(to: number): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
  return spawnSync('node', [bin, 'reattribute', '--from', iso(t0), '--to', iso(to)], {
    encoding: 'utf8',
    env: { ...process.env, PARCOURS_DATA_DIR: app.config.data.dir, INFLUX_URL: influx.url, INFLUX_DATABASE: database, PARCOURS_LOG_FORMAT: 'json' },
  });
}

beforeAll(async () => {
  influx = await startInfluxDB();
});

afterAll(async () => {
  await influx?.stop();
});

describe('re-attribution after a registry correction', () => {
  beforeAll(async () => {
    await startRegistered('closed');
    integrator = await integratorOf('office');
    homeCrm = await integratorOf('home');
    anaCrm = await integratorOf('ana');
    // Three sessions on day 1 (at the office, in truth) and two on day 2 (at home), each with telemetry.
    for (const start of [8, 12, 16, 32, 36].map((h) => t0 + h * hour)) {
      await ingest('events', start, { type: 'usage.start', actor: 'ana' });
      await ingest('telemetry', start + 60_000, { metrics: { power_w: 1200 } });
      await ingest('events', start + 5 * 60_000, { type: 'usage.stop' });
    }
    await app.drained();
  });

  afterAll(async () => {
    for (const client of [integrator, homeCrm, anaCrm]) await client?.client.endAsync();
    await app?.stop();
  });

  it('starts from the wrong attribution', async () => {
    expect(sessionsOf('home')).toHaveLength(5);
    expect(sessionsOf('home').every((s) => s.actor === null)).toBe(true); // ana is no member of the household
    expect(await influxCount('usage_session', 'events', 'home')).toBe(5);
  });

  it('moves the corrected interval, replacing its sessions and points, and accepts the actor then', async () => {
    await correctDayOne();
    const progress: number[] = [];
    const result = await app.reattribute(t0, t0 + 24 * hour, (p) => progress.push(p.scanned));
    expect(result).toEqual({ changed: 9, devices: ['cm'], sessions: 3 });
    expect(progress.at(-1)).toBe(9);

    expect(sessionsOf('office').map((s) => [s.start, s.actor])).toEqual([8, 12, 16].map((h) => [t0 + h * hour, 'ana']));
    expect(sessionsOf('home')).toHaveLength(2);
    expect(await influxCount('usage_session', 'events', 'office')).toBe(3);
    expect(await influxCount('usage_session', 'events', 'home')).toBe(2);
    expect(await influxCount('telemetry', 'seq', 'office')).toBe(3);
    expect(await influxCount('telemetry', 'seq', 'home')).toBe(2);
    expect(await influxCount('usage_event', 'seq', 'office')).toBe(6);
    // Integrators of the office are told of its corrected sessions.
    await waitUntil(() => integrator.messages.length === 3);
    expect(integrator.messages.map((m) => JSON.parse(m.payload).start)).toEqual([8, 12, 16].map((h) => iso(t0 + h * hour)));
  });

  it('tells the integrators of the household that the moved sessions left it, and Ana that they are hers', async () => {
    const moved = [8, 12, 16].map((h) => `cm@${t0 + h * hour}`);
    await waitUntil(() => on(homeCrm, 'home', 'sessions/removed').length === 3);
    expect(on(homeCrm, 'home', 'sessions/removed')).toEqual(moved.map((id) => ({ kind: 'session', id, replacedBy: [id] })));
    await waitUntil(() => on(anaCrm, 'ana', 'sessions').length === 3);
    expect(on(anaCrm, 'ana', 'sessions').map((s) => [s.id, s.subjectId, s.actor])).toEqual(moved.map((id) => [id, 'office', 'ana']));
    expect(on(anaCrm, 'ana', 'sessions/removed')).toEqual([]);
  });

  it('tells the actor who lost a session, after a membership correction', async () => {
    // Ana joined the office at 10:00 on day 1, in truth: the 8:00 session was someone else's.
    await api(app.urls.http, 'PATCH', '/api/v1/memberships/ana-office', { validFrom: iso(t0 + 10 * hour) });
    expect(await app.reattribute(t0, t0 + 24 * hour)).toEqual({ changed: 1, devices: ['cm'], sessions: 3 });
    const first = `cm@${t0 + 8 * hour}`;
    await waitUntil(() => on(anaCrm, 'ana', 'sessions/removed').length === 1);
    expect(on(anaCrm, 'ana', 'sessions/removed')).toEqual([{ kind: 'session', id: first, replacedBy: [first] }]);
    await waitUntil(() => integrator.messages.length === 4);
    expect(JSON.parse(integrator.messages[3]!.payload)).toMatchObject({ id: first, subjectId: 'office', actor: null });
    expect(sessionsOf('ana').map((s) => s.id)).toEqual([12, 16].map((h) => `cm@${t0 + h * hour}`));
  });

  it('refuses to run from the command line beside the running server, and points to the API', async () => {
    const cli = reattributeCli(t0 + 48 * hour);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain('PARCOURS_E_SERVER_RUNNING');
    expect(cli.stderr).toContain('POST /api/v1/reattribute');
    expect(cli.stderr).not.toContain('re-attributing');
  });

  it('changes nothing when run again, from the command line too', async () => {
    expect(await app.reattribute(t0, t0 + 24 * hour)).toEqual({ changed: 0, devices: [], sessions: 0 });
    await app.stop();
    const cli = reattributeCli(t0 + 48 * hour);
    expect(cli.stderr).toContain('re-attributing: 15/15 events (100%), 0 changed');
    expect(cli.stdout).toContain('0 events re-attributed on 0 devices');
    expect(cli.status).toBe(0);
    expect(await influxCount('usage_session', 'events', 'office')).toBe(3);
    app = await startApp({ ...app.config, http: { ...app.config.http, port: 0 }, mqtt: { ...app.config.mqtt, port: 0 } });
    expect(sessionsOf('office')).toHaveLength(3);
  });
});

describe('re-attribution of a session open during the correction', () => {
  beforeAll(async () => {
    await startRegistered('open');
    integrator = await integratorOf('office');
    homeCrm = await integratorOf('home');
    // A closed session at 7:00, and one started at 8:00 whose stop comes after the correction.
    await ingest('events', t0 + 7 * hour, { type: 'usage.start', actor: 'ana' });
    await ingest('telemetry', t0 + 7 * hour + 60_000, { metrics: { power_w: 1200 } });
    await ingest('events', t0 + 7 * hour + 5 * 60_000, { type: 'usage.stop' });
    await ingest('events', t0 + 8 * hour, { type: 'usage.start', actor: 'ana' });
    await ingest('telemetry', t0 + 8 * hour + 60_000, { metrics: { power_w: 1200 } });
    await app.drained();
  });

  afterAll(async () => {
    for (const client of [integrator, homeCrm]) await client?.client.endAsync();
    await app?.stop();
  });

  it('attributes the open session again: its stop closes it where it now belongs', async () => {
    await correctDayOne();
    expect(await app.reattribute(t0, t0 + 24 * hour)).toEqual({ changed: 5, devices: ['cm'], sessions: 1 });
    await ingest('events', t0 + 8 * hour + 5 * 60_000, { type: 'usage.stop' });
    // Later telemetry moves the watermark past the journey gap: the journeys close.
    await ingest('telemetry', t0 + 12 * hour, { metrics: { power_w: 0 } });
    await app.drained();

    const eight = `cm@${t0 + 8 * hour}`;
    expect(sessionsOf('office').map((s) => [s.id, s.actor, s.closedBy])).toEqual([
      [`cm@${t0 + 7 * hour}`, 'ana', 'stop'],
      [eight, 'ana', 'stop'],
    ]);
    expect(sessionsOf('home')).toEqual([]);
    expect(await influxCount('usage_session', 'events', 'office')).toBe(2);
    expect(await influxCount('usage_session', 'events', 'home')).toBe(0);
    await waitUntil(() => on(integrator, 'office', 'sessions').some((s) => s.id === eight));
    expect(on(homeCrm, 'home', 'sessions').filter((s) => s.id === eight)).toEqual([]);
    // Each session its own journey (more than the journey gap apart), Ana's and the office's; none the household's.
    const journeys = app.analytics.journeysInRange(t0, t0 + 24 * hour).map((j) => `${j.subjectId} ${j.sessions.join(' ')}`);
    expect(journeys.sort()).toEqual([`ana cm@${t0 + 7 * hour}`, `ana ${eight}`, `office cm@${t0 + 7 * hour}`, `office ${eight}`]);
  });

  it('changes nothing when run again, through the API', async () => {
    const answer = await api(app.urls.http, 'POST', '/api/v1/reattribute', { from: iso(t0), to: iso(t0 + 24 * hour) });
    expect(answer).toEqual({ status: 200, body: { changed: 0, devices: [], sessions: 0 } });
  });

  it('refuses an interval that ends before it starts', async () => {
    const answer = await api<{ code: string }>(app.urls.http, 'POST', '/api/v1/reattribute', { from: iso(t0), to: iso(t0) });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('PARCOURS_E_BAD_INTERVAL');
  });
});
