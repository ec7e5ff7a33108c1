import { type ChildProcess, spawn } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, scrapeMetrics, startApp, testConfig } from './helpers.js';

const noShedding = { overloadBacklog: 1_000_000, overloadBusy: '1h' };
import { connectRecording, waitUntil } from './mqtt-clients.js';

const t0 = Date.UTC(2026, 0, 1);
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Registers `count` devices through the API and connects each with its own credentials. */
async function connectDevices(app: ParcoursApp, count: number): Promise<MqttClient[]> {
  const secrets: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await api<{ credentials: { secret: string } }>(app.urls.http, 'POST', '/api/v1/devices', { id: `d${i}`, type: 'meter' });
    secrets.push(created.body.credentials.secret);
  }
  return Promise.all(
    secrets.map((secret, i) => mqtt.connectAsync(app.urls.mqtt, { clientId: `d${i}`, username: `d${i}`, password: secret, reconnectPeriod: 0 })),
  );
}

/** Sends `count` QoS 0 telemetry messages from device `i` without waiting for anything. */
function flood(device: MqttClient, i: number, count: number): Promise<void> {
  const written: Promise<void>[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const payload = JSON.stringify({ ts: t0 + seq, seq, metrics: { power_w: seq } });
    written.push(new Promise((resolve) => device.publish(`parcours/devices/d${i}/telemetry`, payload, { qos: 0 }, () => resolve())));
  }
  return Promise.all(written).then(() => undefined);
}

/**
 * An MQTT client in its own process that subscribes, then reads nothing more from its socket: deliveries to
 * it pile up in the broker once the connection's buffers are full. Raw bytes, since MQTT.js keeps reading.
 */
async function spawnStalledSubscriber(url: string, options: { clientId: string; filter: string; clean: boolean }): Promise<ChildProcess> {
  const script = `
    const [port, clientId, key, filter, clean] = process.argv.slice(1);
    const field = (value) => Buffer.concat([Buffer.from([0, Buffer.byteLength(value)]), Buffer.from(value)]);
    const packet = (type, body) => Buffer.concat([Buffer.from([type, ...(body.length < 128 ? [body.length] : [(body.length % 128) | 128, body.length >> 7])]), body]);
    const connect = Buffer.concat([field('MQTT'), Buffer.from([4, 0b1100_0000 | (clean === 'true' ? 2 : 0), 0, 0]), field(clientId), field('admin'), field(key)]);
    const subscribe = Buffer.concat([Buffer.from([0, 1]), field(filter), Buffer.from([1])]);
    const socket = require('node:net').connect(Number(port), '127.0.0.1', () => socket.write(Buffer.concat([packet(0x10, connect), packet(0x82, subscribe)])));
    socket.on('error', () => undefined);
    setInterval(() => undefined, 60_000); // a socket that does not read keeps no process alive
    let received = Buffer.alloc(0);
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      if (received.includes(Buffer.from([0x90, 3, 0, 1]))) { socket.pause(); console.log('subscribed'); }
    });`;
  const args = [new URL(url).port, options.clientId, adminKey(), options.filter, String(options.clean)];
  const child = spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the subscriber exited (${code})`)));
  });
  return child;
}

/** Sends 8 MiB of commands to `parcours/devices/d0/commands/fill`: more than a stalled subscriber's connection holds. */
async function fillConnection(app: ParcoursApp): Promise<void> {
  const admin = await mqtt.connectAsync(app.urls.mqtt, { username: 'admin', password: adminKey(), reconnectPeriod: 0 });
  const filler = Buffer.alloc(256 * 1024, 'x');
  for (let i = 0; i < 32; i++) await admin.publishAsync('parcours/devices/d0/commands/fill', filler, { qos: 0 });
  await admin.endAsync();
}

async function waitForSlowClient(app: ParcoursApp): Promise<void> {
  await waitUntil(async () => /parcours_mqtt_slow_clients\{listener="tcp"\} 1/.test(await scrapeMetrics(app.urls.http)));
}

/** `count` telemetry messages of device d0 from `seq`, 50 in flight at a time (each acknowledged at QoS 1). */
async function sendTelemetry(device: MqttClient, seq: number, count: number, qos: 0 | 1 = 1): Promise<void> {
  for (let start = seq; start < seq + count; start += 50) {
    const batch = Array.from({ length: Math.min(50, seq + count - start) }, (_, i) => {
      const n = start + i;
      return device.publishAsync('parcours/devices/d0/telemetry', JSON.stringify({ ts: t0 + n, seq: n, metrics: { power_w: n } }), { qos });
    });
    await Promise.all(batch);
  }
}

describe('a subscriber killed during a flood', () => {
  let app: ParcoursApp;
  let devices: MqttClient[];

  beforeAll(async () => {
    // Shedding QoS 0 under overload is not what is tested here: every flood message must reach the broker's fan-out.
    app = await startApp(testConfig({ data: { sync: 'normal' }, mqtt: noShedding }));
    devices = await connectDevices(app, 100);
  });

  afterAll(async () => {
    await Promise.all(devices.map((device) => device.endAsync(true)));
    await app.stop();
  });

  it('leaves the broker serving the others', async () => {
    const subscriber = await spawnStalledSubscriber(app.urls.mqtt, { clientId: 'stalled-admin', filter: 'parcours/devices/#', clean: false });
    const exited = new Promise((resolve) => subscriber.once('exit', resolve));
    // Deliveries to it wait while the devices flood.
    await fillConnection(app);
    await waitForSlowClient(app);
    await Promise.all(devices.map((device, i) => flood(device, i, 150)));
    // Each message is stored before it is fanned out: once all are, they are waiting for (or past) the fan-out.
    await waitUntil(() => app.gateway.log.count() === 15_000);
    subscriber.kill('SIGKILL');
    await exited;
    await waitUntil(() => app.broker.connectedClients === devices.length);

    const watcher = await connectRecording(app.urls.mqtt, { username: 'admin', password: adminKey() });
    await watcher.client.subscribeAsync('parcours/devices/d1/#', { qos: 1 });
    await devices[1]!.publishAsync('parcours/devices/d1/telemetry', JSON.stringify({ ts: t0, seq: 10_000, metrics: { power_w: 1 } }), { qos: 1 });
    await waitUntil(() => watcher.messages.some((message) => message.payload.includes('10000')));
    expect((await fetch(`${app.urls.http}/healthz`)).status).toBe(200);
    await watcher.client.endAsync();
  });
});

describe('a subscriber that stops reading', () => {
  let app: ParcoursApp;
  let device: MqttClient;

  beforeAll(async () => {
    app = await startApp(testConfig({ data: { sync: 'normal' }, mqtt: { ...noShedding, maxQueuedMessages: 200, maxQueuedBytes: 64 * 1024 * 1024 } }));
    [device] = (await connectDevices(app, 1)) as [MqttClient];
  });

  afterAll(async () => {
    await device.endAsync(true);
    await app.stop();
  });

  it('is disconnected once its queue is full, holding back neither ingest, nor the platform, nor the other subscribers', async () => {
    const watcher = await connectRecording(app.urls.mqtt, { username: 'admin', password: adminKey() });
    await watcher.client.subscribeAsync(['parcours/devices/d0/telemetry', 'parcours/devices/d0/commands/ping'], { qos: 1 });
    await spawnStalledSubscriber(app.urls.mqtt, { clientId: 'stalled-integrator', filter: 'parcours/devices/#', clean: true });
    await fillConnection(app);
    await waitForSlowClient(app);
    expect(await scrapeMetrics(app.urls.http)).toMatch(/parcours_mqtt_slowest_client_queued_messages\{listener="tcp",client_id="stalled-integrator"\} \d+/);

    // The platform's own publishes (derived results for integrators) are not held back by it.
    await app.broker.publish('parcours/devices/d0/commands/ping', 'ping', { qos: 1 });
    await waitUntil(() => watcher.messages.some((message) => message.payload === 'ping'));
    // Nor is ingest: QoS 0 messages, whose oldest it loses once its queue is full, then QoS 1 messages, each
    // acknowledged; all reach the subscriber that reads.
    await sendTelemetry(device, 1, 300, 0);
    await waitUntil(async () =>
      /parcours_mqtt_deliveries_dropped_total\{listener="tcp",qos="0",reason="queue_full"\} [1-9]/.test(await scrapeMetrics(app.urls.http)),
    );
    await sendTelemetry(device, 301, 400);
    await waitUntil(() => app.gateway.log.count() === 700);
    await waitUntil(() => watcher.messages.filter((message) => message.topic.endsWith('/telemetry')).length === 700);

    // Its queue filled with QoS 1 messages: it was disconnected, and what it lost counted.
    await waitUntil(() => app.broker.connectedClients === 2);
    const metrics = await scrapeMetrics(app.urls.http);
    expect(metrics).toMatch(/parcours_mqtt_limit_breaches_total\{listener="tcp",limit="queued_messages"\} 1\n/);
    expect(metrics).toMatch(/parcours_mqtt_deliveries_dropped_total\{listener="tcp",qos="1",reason="disconnected"\} [1-9]\d*\n/);
    expect(metrics).toMatch(/parcours_mqtt_slow_clients\{listener="tcp"\} 0\n/);
    await watcher.client.endAsync();
  });

  it('parks a persistent session: its QoS 1 messages come on its return', async () => {
    await spawnStalledSubscriber(app.urls.mqtt, { clientId: 'stalled-mirror', filter: 'parcours/devices/d0/#', clean: false });
    await fillConnection(app);
    await waitForSlowClient(app);
    const clients = app.broker.connectedClients;
    await sendTelemetry(device, 1001, 300);
    await waitUntil(() => app.broker.connectedClients === clients - 1);

    const mirror = await connectRecording(app.urls.mqtt, { clientId: 'stalled-mirror', clean: false, username: 'admin', password: adminKey() });
    const seqs = () => new Set(mirror.messages.filter((m) => m.topic.endsWith('/telemetry')).map((m) => (JSON.parse(m.payload) as { seq: number }).seq));
    await waitUntil(() => seqs().size === 300);
    expect(Math.min(...seqs())).toBe(1001);
    await mirror.client.endAsync();
  });
});

describe('a subscriber that reads nothing at all', () => {
  let app: ParcoursApp;

  beforeAll(async () => {
    app = await startApp(testConfig({ mqtt: { sendTimeout: '1s' } }));
  });

  afterAll(() => app.stop());

  it('is disconnected after mqtt.sendTimeout, and counted', async () => {
    await spawnStalledSubscriber(app.urls.mqtt, { clientId: 'stalled-reader', filter: 'parcours/devices/#', clean: true });
    await fillConnection(app);
    await waitUntil(() => app.broker.connectedClients === 0);
    expect(await scrapeMetrics(app.urls.http)).toMatch(/parcours_mqtt_limit_breaches_total\{listener="tcp",limit="send_timeout"\} 1\n/);
  });
});
