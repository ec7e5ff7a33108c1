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
 * them (never adding), and accepts the actor hints that now hold.
 */
const hour = 3_600_000;
const t0 = Date.UTC(2026, 5, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const database = 'parcours_reattribute';
let influx: InfluxServer;
let app: ParcoursApp;
let integrator: RecordingClient;
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

beforeAll(async () => {
  influx = await startInfluxDB();
  app = await startApp(testConfig({ influx: { url: influx.url, database } }));
  const post = (path: string, body: unknown) => api(app.urls.http, 'POST', `/api/v1${path}`, body);
  await post('/subjects', { id: 'ana', kind: 'individual', type: 'person', name: 'Ana' });
  await post('/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  await post('/subjects', { id: 'office', kind: 'collective', type: 'workplace', name: 'Office' });
  await post('/memberships', { individualId: 'ana', collectiveId: 'office', validFrom: iso(t0 - 24 * hour) });
  await post('/devices', { id: 'cm', type: 'coffee_machine' });
  await post('/devices/cm/assignments', { id: 'wrong', subjectId: 'home', validFrom: iso(t0) });
  const grant = app.gateway.apiKeys.create({ name: 'crm', role: 'integrator', subjects: ['office'] }).key;
  integrator = await connectRecording(app.urls.mqtt, { username: 'crm', password: grant });
  await integrator.client.subscribeAsync(`${app.config.mqtt.baseTopic}/subjects/office/sessions`, { qos: 1 });
  // Three sessions on day 1 (at the office, in truth) and two on day 2 (at home), each with telemetry.
  for (const start of [8, 12, 16, 32, 36].map((h) => t0 + h * hour)) {
    await ingest('events', start, { type: 'usage.start', actor: 'ana' });
    await ingest('telemetry', start + 60_000, { metrics: { power_w: 1200 } });
    await ingest('events', start + 5 * 60_000, { type: 'usage.stop' });
  }
  await app.drained();
});

afterAll(async () => {
  await integrator?.client.endAsync();
  await app?.stop();
  await influx?.stop();
});

describe('re-attribution after a registry correction', () => {
  it('starts from the wrong attribution', async () => {
    expect(sessionsOf('home')).toHaveLength(5);
    expect(sessionsOf('home').every((s) => s.actor === null)).toBe(true); // ana is no member of the household
    expect(await influxCount('usage_session', 'events', 'home')).toBe(5);
  });

  it('moves the corrected interval, replacing its sessions and points, and accepts the actor then', async () => {
    await api(app.urls.http, 'PATCH', '/api/v1/devices/cm/assignments/wrong', { validFrom: iso(t0 + 24 * hour) });
    await api(app.urls.http, 'POST', '/api/v1/devices/cm/assignments', { subjectId: 'office', validFrom: iso(t0), validTo: iso(t0 + 24 * hour) });
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

  it('changes nothing when run again, from the command line too', async () => {
    expect(await app.reattribute(t0, t0 + 24 * hour)).toEqual({ changed: 0, devices: [], sessions: 0 });
    await app.stop();
    const cli = spawnSync(
      'node',
      [fileURLToPath(new URL('../bin/parcours.js', import.meta.url)), 'reattribute', '--from', iso(t0), '--to', iso(t0 + 48 * hour)],
      {
        encoding: 'utf8',
        env: { ...process.env, PARCOURS_DATA_DIR: app.config.data.dir, INFLUX_URL: influx.url, INFLUX_DATABASE: database, PARCOURS_LOG_FORMAT: 'json' },
      },
    );
    expect(cli.stderr).toContain('re-attributing: 15/15 events (100%), 0 changed');
    expect(cli.stdout).toContain('0 events re-attributed on 0 devices');
    expect(cli.status).toBe(0);
    expect(await influxCount('usage_session', 'events', 'office')).toBe(3);
    app = await startApp({ ...app.config, http: { ...app.config.http, port: 0 }, mqtt: { ...app.config.mqtt, port: 0 } });
    expect(sessionsOf('office')).toHaveLength(3);
  });
});
