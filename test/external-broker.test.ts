import { errorCodes, type Config } from '@parcours/contracts';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { startMosquitto } from '../tools/services/index.js';
import { api, startApp, testConfig } from './helpers.js';

/**
 * External broker mode against Debian's Mosquitto 2 speaking MQTT 5: two Parcours nodes, each with its
 * own data folder, split the device messages through `$share/parcours/…` subscriptions; every message a
 * device got a PUBACK for ends up stored exactly once across the two nodes, through restarts and failures.
 */
const devices = ['d1', 'd2', 'd3'];
const t0 = Date.UTC(2026, 0, 5, 8);
let mosquitto: Awaited<ReturnType<typeof startMosquitto>>;
let nodes: ParcoursApp[] = [];
let clients: MqttClient[] = [];

// A fresh broker for each test: the persistent sessions of a previous test's nodes would keep taking a share.
beforeEach(async () => {
  mosquitto = await startMosquitto();
});

afterEach(async () => {
  await Promise.all(clients.map((client) => client.endAsync(true)));
  await Promise.all(nodes.map((node) => node.stop()));
  clients = [];
  nodes = [];
  await mosquitto.stop();
});

/** A node in external mode with its own data folder, its devices registered in its own registry. */
async function startNode(logLevel: Config['log']['level'] = 'error'): Promise<ParcoursApp> {
  const node = await startApp(testConfig({ mqtt: { mode: 'external', externalUrl: mosquitto.url }, log: { level: logLevel } }));
  for (const id of devices) expect((await api(node.urls.http, 'POST', '/api/v1/devices', { id, type: 'meter' }, node.initialAdminKey)).status).toBe(201);
  nodes.push(node);
  return node;
}

/** A stopped node started again on the same data folder, hence with the same client id and session. */
async function restart(node: ParcoursApp): Promise<ParcoursApp> {
  const again = await startApp(node.config);
  nodes[nodes.indexOf(node)] = again;
  return again;
}

async function device(id: string, protocolVersion: 4 | 5): Promise<MqttClient> {
  const client = await mqtt.connectAsync(mosquitto.url, { clientId: id, protocolVersion, reconnectPeriod: 0 });
  clients.push(client);
  return client;
}

function telemetry(client: MqttClient, id: string, seq: number): Promise<unknown> {
  return client.publishAsync(`parcours/devices/${id}/telemetry`, JSON.stringify({ ts: t0 + seq * 1000, seq, metrics: { value: seq } }), { qos: 1 });
}

/** Every stored `deviceId/seq`, node by node. */
function storedKeys(): string[][] {
  return nodes.map((node) => node.gateway.log.readAfter(0, 100_000, false).map((r) => `${r.deviceId}/${r.seq}`));
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until `expected` messages are stored, then a little longer to catch any duplicate. */
async function settled(expected: number): Promise<string[][]> {
  await waitUntil(() => storedKeys().flat().length >= expected, `${expected} messages are stored`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return storedKeys();
}

function expectExactlyOnce(perNode: string[][], published: string[]): void {
  const all = perNode.flat();
  expect(all).toHaveLength(published.length); // no duplicate within or across the nodes…
  expect(new Set(all)).toEqual(new Set(published)); // …and nothing missing
}

describe('external broker mode (Mosquitto, MQTT 5 shared subscriptions)', () => {
  it('splits QoS 1 messages of MQTT 5 and 3.1.1 devices between two nodes, each stored exactly once', async () => {
    await startNode();
    await startNode();
    const perDevice = 100;
    const published: string[] = [];
    await Promise.all(
      devices.map(async (id, i) => {
        const client = await device(id, i % 2 === 0 ? 5 : 4);
        for (let seq = 1; seq <= perDevice; seq++) {
          await telemetry(client, id, seq);
          published.push(`${id}/${seq}`);
        }
      }),
    );
    const perNode = await settled(published.length);
    expectExactlyOnce(perNode, published);
    for (const keys of perNode) expect(keys.length).toBeGreaterThan(published.length / 10); // both took a real share
    expect((await api(nodes[0]!.urls.http, 'GET', '/healthz')).status).toBe(200);
  });

  it('loses nothing while a node restarts mid-stream: its share waits in its session or goes to the other node', async () => {
    const a = await startNode();
    await startNode();
    const published: string[] = [];
    let stop = false;
    const publishing = Promise.all(
      devices.map(async (id) => {
        const client = await device(id, 5);
        for (let seq = 1; !stop; seq++) {
          await telemetry(client, id, seq);
          published.push(`${id}/${seq}`);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      }),
    );
    await waitUntil(() => a.gateway.log.count() > 30, 'node a stored some messages');
    await a.stop();
    const whileDown = published.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(published.length).toBeGreaterThan(whileDown + 30); // devices kept publishing while a was down
    const again = await restart(a);
    const storedBefore = again.gateway.log.count();
    await new Promise((resolve) => setTimeout(resolve, 500));
    stop = true;
    await publishing;
    const perNode = await settled(published.length);
    expectExactlyOnce(perNode, published);
    expect(again.gateway.log.count()).toBeGreaterThan(storedBefore); // the restarted node resumed its share
  });

  it("keeps a stopped node's share in its session until it comes back (Mosquitto queues for offline members)", async () => {
    const a = await startNode();
    const b = await startNode();
    await a.stop();
    const client = await device('d1', 5);
    const published: string[] = [];
    for (let seq = 1; seq <= 60; seq++) {
      await telemetry(client, 'd1', seq);
      published.push(`d1/${seq}`);
    }
    let seen = -1;
    await waitUntil(() => seen === (seen = b.gateway.log.count()), 'node b is idle');
    expect(b.gateway.log.count()).toBeGreaterThan(0);
    expect(b.gateway.log.count()).toBeLessThan(published.length); // the rest waits for a
    const again = await restart(a);
    expectExactlyOnce(await settled(published.length), published);
    expect(again.gateway.log.count()).toBe(published.length - b.gateway.log.count());
  });

  it('does not acknowledge a message its store refused: the broker sends it again, and it is stored once', async () => {
    const node = await startNode('silent'); // the refused writes are logged as errors, on purpose here
    node.gateway.db.pragma('query_only = ON'); // every write now fails, as on a full or broken disk
    const client = await device('d1', 5);
    await telemetry(client, 'd1', 1);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // at least one redelivery, refused again
    expect(node.gateway.log.count()).toBe(0);
    node.gateway.db.pragma('query_only = OFF');
    await waitUntil(() => node.gateway.log.count() === 1, 'the redelivered message is stored');
    await telemetry(client, 'd1', 2);
    expectExactlyOnce(await settled(2), ['d1/1', 'd1/2']);
  });

  it("publishes the platform's messages (quarantine) on the external broker", async () => {
    const node = await startNode();
    const operator = await device('operator', 5);
    const quarantined = new Promise<{ topic: string; reason: string }>((resolve) => {
      operator.on('message', (topic, payload) => resolve({ topic, reason: (JSON.parse(payload.toString()) as { reason: string }).reason }));
    });
    await operator.subscribeAsync('parcours/quarantine/#', { qos: 1 });
    const ghost = await device('ghost', 5);
    await ghost.publishAsync('parcours/devices/ghost/telemetry', JSON.stringify({ ts: t0, seq: 1, metrics: { value: 1 } }), { qos: 1 });
    expect(await quarantined).toEqual({ topic: 'parcours/quarantine/ghost', reason: errorCodes.unknownDevice });
    expect(node.urls.mqtt).toBe(mosquitto.url);
  });
});
