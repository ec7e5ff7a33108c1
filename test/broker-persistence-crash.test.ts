import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../tools/services/index.js';
import { connectRecording, waitUntil } from './mqtt-clients.js';
import { nodeEnv } from './node-process.js';

/**
 * The broker's LevelDB state is written through to the operating system as it changes, so it outlives
 * a SIGKILL of Parcours, not only a clean stop (a power cut is another matter: LevelDB does not fsync).
 */
const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
let server: ChildProcess | null = null;
let clients: MqttClient[] = [];

async function start(dataDir: string, ports: { http: number; mqtt: number }): Promise<void> {
  server = spawn('node', [bin, 'start'], {
    env: nodeEnv(ports, {
      PARCOURS_DATA_DIR: dataDir,
      PARCOURS_MQTT_ALLOW_ANONYMOUS: 'true',
      PARCOURS_MQTT_ANONYMOUS_ACL: 'readwrite lab/#',
      PARCOURS_MQTT_NODE_HEARTBEAT: '1s',
      PARCOURS_HTTP_ADMIN_KEY: 'broker-crash-admin-key-0123456789',
    }),
    stdio: 'ignore',
  });
  const child = server;
  await waitUntil(() => {
    if (child.exitCode !== null) throw new Error(`Parcours exited with ${child.exitCode} while starting`);
    return fetch(`http://127.0.0.1:${ports.http}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
  }, 120_000);
}

async function kill(): Promise<void> {
  const child = server!;
  server = null;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

afterEach(async () => {
  await Promise.all(clients.map((client) => client.endAsync()));
  clients = [];
  if (server) await kill();
});

describe('broker persistence after SIGKILL', () => {
  it("delivers a persistent session's queued QoS 1 message and keeps a retained one", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parcours-broker-crash-'));
    const ports = { http: await freePort(), mqtt: await freePort() };
    const url = `mqtt://127.0.0.1:${ports.mqtt}`;
    await start(dataDir, ports);
    const subscriber = await connectRecording(url, { clientId: 'field-tablet', clean: false });
    await subscriber.client.subscribeAsync('lab/queue/#', { qos: 1 });
    await subscriber.client.endAsync();
    const observer = await connectRecording(url, { clientId: 'observer' });
    clients.push(observer.client);
    await observer.client.subscribeAsync('lab/#', { qos: 1 });
    const publisher = await connectRecording(url, { clientId: 'publisher' });
    clients.push(publisher.client);
    await publisher.client.publishAsync('lab/queue/1', 'queued before the crash', { qos: 1 });
    await publisher.client.publishAsync('lab/retained', 'kept', { qos: 1, retain: true });
    // aedes acknowledges a QoS 1 message before it stores it (retained) and queues it for offline sessions,
    // and delivers it to online ones after both: once the observer has the two, they are written.
    await waitUntil(() => observer.messages.length >= 2);
    await kill();

    await start(dataDir, ports);
    const back = await connectRecording(url, { clientId: 'field-tablet', clean: false });
    clients.push(back.client);
    expect(back.connack.sessionPresent).toBe(true);
    await back.client.subscribeAsync('lab/retained', { qos: 1 });
    await waitUntil(() => back.messages.length >= 2);
    // The queue is replayed after the CONNACK while the retained message answers the SUBSCRIBE: either may come first.
    expect(back.messages).toHaveLength(2);
    expect(back.messages).toContainEqual({ topic: 'lab/queue/1', payload: 'queued before the crash', retain: false });
    expect(back.messages).toContainEqual({ topic: 'lab/retained', payload: 'kept', retain: true });
  });

  it('records the offline status of a device whose will the crash left behind, once Parcours is back', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parcours-broker-crash-'));
    const ports = { http: await freePort(), mqtt: await freePort() };
    const http = `http://127.0.0.1:${ports.http}`;
    const headers = { authorization: 'Bearer broker-crash-admin-key-0123456789', 'content-type': 'application/json' };
    await start(dataDir, ports);
    const created = await fetch(`${http}/api/v1/devices`, { method: 'POST', headers, body: JSON.stringify({ id: 'lamp-1', type: 'lamp' }) });
    const { secret } = ((await created.json()) as { credentials: { secret: string } }).credentials;
    const status = 'parcours/devices/lamp-1/status';
    const device = await connectRecording(`mqtt://127.0.0.1:${ports.mqtt}`, {
      clientId: 'lamp-1',
      username: 'lamp-1',
      password: secret,
      reconnectPeriod: 0,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    device.client.on('error', () => undefined);
    await device.client.publishAsync(status, 'online', { qos: 1, retain: true });
    await kill(); // the device's connection dies with the process: nobody was there to publish its will

    await start(dataDir, ports);
    const presence = async () =>
      (await (await fetch(`${http}/api/v1/devices/lamp-1/status`, { headers })).json()) as { status: string; changes: { status: string }[] };
    await waitUntil(async () => (await presence()).status === 'offline');
    expect((await presence()).changes.map((c) => c.status)).toEqual(['offline', 'online']);
  });
});
