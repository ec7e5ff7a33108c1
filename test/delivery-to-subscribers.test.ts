import { type ChildProcess, spawn } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';
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

describe('a subscriber killed during a flood', () => {
  let app: ParcoursApp;
  let devices: MqttClient[];

  beforeAll(async () => {
    app = await startApp(testConfig({ data: { sync: 'normal' } }));
    devices = await connectDevices(app, 100);
  });

  afterAll(async () => {
    await Promise.all(devices.map((device) => device.endAsync(true)));
    await app.stop();
  });

  it('leaves the broker serving the others', async () => {
    const subscriber = await spawnStalledSubscriber(app.urls.mqtt, { clientId: 'stalled-admin', filter: 'parcours/devices/#', clean: false });
    const exited = new Promise((resolve) => subscriber.once('exit', resolve));
    // Fill the stalled subscriber's connection, so that deliveries to it wait while the devices flood.
    const admin = await mqtt.connectAsync(app.urls.mqtt, { username: 'admin', password: adminKey(), reconnectPeriod: 0 });
    const filler = Buffer.alloc(256 * 1024, 'x');
    for (let i = 0; i < 32; i++) await admin.publishAsync('parcours/devices/d0/commands/fill', filler, { qos: 0 });
    await Promise.all(devices.map((device, i) => flood(device, i, 150)));
    // Each message is stored before it is fanned out: once all are, they are waiting for (or past) the fan-out.
    await waitUntil(() => app.gateway.log.count() === 15_000);
    subscriber.kill('SIGKILL');
    await exited;
    await waitUntil(() => app.broker.connectedClients === devices.length + 1);

    const watcher = await connectRecording(app.urls.mqtt, { username: 'admin', password: adminKey() });
    await watcher.client.subscribeAsync('parcours/devices/d1/#', { qos: 1 });
    await devices[1]!.publishAsync('parcours/devices/d1/telemetry', JSON.stringify({ ts: t0, seq: 10_000, metrics: { power_w: 1 } }), { qos: 1 });
    await waitUntil(() => watcher.messages.some((message) => message.payload.includes('10000')));
    expect((await fetch(`${app.urls.http}/healthz`)).status).toBe(200);
    await watcher.client.endAsync();
    await admin.endAsync();
  });
});
