import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../tools/services/index.js';
import { waitUntil } from './mqtt-clients.js';

/**
 * The promise of ack-after-store, tested the hard way: Parcours runs as its own process and is killed with
 * SIGKILL at random moments while devices publish QoS 1; devices resend what was not acknowledged, as
 * firmware does; at the end every acknowledged message is stored exactly once.
 */
const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'parcours-crash-'));
const devices = ['d1', 'd2', 'd3'];
const kills = 3;
let server: ChildProcess | null = null;
let ports: { http: number; mqtt: number };

function start(): Promise<void> {
  server = spawn('node', [bin, 'start'], {
    env: {
      ...process.env,
      PARCOURS_DATA_DIR: dataDir,
      PARCOURS_HTTP_PORT: String(ports.http),
      PARCOURS_HTTP_HOST: '127.0.0.1',
      PARCOURS_MQTT_PORT: String(ports.mqtt),
      PARCOURS_MQTT_HOST: '127.0.0.1',
      PARCOURS_SIM_SCENARIO: 'none',
      PARCOURS_HTTP_ADMIN_KEY: 'crash-test-admin-key-0123456789',
      PARCOURS_LOG_LEVEL: 'warn',
      PARCOURS_LOG_FORMAT: 'json',
      PARCOURS_GATEWAY_MAX_CLOCK_SKEW: '3650d',
      PARCOURS_GATEWAY_MAX_LATENESS: '3650d',
    },
    stdio: 'ignore',
  });
  const child = server;
  return waitUntil(() => {
    if (child.exitCode !== null) throw new Error(`Parcours exited with ${child.exitCode} while starting`);
    return fetch(`http://127.0.0.1:${ports.http}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
  }, 120_000);
}

async function kill(): Promise<void> {
  const child = server!;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${ports.http}/api/v1${path}`, {
    method,
    headers: { authorization: 'Bearer crash-test-admin-key-0123456789', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * Publishes seq 1, 2, … each until acknowledged, through disconnections, until `stopped()`; `acked[i]`
 * counts those acknowledged (seqs 1..n) as they are.
 */
async function publishUntil(client: MqttClient, i: number, acked: number[], stopped: () => boolean): Promise<void> {
  const deviceId = devices[i]!;
  while (!stopped()) {
    const seq = acked[i]!;
    const payload = JSON.stringify({ ts: Date.UTC(2026, 0, 1) + (seq + 1) * 1000, seq: seq + 1, metrics: { value: seq + 1 } });
    if (!client.connected) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    const ack = client.publishAsync(`parcours/devices/${deviceId}/telemetry`, payload, { qos: 1 });
    const outcome = await Promise.race([ack.then(() => 'acked' as const), new Promise<'lost'>((resolve) => setTimeout(() => resolve('lost'), 1000))]).catch(
      () => 'lost' as const,
    );
    ack.catch(() => undefined);
    if (outcome === 'acked') acked[i] = seq + 1;
  }
}

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) await kill();
});

describe('SIGKILL during ingest', () => {
  it('keeps every acknowledged message exactly once', async () => {
    ports = { http: await freePort(), mqtt: await freePort() };
    await start();
    const secrets = new Map<string, string>();
    for (const id of devices) {
      const created = await admin('POST', '/devices', { id, type: 'meter' });
      secrets.set(id, (created.body.credentials as { secret: string }).secret);
    }
    const clients = await Promise.all(
      devices.map((id) =>
        mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, {
          clientId: id,
          username: id,
          password: secrets.get(id)!,
          reconnectPeriod: 100,
          connectTimeout: 2000,
        }),
      ),
    );
    for (const client of clients) client.on('error', () => undefined);
    let stopped = false;
    const acked = devices.map(() => 0);
    const publishing = Promise.all(clients.map((client, i) => publishUntil(client, i, acked, () => stopped)));
    // Every device (back and) acknowledged since the last start, however long reconnecting took.
    const progressed = async () => {
      const before = [...acked];
      await waitUntil(() => acked.every((n, i) => n > before[i]!));
    };
    for (let i = 0; i < kills; i++) {
      await progressed();
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 700));
      await kill();
      await start();
    }
    await progressed();
    stopped = true;
    await publishing;
    await Promise.all(clients.map((client) => client.endAsync()));

    await kill(); // one last time, so the store is read as a crash leaves it
    const db = new Database(join(dataDir, 'parcours.db'), { readonly: true });
    const rows = db
      .prepare<[], { device_id: string; n: number; seqs: number; last: number }>(
        'SELECT device_id, COUNT(*) AS n, COUNT(DISTINCT seq) AS seqs, MAX(seq) AS last FROM events GROUP BY device_id ORDER BY device_id',
      )
      .all();
    db.close();
    // A message sent but not acked before a kill may be stored too (its ack was lost): at most one more.
    expect(rows.map((r) => r.device_id)).toEqual(devices);
    rows.forEach((row, i) => {
      expect(acked[i]).toBeGreaterThan(0);
      expect(row.n).toBe(row.seqs);
      expect(row.last).toBe(row.seqs);
      expect(row.seqs).toBeGreaterThanOrEqual(acked[i]!);
      expect(row.seqs).toBeLessThanOrEqual(acked[i]! + 1);
    });
  });
});
