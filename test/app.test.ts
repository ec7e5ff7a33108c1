import { errorCodes } from '@parcours/contracts';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';

const t0 = Date.UTC(2026, 0, 5, 8);
let app: ParcoursApp;
let clients: MqttClient[] = [];

async function connect(username?: string, password?: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(app.urls.mqtt, { username, password, reconnectPeriod: 0, clientId: `test-${clients.length}` });
  clients.push(client);
  return client;
}

async function register(): Promise<{ secret: string }> {
  const base = app.urls.http;
  expect((await api(base, 'POST', '/api/v1/subjects', { id: 'ana', kind: 'individual', type: 'person', name: 'Ana' })).status).toBe(201);
  expect((await api(base, 'POST', '/api/v1/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' })).status).toBe(201);
  expect((await api(base, 'POST', '/api/v1/memberships', { individualId: 'ana', collectiveId: 'home', validFrom: '2025-01-01T00:00:00Z' })).status).toBe(201);
  for (const id of ['cm-1', 'tv-1']) {
    expect((await api(base, 'POST', '/api/v1/devices', { id, type: id === 'cm-1' ? 'coffee_machine' : 'tv' })).status).toBe(201);
    expect((await api(base, 'POST', `/api/v1/devices/${id}/assignments`, { subjectId: 'home', validFrom: '2025-01-01T00:00:00Z' })).status).toBe(201);
  }
  const credentials = await api<{ secret: string }>(base, 'POST', '/api/v1/devices/cm-1/credentials');
  expect(credentials.status).toBe(201);
  return credentials.body;
}

beforeEach(async () => {
  app = await startApp(testConfig());
});

afterEach(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  clients = [];
  await app.stop();
});

describe('Parcours in one process', () => {
  it('refuses a device with a wrong secret or none, and accepts the issued one', async () => {
    const { secret } = await register();
    await expect(connect('cm-1', 'wrong')).rejects.toThrow(/Bad username or password/i);
    await expect(connect()).rejects.toThrow(/Not authorized/i);
    const client = await connect('cm-1', secret);
    expect(client.connected).toBe(true);
  });

  it('stores a QoS 1 message before acknowledging it, and a redelivery only once', async () => {
    const { secret } = await register();
    const device = await connect('cm-1', secret);
    const payload = JSON.stringify({ ts: t0, seq: 1, metrics: { power_w: 1200, heating: true } });
    await device.publishAsync('parcours/devices/cm-1/telemetry', payload, { qos: 1 });
    expect(app.gateway.log.count()).toBe(1); // the PUBACK came after the store
    await device.publishAsync('parcours/devices/cm-1/telemetry', payload, { qos: 1 });
    expect(app.gateway.log.count()).toBe(1);
    const [stored] = app.gateway.log.readAfter(0, 10);
    expect(stored).toMatchObject({
      deviceId: 'cm-1',
      deviceType: 'coffee_machine',
      subjectId: 'home',
      subjectType: 'household',
      ts: t0,
      metrics: { power_w: 1200, heating: true },
    });
    const metrics = await scrapeMetrics(app.urls.http);
    expect(metrics).toMatch(/parcours_messages_duplicate_total 1/);
    expect(metrics).toMatch(/parcours_messages_stored_total\{channel="telemetry"\} 1/);
  });

  it('quarantines bad input with a reason code and a counter, and keeps going', async () => {
    await app.stop();
    app = await startApp(testConfig({ mqtt: { allowAnonymous: true } }));
    const { secret } = await register();
    const device = await connect('cm-1', secret);
    const operator = await connect('operator', adminKey());
    const published: { topic: string; reason: string }[] = [];
    operator.on('message', (t, payload) => published.push({ topic: t, reason: (JSON.parse(payload.toString()) as { reason: string }).reason }));
    await operator.subscribeAsync('parcours/quarantine/#', { qos: 0 });
    const topic = 'parcours/devices/cm-1/telemetry';
    await device.publishAsync(topic, '{"ts": 1, "seq": ', { qos: 1 });
    await device.publishAsync(topic, JSON.stringify({ ts: t0, seq: 'two', metrics: { power_w: 'high' } }), { qos: 1 });
    // A device writing on another device's topic breaks the ACL: quarantined (topic mismatch), then disconnected.
    for (const [target, seq] of [
      ['tv-1', 3],
      ['ghost', 4],
    ] as const) {
      const intruder = await connect('cm-1', secret);
      const closed = new Promise<void>((resolve) => intruder.once('close', () => resolve()));
      intruder.publish(`parcours/devices/${target}/telemetry`, JSON.stringify({ ts: t0, seq, metrics: { power_w: 1 } }), { qos: 1 });
      await closed;
    }
    const anonymous = await connect(); // allowed in this test's configuration
    await anonymous.publishAsync('parcours/devices/ghost/telemetry', JSON.stringify({ ts: t0, seq: 4, metrics: { power_w: 1 } }), { qos: 1 });
    await device.publishAsync(topic, JSON.stringify({ ts: t0, seq: 5, metrics: { power_w: 5 } }), { qos: 1 });

    expect(app.gateway.log.count()).toBe(1);
    const listed = await api<{ items: { reason: string; detail: string; payload: string }[]; countsByReason: Record<string, number> }>(
      app.urls.http,
      'GET',
      '/api/v1/quarantine',
    );
    expect(listed.body.countsByReason).toEqual({
      [errorCodes.badJson]: 1,
      [errorCodes.schema]: 1,
      [errorCodes.topicMismatch]: 2,
      [errorCodes.unknownDevice]: 1,
    });
    const schemaEntry = listed.body.items.find((e) => e.reason === errorCodes.schema)!;
    expect(schemaEntry.detail).toMatch(/seq: .*metrics\.power_w: /);
    expect(Buffer.from(listed.body.items.find((e) => e.reason === errorCodes.badJson)!.payload, 'base64').toString()).toBe('{"ts": 1, "seq": ');
    const metrics = await scrapeMetrics(app.urls.http);
    expect(metrics).toContain(`parcours_messages_quarantined_total{reason="${errorCodes.unknownDevice}"} 1`);
    const announced = (topic: string, reason: string) => published.some((p) => p.topic === topic && p.reason === reason);
    await waitUntil(() => announced('parcours/quarantine/cm-1', errorCodes.badJson) && announced('parcours/quarantine/ghost', errorCodes.unknownDevice));
  });

  it('derives a usage session, serves it and publishes it for integrators', async () => {
    const { secret } = await register();
    const device = await connect('cm-1', secret);
    const crm = app.gateway.apiKeys.create({ name: 'crm', role: 'integrator', subjects: ['home'] });
    const integrator = await connect('crm', crm.key);
    const published = new Promise<{ topic: string; body: unknown }>((resolve) => {
      integrator.on('message', (topic, payload) => resolve({ topic, body: JSON.parse(payload.toString()) }));
    });
    await integrator.subscribeAsync('parcours/subjects/home/sessions', { qos: 1 });
    const events = [
      { ts: t0, seq: 10, type: 'usage.start', actor: 'ana' },
      { ts: t0 + 60_000, seq: 11, type: 'interaction', attrs: { recipe: 'espresso' } },
      { ts: t0 + 120_000, seq: 12, type: 'usage.stop' },
    ];
    for (const e of events) await device.publishAsync('parcours/devices/cm-1/events', JSON.stringify(e), { qos: 1 });
    await app.drained();

    const range = `from=${new Date(t0 - 1000).toISOString()}&to=${new Date(t0 + 1000).toISOString()}`;
    for (const subject of ['home', 'ana']) {
      const sessions = await api<{ items: unknown[] }>(app.urls.http, 'GET', `/api/v1/subjects/${subject}/sessions?${range}`);
      expect(sessions.body.items).toEqual([
        expect.objectContaining({
          deviceId: 'cm-1',
          subjectId: 'home',
          actor: 'ana',
          start: new Date(t0).toISOString(),
          end: new Date(t0 + 120_000).toISOString(),
          durationS: 120,
          events: 3,
          closedBy: 'stop',
        }),
      ]);
    }
    const message = await published;
    expect(message.topic).toMatch(/^parcours\/subjects\/(home|ana)\/sessions$/);
    expect(message.body).toMatchObject({ deviceId: 'cm-1', durationS: 120 });
  });

  it('keeps the registry, the log and open sessions across a restart', async () => {
    const { secret } = await register();
    let device = await connect('cm-1', secret);
    await device.publishAsync('parcours/devices/cm-1/events', JSON.stringify({ ts: t0, seq: 1, type: 'usage.start' }), { qos: 1 });
    await app.drained();
    await device.endAsync();
    await app.stop();

    app = await startApp({ ...app.config, mqtt: { ...app.config.mqtt, port: 0 }, http: { ...app.config.http, port: 0 } });
    device = await connect('cm-1', secret);
    await device.publishAsync('parcours/devices/cm-1/events', JSON.stringify({ ts: t0 + 90_000, seq: 2, type: 'usage.stop' }), { qos: 1 });
    await app.drained();
    expect(app.gateway.log.count()).toBe(2);
    expect(app.analytics.sessionStore.listForSubject('home', t0, t0 + 1, 10)).toEqual([
      expect.objectContaining({ start: t0, end: t0 + 90_000, events: 2, closedBy: 'stop' }),
    ]);
  });

  it('answers bad API requests with a stable code and the failing paths', async () => {
    const response = await fetch(`${app.urls.http}/api/v1/subjects`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey()}` },
      body: JSON.stringify({ kind: 'robot', name: '' }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const bad = (await response.json()) as { type: string; status: number; code: string; errors: { path: string }[] };
    expect(bad).toMatchObject({ type: `urn:parcours:error:${errorCodes.validation}`, status: 400, code: errorCodes.validation });
    expect(bad.errors.map((d) => d.path)).toEqual(expect.arrayContaining(['body.kind', 'body.name', 'body.type']));
    const missing = await api<{ code: string }>(app.urls.http, 'GET', '/api/v1/devices/nope');
    expect(missing).toMatchObject({ status: 404, body: { code: errorCodes.notFound } });
    await register();
    const overlap = await api<{ code: string }>(app.urls.http, 'POST', '/api/v1/devices/cm-1/assignments', {
      subjectId: 'ana',
      validFrom: '2026-01-01T00:00:00Z',
    });
    expect(overlap).toMatchObject({ status: 409, body: { code: errorCodes.overlap } });
    const openapi = await api<{ paths: Record<string, unknown> }>(app.urls.http, 'GET', '/openapi.json');
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/api/v1/subjects', '/api/v1/subjects/{id}/sessions', '/api/v1/quarantine']));
    // Every analytics route: sessions, journeys, aggregates, funnels, retention.
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/subjects/{id}/journeys',
        '/api/v1/devices/{id}/sessions',
        '/api/v1/funnels',
        '/api/v1/funnels/{name}',
        '/api/v1/retention',
        '/api/v1/transitions',
        '/api/v1/activity',
        '/api/v1/shared-usage',
      ]),
    );
    expect((await api(app.urls.http, 'GET', '/healthz')).status).toBe(200);
  });
});
