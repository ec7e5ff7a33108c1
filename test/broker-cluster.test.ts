import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, ConfigInput } from '@parcours/contracts';
import { Redis } from 'ioredis';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { startRedis } from '../tools/services/index.js';
import { acceptsTcp } from '../tools/services/managed-process.js';
import { api, startApp, testConfig } from './helpers.js';
import { connectRecording, waitUntil, type RecordingClient } from './mqtt-clients.js';
import { type NodeProcess, startNodeProcess } from './node-process.js';
import { fixedPorts, LogTap, nothingListens, refusal, waitFor } from './several-nodes.js';

/**
 * Embedded cluster mode (`mqtt.persistence: redis`): the nodes sharing one real Redis take the ingest
 * lease there, so only one ingests. A second node is refused; a standby on the active node's data folder
 * waits without listening and takes over, with the broker's sessions and queued messages, when the active
 * node stops or dies.
 */
const adminKey = 'cluster-test-admin-key-0123456789';
const leaseKey = 'parcours:parcours:ingest-lease';
const t0 = Date.UTC(2026, 0, 5, 8);
let redis: Awaited<ReturnType<typeof startRedis>>;
let nodes: ParcoursApp[] = [];
let processes: NodeProcess[] = [];
let clients: MqttClient[] = [];

// A fresh Redis per test: the sessions and the lease a test leaves there would otherwise meet the next one.
beforeEach(async () => {
  redis = await startRedis();
});

afterEach(async () => {
  await Promise.all(clients.map((client) => client.endAsync(true)));
  clients = [];
  await Promise.all(nodes.map((node) => node.stop()));
  nodes = [];
  await Promise.all(processes.map((child) => child.kill()));
  processes = [];
  await redis.stop();
});

/** Anonymous clients stand for integrators; devices log in with their secret. */
function nodeConfig(overrides: ConfigInput = {}): Config {
  return testConfig({
    ...overrides,
    mqtt: { persistence: 'redis', redisUrl: redis.url, allowAnonymous: true, ...overrides.mqtt },
    http: { adminKey, ...overrides.http },
  });
}

async function startNode(config: Config, logTo?: LogTap): Promise<ParcoursApp> {
  const node = await startApp(config, logTo);
  nodes.push(node);
  return node;
}

/** A standby's start, pending until it takes over; resolves once its log says it waits. */
async function startStandby(config: Config): Promise<{ started: Promise<ParcoursApp> }> {
  const log = new LogTap();
  const started = startNode(config, log);
  started.catch(() => undefined); // a test that expects it to start awaits it
  await waitUntil(() => log.text.includes('waiting as a standby'));
  return { started };
}

function standbyConfig(dataDir: string, ports: Awaited<ReturnType<typeof fixedPorts>>, leaseTtl = '15s'): Config {
  return nodeConfig({ data: { dir: dataDir }, http: ports.http, mqtt: ports.mqtt, node: { standby: true, leaseTtl }, log: { level: 'info' } });
}

async function connect(node: ParcoursApp, options: Parameters<typeof connectRecording>[1]): Promise<RecordingClient> {
  const recording = await connectRecording(node.urls.mqtt, options);
  clients.push(recording.client);
  return recording;
}

async function registerDevice(http: string, id: string): Promise<string> {
  const created = await api<{ credentials: { secret: string } }>(http, 'POST', '/api/v1/devices', { id, type: 'meter' }, adminKey);
  expect(created.status).toBe(201);
  return created.body.credentials.secret;
}

async function leaseHolder(): Promise<unknown> {
  const client = new Redis(redis.url);
  const text = await client.get(leaseKey);
  await client.quit();
  return text === null ? null : JSON.parse(text);
}

/** Whether the node's gateway still runs (its parts throw once stopped). */
function gatewayRuns(node: ParcoursApp): boolean {
  try {
    return node.gateway.db.open;
  } catch {
    return false;
  }
}

/** Clients connected to Redis, this question's own connection excepted. */
async function redisClients(): Promise<number> {
  const client = new Redis(redis.url);
  const list = await client.client('LIST');
  await client.quit();
  return String(list).trim().split('\n').length - 1;
}

function telemetry(seq: number): string {
  return JSON.stringify({ ts: t0 + seq * 1000, seq, metrics: { power_w: seq } });
}

describe('embedded cluster (mqtt.persistence: redis): one node ingests', () => {
  it('refuses a second node with one line, before it listens on anything', async () => {
    const active = await startNode(nodeConfig());
    const second = nodeConfig(await fixedPorts());
    const refused = await refusal(second, (app) => nodes.push(app));
    expect(refused.message).toMatch(
      /^another Parcours node \(.+ on host .+, since \d{4}-\d\d-\d\d \d\d:\d\d UTC\) already ingests through redis:\/\/127\.0\.0\.1:\d+;/,
    );
    expect(refused.message).toContain('PARCOURS_NODE_STANDBY=true');
    expect(await nothingListens(second)).toBe(true);
    // On the active node's own folder too, unless started as a standby.
    const sameFolder = nodeConfig({ ...(await fixedPorts()), data: { dir: active.config.data.dir } });
    expect((await refusal(sameFolder, (app) => nodes.push(app))).message).toContain('standby (PARCOURS_NODE_STANDBY=true) on the same data folder');
    expect(await nothingListens(sameFolder)).toBe(true);
  });

  it('refuses a standby whose data folder is not the active node’s', async () => {
    await startNode(nodeConfig());
    const standby = nodeConfig({ ...(await fixedPorts()), node: { standby: true } });
    const refused = await refusal(standby, (app) => nodes.push(app));
    expect(refused.message).toContain('keeps its log in another data folder');
    expect(await nothingListens(standby)).toBe(true);
  });

  it('lets a standby on the same data folder take over, with the sessions and queued messages kept in Redis', async () => {
    const active = await startNode(nodeConfig());
    const secret = await registerDevice(active.urls.http, 'm-1');
    const watcher = { clientId: 'watcher', clean: false };
    const first = await connect(active, watcher);
    await first.client.subscribeAsync('parcours/devices/+/telemetry', { qos: 1 });
    await first.client.endAsync();
    const device = await connect(active, { clientId: 'm-1', username: 'm-1', password: secret });
    await device.client.publishAsync('parcours/devices/m-1/telemetry', telemetry(1), { qos: 1 });
    await device.client.endAsync();

    const config = standbyConfig(active.config.data.dir, await fixedPorts());
    const { started } = await startStandby(config);
    expect(await nothingListens(config)).toBe(true);
    await active.stop();
    nodes = nodes.filter((node) => node !== active);
    const standby = await started;

    const back = await connect(standby, watcher);
    expect(back.connack.sessionPresent).toBe(true);
    await waitUntil(() => back.messages.length >= 1);
    expect(back.messages).toEqual([{ topic: 'parcours/devices/m-1/telemetry', payload: telemetry(1), retain: false }]);
    // The same data folder: the device's secret and what the active node stored are the standby's too.
    const again = await connect(standby, { clientId: 'm-1', username: 'm-1', password: secret });
    await again.client.publishAsync('parcours/devices/m-1/telemetry', telemetry(2), { qos: 1 });
    expect(standby.gateway.log.readAfter(0, 10, false).map((record) => record.seq)).toEqual([1, 2]);
  });

  it('lets a standby take over from a killed node once its lease expires in Redis', async () => {
    const dataDir = testConfig().data.dir;
    const env = { PARCOURS_DATA_DIR: dataDir, PARCOURS_MQTT_PERSISTENCE: 'redis', PARCOURS_MQTT_REDIS_URL: redis.url, PARCOURS_HTTP_ADMIN_KEY: adminKey };
    const killed = await startNodeProcess({ ...env, PARCOURS_NODE_LEASE_TTL: '2s' });
    processes.push(killed);
    await registerDevice(killed.http, 'm-1');
    const config = standbyConfig(dataDir, await fixedPorts(), '2s');
    const { started } = await startStandby(config);
    await killed.kill();
    processes = [];
    const standby = await started;
    expect(standby.gateway.registry.getDevice('m-1')).not.toBeNull();
    expect(await leaseHolder()).toMatchObject({ pid: process.pid, storeId: readFileSync(join(dataDir, 'store-id'), 'utf8').trim() });
  });

  it('restarts a node after a crash: it waits for the lease of its previous run to expire instead of being refused', async () => {
    const dataDir = testConfig().data.dir;
    const env = { PARCOURS_DATA_DIR: dataDir, PARCOURS_MQTT_PERSISTENCE: 'redis', PARCOURS_MQTT_REDIS_URL: redis.url, PARCOURS_HTTP_ADMIN_KEY: adminKey };
    const crashed = await startNodeProcess({ ...env, PARCOURS_NODE_LEASE_TTL: '2s' });
    await crashed.kill();
    const log = new LogTap();
    const restarted = await startNode(nodeConfig({ data: { dir: dataDir }, node: { leaseTtl: '2s' }, log: { level: 'info' } }), log);
    expect(log.text).toContain('the previous run of this node still holds the ingest lease');
    expect((await api(restarted.urls.http, 'GET', '/healthz', undefined, adminKey)).status).toBe(200);
  });

  it('stops a node that finds its lease taken, and leaves the new holder’s lease alone', async () => {
    const log = new LogTap();
    const node = await startNode(nodeConfig({ node: { leaseTtl: '1s' } }), log);
    nodes = []; // it stops itself
    const ports = [Number(new URL(node.urls.http).port), node.broker.port];
    const intruder = { nodeId: 'intruder', host: 'elsewhere', pid: 1, storeId: 'other', since: new Date().toISOString(), token: 't' };
    const client = new Redis(redis.url);
    await client.set(leaseKey, JSON.stringify(intruder));
    await client.quit();
    await waitFor(async () => !(await acceptsTcp(ports[0]!)) && !(await acceptsTcp(ports[1]!)), 'the node no longer listens');
    expect(log.text).toContain('lost the ingest lease');
    // The gateway stops just before the lease is closed: wait for it, then for the lease's last word.
    await waitUntil(() => !gatewayRuns(node));
    await waitFor(async () => (await redisClients()) === 0, 'the node has closed its Redis connections');
    expect(await leaseHolder()).toEqual(intruder);
  });
});
