import { errorCodes, ParcoursError, type Config, type ConfigInput } from '@parcours/contracts';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { ParcoursApp } from '../src/app.js';
import { IngestLease } from '../src/nodes/ingest-lease.js';
import { readStoreId } from '../src/nodes/node-identity.js';
import { startMosquitto } from '../tools/services/index.js';
import { acceptsTcp } from '../tools/services/managed-process.js';
import { api, startApp, testConfig } from './helpers.js';
import { type NodeProcess, startNodeProcess } from './node-process.js';
import { fixedPorts, LogTap, refusal, waitFor } from './several-nodes.js';

/**
 * External broker mode against Debian's Mosquitto 2 speaking MQTT 5. The nodes of a shared-subscription
 * group take the ingest lease as a retained claim on the broker, so only one ingests: a second node is
 * refused, a standby on the active node's data folder waits and takes its session over. Every message a
 * device got a PUBACK for ends up stored exactly once, through restarts, take-overs and failures.
 */
const devices = ['d1', 'd2', 'd3'];
const claimTopic = 'parcours/nodes/parcours/ingest';
const t0 = Date.UTC(2026, 0, 5, 8);
let mosquitto: Awaited<ReturnType<typeof startMosquitto>>;
let nodes: ParcoursApp[] = [];
let processes: NodeProcess[] = [];
let clients: MqttClient[] = [];

// A fresh broker for each test: the sessions and the claim of a previous test's nodes would meet the next one.
beforeEach(async () => {
  mosquitto = await startMosquitto();
});

afterEach(async () => {
  await Promise.all(clients.map((client) => client.endAsync(true)));
  await Promise.all(nodes.map((node) => node.stop()));
  await Promise.all(processes.map((child) => child.kill()));
  clients = [];
  nodes = [];
  processes = [];
  await mosquitto.stop();
});

function externalConfig(overrides: ConfigInput = {}): Config {
  return testConfig({ ...overrides, mqtt: { mode: 'external', externalUrl: mosquitto.url, ...overrides.mqtt } });
}

/** A node in external mode with its own data folder, its devices registered. */
async function startNode(overrides: ConfigInput = {}): Promise<ParcoursApp> {
  const node = await startApp(externalConfig(overrides));
  nodes.push(node);
  for (const id of devices) expect((await api(node.urls.http, 'POST', '/api/v1/devices', { id, type: 'meter' }, node.initialAdminKey)).status).toBe(201);
  return node;
}

/** A stopped node started again on the same data folder, hence with the same client id and session. */
async function restart(node: ParcoursApp): Promise<ParcoursApp> {
  const again = await startApp(node.config);
  nodes[nodes.indexOf(node)] = again;
  return again;
}

/** A standby on `dataDir`: its start, pending until it takes over, once its log says it waits. */
async function startStandby(dataDir: string, leaseTtl = '15s'): Promise<{ config: Config; started: Promise<ParcoursApp> }> {
  const config = externalConfig({ data: { dir: dataDir }, http: (await fixedPorts()).http, node: { standby: true, leaseTtl }, log: { level: 'info' } });
  const log = new LogTap();
  const started = startApp(config, log).then((node) => {
    nodes.push(node);
    return node;
  });
  started.catch(() => undefined); // a test that expects it to start awaits it
  await waitFor(async () => log.text.includes('waiting as a standby'), 'the standby waits');
  return { config, started };
}

async function device(id: string, protocolVersion: 4 | 5): Promise<MqttClient> {
  const client = await mqtt.connectAsync(mosquitto.url, { clientId: id, protocolVersion, reconnectPeriod: 0 });
  clients.push(client);
  return client;
}

function telemetry(client: MqttClient, id: string, seq: number): Promise<unknown> {
  return client.publishAsync(`parcours/devices/${id}/telemetry`, JSON.stringify({ ts: t0 + seq * 1000, seq, metrics: { value: seq } }), { qos: 1 });
}

/** Publishes `d1/from` … `d1/to` at QoS 1, each once acknowledged; returns their keys. */
async function publishRange(client: MqttClient, from: number, to: number): Promise<string[]> {
  const keys: string[] = [];
  for (let seq = from; seq <= to; seq++) {
    await telemetry(client, 'd1', seq);
    keys.push(`d1/${seq}`);
  }
  return keys;
}

/** Every stored `deviceId/seq` of a node. */
function storedKeys(node: ParcoursApp): string[] {
  return node.gateway.log.readAfter(0, 100_000, false).map((r) => `${r.deviceId}/${r.seq}`);
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => check(), what, timeoutMs);
}

/** Waits until `expected` messages are stored, then a little longer to catch any duplicate. */
async function settled(node: ParcoursApp, expected: number): Promise<string[]> {
  await waitUntil(() => node.gateway.log.count() >= expected, `${expected} messages are stored`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return storedKeys(node);
}

function expectExactlyOnce(stored: string[], published: string[]): void {
  expect(stored).toHaveLength(published.length); // no duplicate…
  expect(new Set(stored)).toEqual(new Set(published)); // …and nothing missing
}

/** The retained claim on the broker, as a new subscriber gets it (null: none). */
async function retainedClaim(): Promise<{ nodeId: string; storeId: string; pid: number } | null> {
  const probeText = JSON.stringify({ probe: 'test' });
  const reader = await mqtt.connectAsync(mosquitto.url, { protocolVersion: 5, reconnectPeriod: 0 });
  try {
    const claim = new Promise<string>((resolve) => reader.on('message', (_topic, payload, packet) => packet.retain && resolve(payload.toString())));
    await reader.subscribeAsync(claimTopic, { qos: 1 });
    // A probe after the SUBACK: once it is back, the retained claim (if any) has arrived before it.
    const probe = new Promise<null>((resolve) => reader.on('message', (_topic, payload) => payload.toString() === probeText && resolve(null)));
    await reader.publishAsync(claimTopic, probeText, { qos: 1 });
    const text = await Promise.race([claim, probe]);
    return text ? (JSON.parse(text) as { nodeId: string; storeId: string; pid: number }) : null;
  } finally {
    await reader.endAsync();
  }
}

describe('external broker mode (Mosquitto, MQTT 5): one node of a group ingests', () => {
  it('refuses a second node of the group with one line; the device messages keep going to the first', async () => {
    const active = await startNode();
    const second = externalConfig(await fixedPorts());
    const refused = await refusal(second, (app) => nodes.push(app));
    expect(refused.message).toMatch(/^another Parcours node \(.+\) already ingests through mqtt:\/\/127\.0\.0\.1:\d+; a second node would derive/);
    expect(await acceptsTcp(second.http.port)).toBe(false);
    // Had the refused node joined the group, even for a moment, its session would take a share.
    const published = await publishRange(await device('d1', 5), 1, 40);
    expectExactlyOnce(await settled(active, published.length), published);
  });

  it('lets exactly one of two nodes started at the same instant ingest', async () => {
    const results = await Promise.allSettled([startApp(externalConfig()), startApp(externalConfig())]);
    const started = results.filter((result) => result.status === 'fulfilled').map((result) => result.value);
    nodes.push(...started);
    const refused = results.filter((result) => result.status === 'rejected').map((result) => result.reason as unknown);
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(ParcoursError);
    expect((refused[0] as ParcoursError).code).toBe(errorCodes.anotherNode);
    // The loser's claim, if it published one, came last: the holder's must have replaced it by now.
    expect(await retainedClaim()).toMatchObject({ storeId: await readStoreId(started[0]!.config.data.dir) });
  });

  it('grants the lease to exactly one of two nodes claiming it at once, round after round; the retained claim names it', async () => {
    const silent = pino({ level: 'silent' });
    for (let round = 0; round < 30; round++) {
      const configs = [externalConfig(), externalConfig()];
      const leases = configs.map((config) => new IngestLease({ config, logger: silent, onLost: () => undefined }));
      const results = await Promise.allSettled(leases.map((lease) => lease.start()));
      const held = results.flatMap((result, i) => (result.status === 'fulfilled' ? [configs[i]!] : []));
      expect(held).toHaveLength(1);
      // Both may have claimed, the loser last: the holder's claim must have replaced it by the time both settled.
      expect(await retainedClaim()).toMatchObject({ storeId: await readStoreId(held[0]!.data.dir) });
      await Promise.all(leases.map((lease) => lease.stop()));
      expect(await retainedClaim()).toBeNull(); // released: the next round starts from an empty topic
    }
  });

  it('puts its claim back over a rival claim published right after its own, even before it knew it held the lease', async () => {
    const silent = pino({ level: 'silent' });
    // A node whose probe went before this node's claim: it found the topic empty, so it claims as soon as it can,
    // here the moment the other claim arrives. That claim came first and holds; the rival's is retained last.
    const rival = await device('rival', 5);
    let armed: { storeId: string; claim: string; claimed: () => void } | null = null;
    rival.on('message', (_topic, payload) => {
      const heard = payload.length > 0 ? (JSON.parse(payload.toString()) as { storeId?: string }) : null;
      if (armed && heard?.storeId === armed.storeId) {
        void rival.publishAsync(claimTopic, armed.claim, { qos: 1, retain: true }).then(armed.claimed);
        armed = null;
      }
    });
    await rival.subscribeAsync(claimTopic, { qos: 1 });
    for (let round = 0; round < 40; round++) {
      const config = externalConfig();
      const lost: string[] = [];
      const lease = new IngestLease({ config, logger: silent, onLost: (reason) => lost.push(reason) });
      const claim = { nodeId: 'rival', host: 'elsewhere', pid: 1, storeId: 'rival-store', since: new Date().toISOString(), token: `rival-${round}` };
      const store = await readStoreId(config.data.dir);
      const rivalClaimed = new Promise<void>((claimed) => {
        armed = { storeId: store, claim: JSON.stringify(claim), claimed };
      });
      await lease.start();
      await rivalClaimed; // acknowledged: the broker retained the rival's claim, after the holder's
      await waitFor(async () => (await retainedClaim())?.storeId === store, "the holder's claim replaced the rival's");
      expect(lost).toEqual([]);
      await lease.stop();
      expect(await retainedClaim()).toBeNull();
    }
  });

  it('refuses a standby whose data folder is not the active node’s', async () => {
    await startNode();
    const standby = externalConfig({ ...(await fixedPorts()), node: { standby: true } });
    const refused = await refusal(standby, (app) => nodes.push(app));
    expect(refused.message).toContain('keeps its log in another data folder');
    expect(await acceptsTcp(standby.http.port)).toBe(false);
  });

  it('lets a standby on the same data folder take the session over, with the share queued while no node ingested', async () => {
    const active = await startNode();
    const { config, started } = await startStandby(active.config.data.dir);
    expect(await acceptsTcp(config.http.port)).toBe(false);
    const client = await device('d1', 5);
    const published = await publishRange(client, 1, 20);
    await active.stop();
    nodes = nodes.filter((node) => node !== active);
    published.push(...(await publishRange(client, 21, 40))); // queued in the session while the standby takes over
    const standby = await started;
    published.push(...(await publishRange(client, 41, 60)));
    expectExactlyOnce(await settled(standby, published.length), published);
    expect((await api(standby.urls.http, 'GET', '/healthz', undefined, null)).status).toBe(200);
  });

  it('lets a standby take over from a killed node once the broker publishes its will', async () => {
    const dataDir = testConfig().data.dir;
    const adminKey = 'external-test-admin-key-0123456789';
    const env = { PARCOURS_DATA_DIR: dataDir, PARCOURS_MQTT_MODE: 'external', PARCOURS_MQTT_EXTERNAL_URL: mosquitto.url, PARCOURS_HTTP_ADMIN_KEY: adminKey };
    const killed = await startNodeProcess({ ...env, PARCOURS_NODE_LEASE_TTL: '2s' });
    processes.push(killed);
    expect((await api(killed.http, 'POST', '/api/v1/devices', { id: 'd1', type: 'meter' }, adminKey)).status).toBe(201);
    const { started } = await startStandby(dataDir, '2s');
    const client = await device('d1', 5);
    const published = await publishRange(client, 1, 20);
    await killed.kill();
    processes = [];
    published.push(...(await publishRange(client, 21, 40)));
    const standby = await started;
    expectExactlyOnce(await settled(standby, published.length), published);
    expect(await retainedClaim()).toMatchObject({ pid: process.pid }); // the standby's claim replaced the will's emptiness
  });

  it('puts its claim back when the claim topic is emptied, and keeps ingesting', async () => {
    const node = await startNode();
    const claim = await retainedClaim();
    expect(claim).not.toBeNull();
    const intruder = await device('intruder', 5);
    await intruder.publishAsync(claimTopic, Buffer.alloc(0), { qos: 1, retain: true });
    await waitFor(async () => (await retainedClaim()) !== null, 'the claim is back');
    expect(await retainedClaim()).toEqual(claim);
    const published = await publishRange(await device('d1', 5), 1, 5);
    expectExactlyOnce(await settled(node, published.length), published);
  });

  it('loses nothing while its node restarts mid-stream: its share waits in its Mosquitto session', async () => {
    const a = await startNode();
    const published: string[] = [];
    let stop = false;
    const publishing = Promise.all(
      devices.map(async (id, i) => {
        const client = await device(id, i % 2 === 0 ? 5 : 4);
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
    await waitUntil(() => published.length > whileDown + 30, 'devices kept publishing while a was down');
    const again = await restart(a);
    const storedBefore = again.gateway.log.count();
    await waitUntil(() => again.gateway.log.count() > storedBefore + 30, 'the restarted node resumed');
    stop = true;
    await publishing;
    expectExactlyOnce(await settled(again, published.length), published);
  });

  it('stops while messages keep arriving; those it did not store wait in its session', async () => {
    const node = await startNode();
    const client = await device('d1', 5);
    const published = await publishRange(client, 1, 300); // acknowledged by the broker, delivered to the node one by one
    await waitUntil(() => node.gateway.log.count() > 0, 'the node is storing');
    await node.stop(); // messages still arrive meanwhile
    const again = await restart(node);
    expectExactlyOnce(await settled(again, published.length), published);
  });

  it('does not acknowledge a message its store refused: the broker sends it again, and it is stored once', async () => {
    const log = new LogTap(); // the refused writes are logged as errors, on purpose here
    const node = await startApp(externalConfig(), log);
    nodes.push(node);
    expect((await api(node.urls.http, 'POST', '/api/v1/devices', { id: 'd1', type: 'meter' }, node.initialAdminKey)).status).toBe(201);
    node.gateway.db.pragma('query_only = ON'); // every write now fails, as on a full or broken disk
    const client = await device('d1', 5);
    await telemetry(client, 'd1', 1);
    const refusals = () => log.text.split('could not store a message').length - 1;
    await waitUntil(() => refusals() >= 2, 'the message was delivered again and refused again');
    expect(node.gateway.log.count()).toBe(0);
    node.gateway.db.pragma('query_only = OFF');
    await waitUntil(() => node.gateway.log.count() === 1, 'the redelivered message is stored');
    await telemetry(client, 'd1', 2);
    expectExactlyOnce(await settled(node, 2), ['d1/1', 'd1/2']);
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
