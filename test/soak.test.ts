import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, describe, expect, it } from 'vitest';
import { runLoad } from '@parcours/firmware-sim';
import { freePort, startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { waitUntil } from './mqtt-clients.js';
import { nodeEnv } from './node-process.js';

/**
 * About two minutes of everything clients and operators do wrong at once: a QoS 0 flood from 100 devices,
 * an admin subscriber to every device's data killed with SIGKILL, an integrator that stops reading its
 * socket, Parcours itself killed with SIGKILL and restarted, and InfluxDB restarted. Meanwhile a
 * well-behaved device publishes at QoS 1. In the end every message it had acknowledged is stored once and
 * is one point in InfluxDB, as is every record of the flood in the log, and the process's memory stayed bounded. Its acknowledgement
 * latency is reported (a figure, not an assertion: the machine's speed is not the product's).
 */
const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
const adminKey = 'soak-admin-key-0123456789abcdef';
const database = 'parcours_soak';
const floodDevices = 100;
const t0 = Date.UTC(2026, 5, 1);

const dataDir = mkdtempSync(join(tmpdir(), 'parcours-soak-'));
let ports: { http: number; mqtt: number };
let influx: InfluxServer | null = null;
let parcours: ChildProcess | null = null;
const sockets: Socket[] = [];
const clients: MqttClient[] = [];

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(clients.map((client) => client.endAsync(true)));
  await killParcours();
  await influx?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const http = () => `http://127.0.0.1:${ports.http}`;
const mqttUrl = () => `mqtt://127.0.0.1:${ports.mqtt}`;

/** `parcours start` with the soak's data folder and ports; fails the test if it exits unasked. */
async function startParcours(influxUrl: string): Promise<void> {
  const child = spawn('node', [bin, 'start'], {
    env: nodeEnv(ports, {
      PARCOURS_DATA_DIR: dataDir,
      PARCOURS_HTTP_ADMIN_KEY: adminKey,
      PARCOURS_LOG_LEVEL: 'error',
      PARCOURS_LOG_FORMAT: 'json',
      // Every client of the soak comes from 127.0.0.1, as if from behind one NAT.
      PARCOURS_MQTT_MAX_PENDING_PER_ADDRESS: '10000',
      INFLUX_URL: influxUrl,
      INFLUX_DATABASE: database,
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.once('exit', (code, signal) => {
    if (parcours === child) unexpectedExit = `Parcours exited by itself (${signal ?? code}): ${stderr}`;
  });
  parcours = child;
  await waitUntil(() => {
    if (unexpectedExit) throw new Error(unexpectedExit);
    return fetch(`${http()}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
  }, 120_000);
}
let unexpectedExit: string | null = null;

async function killParcours(): Promise<void> {
  const child = parcours;
  parcours = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${http()}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok, `${method} ${path}`).toBe(true);
  return response.json();
}

/** The resident memory of Parcours' process now, in MiB (Linux). */
function residentMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

/** An admin client in its own process, subscribed at QoS 1 to every device's data and falling behind, to be killed with SIGKILL. */
function startDoomedSubscriber(): ChildProcess {
  const script = `
    import mqtt from 'mqtt';
    const client = await mqtt.connectAsync(${JSON.stringify(mqttUrl())}, { username: 'ops', password: ${JSON.stringify(adminKey)}, reconnectPeriod: 0 });
    await client.subscribeAsync('parcours/devices/#', { qos: 1 });
    client.stream.pause();
    process.send('subscribed');
    setInterval(() => undefined, 60_000); // alive, disconnected or not, until it is killed`;
  return spawn('node', ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
}

/** An integrator that subscribes at QoS 1 to everything (devices' data, derived results), then never reads its socket again. */
async function startNonReadingIntegrator(): Promise<Socket> {
  const socket = connectTcp({ host: '127.0.0.1', port: ports.mqtt });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clientId: 'stalled-crm',
      clean: true,
      keepalive: 0,
      username: 'crm',
      password: Buffer.from(adminKey),
    }),
  );
  socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'parcours/#', qos: 1 }] }));
  // Wait for the SUBACK (CONNACK 4 bytes + SUBACK 5 bytes), then stop reading.
  await new Promise<void>((resolve) => {
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received < 9) return;
      socket.off('data', onData);
      socket.pause();
      resolve();
    };
    socket.on('data', onData);
  });
  return socket;
}

interface Sample {
  seq: number;
  sentAt: number;
  ackedAt: number;
}

/** The well-behaved device: QoS 1 telemetry, 20 a second, one at a time, reconnecting by itself. */
function startGoodDevice(secret: string): { samples: Sample[]; stop: () => Promise<void> } {
  const client = mqtt.connect(mqttUrl(), { username: 'good', password: secret, clientId: 'good', reconnectPeriod: 200, connectTimeout: 5_000 });
  client.on('error', () => undefined);
  clients.push(client);
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    for (let seq = 1; running; seq++) {
      const sentAt = Date.now();
      await client.publishAsync('parcours/devices/good/telemetry', JSON.stringify({ ts: t0 + seq * 1000, seq, metrics: { power_w: seq % 100 } }), { qos: 1 });
      samples.push({ seq, sentAt, ackedAt: Date.now() });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 50 - (Date.now() - sentAt))));
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/**
 * 100 devices publishing QoS 0 telemetry at three times the publish rate a device is allowed; `onSent` hears the
 * running total about once a second. (As fast as they can, they would fill the kernel's socket buffers with
 * minutes of messages that the broker then reads at the allowed rate long after the flood.)
 */
function flood(duration: string, onSent: (sent: number) => void = () => undefined): Promise<unknown> {
  return runLoad(
    {
      url: mqttUrl(),
      devices: { prefix: 'flood-', count: floodDevices },
      credentials: { apiUrl: http(), apiKey: adminKey },
      rate: { perDevice: 300 },
      qos: 0,
      duration,
      processes: 1,
    },
    { onProgress: (counts) => onSent(counts.sent) },
  );
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** The sum of a metric's samples whose labels include `labels` (e.g. `consumer="influx-raw"`), from Parcours' /metrics. */
async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${http()}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text();
  const samples = text.split('\n').filter((line) => line.startsWith(`${name}{`) && line.includes(labels));
  return samples.length === 0 ? Number.NaN : samples.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('soak', () => {
  it('stays up, loses nothing acknowledged and keeps a good device served through floods, stalls and crashes', async () => {
    influx = await startInfluxDB();
    ports = { http: await freePort(), mqtt: await freePort() };
    await startParcours(influx.url);
    const { credentials } = (await admin('POST', '/devices', { id: 'good', type: 'meter' })) as { credentials: { secret: string } };
    const memory: number[] = [];
    const sampler = setInterval(() => parcours?.pid && memory.push(residentMiB(parcours.pid)), 500);
    const good = startGoodDevice(credentials.secret);
    const downtime: [number, number][] = [];
    // Where the slow acknowledgements are: each phase from its start, for the figure's breakdown.
    const phases: [string, number][] = [['flood, a subscriber killed', Date.now()]];
    try {
      await startNonReadingIntegrator();
      const doomed = startDoomedSubscriber();
      await new Promise((resolve) => doomed.once('message', resolve));
      // The subscriber dies with the flood in full flow.
      const doomedExit = new Promise((resolve) => doomed.once('exit', (_code, signal) => resolve(signal)));
      await flood('10s', (sent) => sent > 2_000 && doomed.kill('SIGKILL'));
      expect(await doomedExit).toBe('SIGKILL');
      expect(unexpectedExit).toBeNull();

      const killedAt = Date.now();
      await killParcours();
      await startParcours(influx.url);
      downtime.push([killedAt, Date.now() + 1000]);
      phases.push(['after the restart, flood', Date.now()]);
      await startNonReadingIntegrator();
      const secondFlood = flood('10s');
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      await influx.stop({ keepData: true });
      phases.push(['InfluxDB down, flood', Date.now()]);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      influx = await startInfluxDB({ port: influx.port, dir: influx.dir });
      phases.push(['InfluxDB back, flood', Date.now()]);
      await secondFlood;
      expect(unexpectedExit).toBeNull();
    } finally {
      clearInterval(sampler);
      await good.stop();
    }

    // The broker may still be reading what the flood left in its sockets' buffers: the log is complete once
    // every client has gone (a connection closes after its last buffered packet) and InfluxDB has caught up.
    for (const socket of sockets) socket.destroy();
    await Promise.all(clients.map((client) => client.endAsync(true)));
    await waitUntil(async () => (await metric('parcours_mqtt_clients_connected')) === 0, 300_000);
    await waitUntil(async () => (await metric('parcours_log_consumer_lag', 'consumer="influx-raw"')) === 0, 120_000);
    const db = new Database(join(dataDir, 'parcours.db'), { readonly: true });
    const stored = db.prepare<[], { seq: number }>("SELECT seq FROM events WHERE device_id = 'good'").all();
    const logTelemetry = new Set(
      db
        .prepare<[], { device_id: string; seq: number }>("SELECT device_id, seq FROM events WHERE channel = 'telemetry'")
        .all()
        .map((row) => `${row.device_id}/${row.seq}`),
    );
    db.close();
    const storedSeqs = new Set(stored.map((row) => row.seq));
    const acknowledged = good.samples.map((sample) => sample.seq);
    expect(acknowledged.filter((seq) => !storedSeqs.has(seq))).toEqual([]);
    expect(storedSeqs.size).toBe(stored.length);
    // Every point, read back (InfluxDB 1.6's count() is not a point count after its restart): one per log record.
    const points = (await influx!.query('SELECT "seq", "device" FROM telemetry', database)) as {
      results: { series: { values: [number, number, string][] }[] }[];
    };
    const influxTelemetry = points.results[0]!.series[0]!.values.map(([, seq, device]) => `${device}/${seq}`);
    const goodPoints = influxTelemetry.filter((key) => key.startsWith('good/'));
    expect(new Set(goodPoints)).toEqual(new Set(stored.map((row) => `good/${row.seq}`)));
    expect(goodPoints).toHaveLength(stored.length);
    expect(influxTelemetry).toHaveLength(logTelemetry.size);
    expect(new Set(influxTelemetry)).toEqual(logTelemetry);

    const served = good.samples.filter(({ sentAt }) => !downtime.some(([from, to]) => sentAt >= from && sentAt <= to));
    const latencies = served.map(({ sentAt, ackedAt }) => ackedAt - sentAt);
    const inPhase = (i: number) =>
      served.filter(({ sentAt }) => sentAt >= phases[i]![1] && sentAt < (phases[i + 1]?.[1] ?? Number.POSITIVE_INFINITY)).map((x) => x.ackedAt - x.sentAt);
    const report = {
      acknowledged: acknowledged.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: Math.max(...latencies),
      p99MsByPhase: Object.fromEntries(phases.map(([name], i) => [name, { acknowledged: inPhase(i).length, p99Ms: percentile(inPhase(i), 99) }])),
      peakResidentMiB: Math.round(Math.max(...memory)),
      floodMessagesStored: logTelemetry.size - stored.length,
      influxPoints: influxTelemetry.length,
    };
    console.log(`soak: ${JSON.stringify(report)}`);
    expect(acknowledged.length).toBeGreaterThan(100);
    expect(report.peakResidentMiB).toBeLessThan(1024);
  }, 600_000);
});
