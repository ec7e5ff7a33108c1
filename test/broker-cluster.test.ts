import type { Config } from '@parcours/contracts';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { startRedis } from '../tools/services/index.js';
import { api, startApp, testConfig } from './helpers.js';
import { connectRecording, settle, waitUntil, type RecordingClient } from './mqtt-clients.js';

/**
 * Cluster mode: two Parcours nodes, each with its own data folder, share one real Redis for the broker's
 * persistence and emitter. A message crosses nodes, is ingested only by the node its device is connected
 * to, and a persistent session follows its client from one node to the other.
 */
const adminKey = 'cluster-test-admin-key-0123456789';
const t0 = Date.UTC(2026, 0, 5, 8);
let redis: Awaited<ReturnType<typeof startRedis>>;
let nodes: ParcoursApp[] = [];
let clients: MqttClient[] = [];

// A fresh Redis per test: the sessions a test leaves there would otherwise meet the next one.
beforeEach(async () => {
  redis = await startRedis();
});

afterEach(async () => {
  await Promise.all(clients.map((client) => client.endAsync()));
  clients = [];
  await Promise.all(nodes.map((node) => node.stop()));
  nodes = [];
  await redis.stop();
});

function nodeConfig(): Config {
  // Anonymous clients stand for integrators; the device has credentials on the node it uses.
  return testConfig({ mqtt: { persistence: 'redis', redisUrl: redis.url, allowAnonymous: true }, http: { adminKey } });
}

async function startNodes(): Promise<[ParcoursApp, ParcoursApp]> {
  nodes = [await startApp(nodeConfig()), await startApp(nodeConfig())];
  return nodes as [ParcoursApp, ParcoursApp];
}

async function connect(node: ParcoursApp, options: Parameters<typeof connectRecording>[1]): Promise<RecordingClient> {
  const recording = await connectRecording(node.urls.mqtt, options);
  clients.push(recording.client);
  return recording;
}

/** Registers the device on a node (each node has its own registry) and returns its secret there. */
async function registerDevice(node: ParcoursApp, id: string): Promise<string> {
  const created = await api<{ credentials: { secret: string } }>(node.urls.http, 'POST', '/api/v1/devices', { id, type: 'meter' }, adminKey);
  expect(created.status).toBe(201);
  return created.body.credentials.secret;
}

function telemetry(seq: number): string {
  return JSON.stringify({ ts: t0 + seq * 1000, seq, metrics: { power_w: seq } });
}

describe('broker cluster (mqtt.persistence: redis)', () => {
  it("delivers a device's message to a subscriber on the other node, and only the device's node stores it", async () => {
    const [a, b] = await startNodes();
    await registerDevice(a, 'm-1');
    const secret = await registerDevice(b, 'm-1');
    const subscriber = await connect(a, { clientId: 'integrator' });
    await subscriber.client.subscribeAsync('parcours/devices/+/telemetry', { qos: 1 });

    const device = await connect(b, { clientId: 'm-1', username: 'm-1', password: secret });
    await device.client.publishAsync('parcours/devices/m-1/telemetry', telemetry(1), { qos: 1 });
    expect(b.gateway.log.count()).toBe(1); // stored before the PUBACK, on the device's node
    await waitUntil(() => subscriber.messages.length >= 1);
    await settle();
    expect(subscriber.messages).toEqual([{ topic: 'parcours/devices/m-1/telemetry', payload: telemetry(1), retain: false }]);
    expect(a.gateway.log.count()).toBe(0);
    expect(b.gateway.log.count()).toBe(1);
  });

  it('delivers the messages queued on Redis for a persistent session when its client comes back on the other node', async () => {
    const [a, b] = await startNodes();
    await registerDevice(a, 'm-1');
    const secret = await registerDevice(b, 'm-1');
    const watcher = { clientId: 'watcher', clean: false };
    const first = await connect(a, watcher);
    await first.client.subscribeAsync('parcours/devices/+/telemetry', { qos: 1 });
    await first.client.endAsync();

    const device = await connect(b, { clientId: 'm-1', username: 'm-1', password: secret });
    await device.client.publishAsync('parcours/devices/m-1/telemetry', telemetry(2), { qos: 1 });

    const back = await connect(b, watcher);
    expect(back.connack.sessionPresent).toBe(true);
    await waitUntil(() => back.messages.length >= 1);
    await settle();
    expect(back.messages).toEqual([{ topic: 'parcours/devices/m-1/telemetry', payload: telemetry(2), retain: false }]);
    expect([a.gateway.log.count(), b.gateway.log.count()]).toEqual([0, 1]);
  });

  it('delivers a platform command queued on one node to the device when it connects to the other', async () => {
    const [a, b] = await startNodes();
    const secretOnA = await registerDevice(a, 'm-1');
    const secretOnB = await registerDevice(b, 'm-1');
    const online = await connect(b, { clientId: 'm-1', username: 'm-1', password: secretOnB, clean: false });
    await online.client.subscribeAsync('parcours/devices/m-1/commands/#', { qos: 1 });
    await online.client.endAsync();

    await b.stop(); // the device's node goes away with it; its session stays on Redis
    nodes = [a];
    await a.broker.publish('parcours/devices/m-1/commands/reset', 'now', { qos: 1 });
    const back = await connect(a, { clientId: 'm-1', username: 'm-1', password: secretOnA, clean: false });
    expect(back.connack.sessionPresent).toBe(true);
    await waitUntil(() => back.messages.length >= 1);
    expect(back.messages).toEqual([{ topic: 'parcours/devices/m-1/commands/reset', payload: 'now', retain: false }]);
  });
});
