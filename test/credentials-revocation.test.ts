import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MqttBroker, type Principal } from '@parcours/broker';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { recordMessages, settle, waitUntil } from './mqtt-clients.js';

/** Credentials that stop being valid end the sessions that logged in with them, over real connections. */
let app: ParcoursApp;
const clients: MqttClient[] = [];
const t0 = Date.UTC(2026, 8, 1);
const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
/** Ample on a busy machine: the revocation itself closes the connection at once, or within a second for a command. */
const closeWithin = 20_000;

beforeAll(async () => {
  app = await startApp(testConfig());
  await api(app.urls.http, 'POST', '/api/v1/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await app.stop();
});

async function connect(username: string, password: string): Promise<MqttClient & { closed: boolean }> {
  const client = Object.assign(await mqtt.connectAsync(app.urls.mqtt, { username, password, reconnectPeriod: 0, connectTimeout: 5000 }), { closed: false });
  client.on('close', () => (client.closed = true));
  clients.push(client);
  return client;
}

async function registerDevice(id: string): Promise<string> {
  return (await api<{ credentials: { secret: string } }>(app.urls.http, 'POST', '/api/v1/devices', { id, type: 'meter' })).body.credentials.secret;
}

const telemetry = (seq: number) => JSON.stringify({ ts: t0 + seq, seq, metrics: { power_w: seq } });

describe('a device secret replaced', () => {
  it('closes the connections that logged in with the old one: what they publish next is neither stored nor acknowledged', async () => {
    const secret = await registerDevice('meter-1');
    const device = await connect('meter-1', secret);
    await device.publishAsync('parcours/devices/meter-1/telemetry', telemetry(1), { qos: 1 });
    expect(app.gateway.log.count()).toBe(1);

    const rotated = await api<{ secret: string }>(app.urls.http, 'POST', '/api/v1/devices/meter-1/credentials');
    expect(rotated.status).toBe(201);
    let acknowledged = false;
    device.publish('parcours/devices/meter-1/telemetry', telemetry(2), { qos: 1 }, (error) => (acknowledged = !error));
    await waitUntil(() => device.closed, closeWithin);
    await settle();
    expect(acknowledged).toBe(false);
    expect(app.gateway.log.count()).toBe(1);

    // The old secret is refused; the new one logs in and is acknowledged.
    await expect(mqtt.connectAsync(app.urls.mqtt, { username: 'meter-1', password: secret, reconnectPeriod: 0 })).rejects.toThrow(/Bad username or password/);
    const again = await connect('meter-1', rotated.body.secret);
    await again.publishAsync('parcours/devices/meter-1/telemetry', telemetry(3), { qos: 1 });
    expect(app.gateway.log.count()).toBe(2);
    expect(await scrapeMetrics(app.urls.http)).toMatch(/parcours_mqtt_revoked_disconnects_total\{listener="tcp",credentials="device_secret"\} 1/);
  });

  it('leaves the other devices connected', async () => {
    const [a, b] = [await registerDevice('meter-a'), await registerDevice('meter-b')];
    const [deviceA, deviceB] = [await connect('meter-a', a), await connect('meter-b', b)];
    await api(app.urls.http, 'POST', '/api/v1/devices/meter-a/credentials');
    await waitUntil(() => deviceA.closed, closeWithin);
    await deviceB.publishAsync('parcours/devices/meter-b/telemetry', telemetry(1), { qos: 1 });
    expect(deviceB.closed).toBe(false);
  });
});

describe('a device deleted from the registry', () => {
  it('closes its connections', async () => {
    const device = await connect('meter-gone', await registerDevice('meter-gone'));
    expect((await api(app.urls.http, 'DELETE', '/api/v1/devices/meter-gone')).status).toBe(204);
    await waitUntil(() => device.closed, closeWithin);
    expect(await scrapeMetrics(app.urls.http)).toMatch(/parcours_mqtt_revoked_disconnects_total\{listener="tcp",credentials="device"\} 1/);
  });
});

describe('an API key revoked', () => {
  it('by the `parcours keys revoke` command closes the connections of an integrator that was receiving with it', async () => {
    const key = app.gateway.apiKeys.create({ name: 'crm', role: 'integrator', subjects: ['home'] }).key;
    const other = app.gateway.apiKeys.create({ name: 'bi', role: 'reader' }).key;
    const integrator = await connect('crm', key);
    const reader = await connect('bi', other);
    const messages = recordMessages(integrator);
    await integrator.subscribeAsync('parcours/subjects/home/#', { qos: 1 });
    await app.broker.publish('parcours/subjects/home/sessions', '{"n":1}', { qos: 1 });
    await waitUntil(() => messages.length === 1);

    // The command is another process writing to the same store.
    await promisify(execFile)('node', [bin, 'keys', 'revoke', 'crm'], { env: { ...process.env, PARCOURS_DATA_DIR: app.config.data.dir } });
    await waitUntil(() => integrator.closed, closeWithin);
    await app.broker.publish('parcours/subjects/home/sessions', '{"n":2}', { qos: 1 });
    await settle();
    expect(messages).toHaveLength(1);
    expect(reader.closed).toBe(false);
    await expect(mqtt.connectAsync(app.urls.mqtt, { username: 'crm', password: key, reconnectPeriod: 0 })).rejects.toThrow(/Bad username or password/);
  });

  it('replaced by the server itself (the built-in fleet key) closes the connections that used the old one', async () => {
    const operator = await connect('fleet', app.fleetApiKey());
    const renewed = app.fleetApiKey();
    await waitUntil(() => operator.closed, closeWithin);
    const again = await connect('fleet', renewed);
    expect(again.closed).toBe(false);
    expect(await scrapeMetrics(app.urls.http)).toMatch(/parcours_mqtt_revoked_disconnects_total\{listener="tcp",credentials="api_key"\} 2/);
  });
});

describe('credentials revoked while a login with them is being checked', () => {
  it('refuse that login (CONNACK 4), and only that one', async () => {
    const config = testConfig({ mqtt: { persistence: 'memory' } });
    const logins: { username: string; admit: (principal: Principal) => void }[] = [];
    const broker = new MqttBroker({
      config: config.mqtt,
      dataDir: config.data.dir,
      logger: pino({ level: 'silent' }),
      registry: new Registry(),
      version: 'test',
      hooks: {
        // The credentials check waits here, as one slowed by a busy store would.
        authenticate: (username) => new Promise((admit) => logins.push({ username, admit })),
        deviceExists: () => true,
        isIngestTopic: () => false,
        ingest: () => Promise.resolve(),
      },
    });
    await broker.start();
    try {
      const url = `mqtt://127.0.0.1:${broker.port}`;
      const login = (username: string) => mqtt.connectAsync(url, { username, password: 'secret', reconnectPeriod: 0, connectTimeout: 10_000 });
      const [revoked, kept] = [login('d1'), login('d2')];
      revoked.catch(() => undefined);
      await waitUntil(() => logins.length === 2);
      broker.disconnectRevoked({ kind: 'deviceSecret', deviceId: 'd1' });
      for (const { username, admit } of logins) admit({ kind: 'device', deviceId: username, login: 'secret' });
      await expect(revoked).rejects.toThrow(/Bad username or password/);
      await (await kept).endAsync();
    } finally {
      await broker.stop();
    }
  });
});
