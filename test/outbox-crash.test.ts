import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../tools/services/index.js';
import { connectRecording, waitUntil, type Received, type RecordingClient } from './mqtt-clients.js';
import { nodeEnv } from './node-process.js';

/**
 * Integrators hear of exactly what was committed, across a crash. Parcours runs as its own process and
 * kills itself with SIGKILL at a failpoint (`PARCOURS_CRASH_POINT`): right after the commit of a session,
 * before its publication; or after deriving it, before its commit. An integrator mirrors its subject's
 * results over MQTT with a persistent session (QoS 1, clean: false); after the restart, what it has
 * received must be what the API serves, no more, no less.
 */
const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
const adminKey = 'outbox-crash-admin-key-0123456789';
const minute = 60_000;
const t0 = Date.UTC(2026, 3, 6, 7);
const iso = (ms: number) => new Date(ms).toISOString();

let server: ChildProcess | null = null;
let clients: MqttClient[] = [];

class Instance {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'parcours-outbox-crash-'));
  private constructor(readonly ports: { http: number; mqtt: number }) {}

  static async create(): Promise<Instance> {
    return new Instance({ http: await freePort(), mqtt: await freePort() });
  }

  get http(): string {
    return `http://127.0.0.1:${this.ports.http}`;
  }

  get mqtt(): string {
    return `mqtt://127.0.0.1:${this.ports.mqtt}`;
  }

  private env(extra: Record<string, string>): NodeJS.ProcessEnv {
    return nodeEnv(this.ports, {
      PARCOURS_DATA_DIR: this.dataDir,
      PARCOURS_HTTP_ADMIN_KEY: adminKey,
      PARCOURS_LOG_LEVEL: 'error',
      PARCOURS_LOG_FORMAT: 'json',
      PARCOURS_ANALYTICS_SESSION_RULES: '{}',
      PARCOURS_ANALYTICS_ACTOR_INFERENCE: 'false',
      ...extra,
    });
  }

  /** `parcours keys create` for an integrator granted the household. */
  integratorKey(): string {
    const cli = spawnSync('node', [bin, 'keys', 'create', '--role', 'integrator', '--name', 'crm', '--subject', 'home'], {
      encoding: 'utf8',
      env: this.env({}),
    });
    expect(cli.status, cli.stderr).toBe(0);
    return cli.stdout.trim();
  }

  /** `parcours start`, once it serves `/healthz`; `exited` resolves with its exit signal or code. */
  async start(extra: Record<string, string> = {}): Promise<{ exited: Promise<NodeJS.Signals | number | null> }> {
    const child = spawn('node', [bin, 'start'], { env: this.env(extra), stdio: ['ignore', 'ignore', 'pipe'] });
    server = child;
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    // Two minutes: a busy machine starts a process slowly.
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (
        await fetch(`${this.http}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return { exited };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`Parcours did not start: ${stderr}`);
  }

  async admin(method: string, path: string, body?: unknown): Promise<{ items?: unknown[]; credentials?: { secret: string } }> {
    const response = await fetch(`${this.http}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.ok, `${method} ${path}`).toBe(true);
    return (await response.json()) as { items?: unknown[]; credentials?: { secret: string } };
  }

  /** The household with a coffee machine and a meter whose clock moves the fleet's time on; returns their secrets. */
  async register(): Promise<Map<string, string>> {
    await this.admin('POST', '/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
    const secrets = new Map<string, string>();
    for (const [id, type] of [
      ['cm', 'coffee_machine'],
      ['meter', 'meter'],
    ]) {
      secrets.set(id!, (await this.admin('POST', '/devices', { id, type })).credentials!.secret);
      await this.admin('POST', `/devices/${id}/assignments`, { subjectId: 'home', validFrom: iso(t0 - 24 * 60 * minute) });
    }
    return secrets;
  }

  async device(id: string, secret: string): Promise<MqttClient> {
    const { client } = await connectRecording(this.mqtt, { clientId: id, username: id, password: secret });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  }

  /** The integrator's mirror: the same client id, its session kept across connections. */
  async mirror(key: string): Promise<RecordingClient> {
    const mirror = await connectRecording(this.mqtt, { clientId: 'crm-mirror', username: 'crm', password: key, clean: false });
    mirror.client.on('error', () => undefined);
    clients.push(mirror.client);
    if (!mirror.connack.sessionPresent) await mirror.client.subscribeAsync('parcours/subjects/home/#', { qos: 1 });
    return mirror;
  }

  /** The household's sessions and journeys as the API serves them. */
  async served(): Promise<{ sessions: unknown[]; journeys: unknown[] }> {
    const range = `from=${iso(t0 - 60 * minute)}&to=${iso(t0 + 24 * 60 * minute)}`;
    const sessions = (await this.admin('GET', `/subjects/home/sessions?${range}`)).items!;
    const journeys = (await this.admin('GET', `/subjects/home/journeys?${range}`)).items!;
    return { sessions, journeys };
  }

  /** The sessions in the store and the topics waiting in the outbox, read from the data folder while Parcours is down. */
  stored(): { sessions: string[]; outbox: string[] } {
    const db = new Database(join(this.dataDir, 'parcours.db'), { readonly: true });
    try {
      const sessions = db.prepare<[], { id: string }>('SELECT id FROM usage_sessions ORDER BY id').all();
      const outbox = db.prepare<[], { topic: string }>('SELECT topic FROM mqtt_outbox ORDER BY id').all();
      return { sessions: sessions.map((r) => r.id), outbox: outbox.map((r) => r.topic) };
    } finally {
      db.close();
    }
  }
}

function publish(client: MqttClient, id: string, seq: number, ts: number, channel: 'events' | 'telemetry', body: Record<string, unknown>): Promise<unknown> {
  return client.publishAsync(`parcours/devices/${id}/${channel}`, JSON.stringify({ ts, seq, ...body }), { qos: 1 });
}

/** What the mirror was told, by kind, in the API's JSON. */
function told(messages: readonly Received[]): { sessions: unknown[]; journeys: unknown[]; removed: unknown[] } {
  const of = (topic: string) => messages.filter((m) => m.topic === `parcours/subjects/home/${topic}`).map((m) => JSON.parse(m.payload) as unknown);
  return { sessions: of('sessions'), journeys: of('journeys'), removed: [...of('sessions/removed'), ...of('journeys/removed')] };
}

afterEach(async () => {
  await Promise.all(clients.map((client) => client.endAsync(true)));
  clients = [];
  const child = server;
  server = null;
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
});

/**
 * A Parcours that crashes at `point`: the household registered, the integrator's mirror subscribed, the
 * coffee machine started at t0, then sends `next` ten minutes later, the record the analytics crash on.
 */
async function crashAt(point: string, next: string, settings: Record<string, string> = {}) {
  const parcours = await Instance.create();
  const { exited } = await parcours.start({ PARCOURS_CRASH_POINT: point, ...settings });
  const secrets = await parcours.register();
  // Once the household is registered: a key is granted only subjects the registry knows.
  const key = parcours.integratorKey();
  const mirror = await parcours.mirror(key);
  const cm = await parcours.device('cm', secrets.get('cm')!);
  await publish(cm, 'cm', 1, t0, 'events', { type: 'usage.start' });
  // Stored before it is acknowledged: the ack may die with the process.
  publish(cm, 'cm', 2, t0 + 10 * minute, 'events', { type: next }).catch(() => undefined);
  expect(await exited).toBe('SIGKILL');
  return { parcours, key, secrets, before: mirror.messages };
}

/**
 * Starts it again without failpoint; the mirror resumes its session, and the meter moves the fleet's time
 * three hours on, which closes the household's journey. Once the mirror has heard of that journey, the
 * last result committed, it has been told everything before it.
 */
async function restart(
  parcours: Instance,
  key: string,
  secrets: Map<string, string>,
): Promise<{ after: Received[]; served: Awaited<ReturnType<Instance['served']>> }> {
  await parcours.start();
  const mirror = await parcours.mirror(key);
  expect(mirror.connack.sessionPresent).toBe(true);
  const meter = await parcours.device('meter', secrets.get('meter')!);
  await publish(meter, 'meter', 1, t0 + 180 * minute, 'telemetry', { metrics: { power_w: 5 } });
  await waitUntil(() => told(mirror.messages).journeys.length > 0, 15_000);
  return { after: mirror.messages, served: await parcours.served() };
}

describe('announcements across a crash', () => {
  it('publishes after the restart what was committed before the crash: nothing lost', async () => {
    const { parcours, key, secrets, before } = await crashAt('analytics-after-commit', 'usage.stop');
    expect(before, 'nothing published before the crash').toEqual([]);
    expect(parcours.stored()).toEqual({ sessions: [`cm@${t0}`], outbox: ['parcours/subjects/home/sessions'] });

    const { after, served } = await restart(parcours, key, secrets);
    expect(served.sessions).toEqual([expect.objectContaining({ id: `cm@${t0}`, end: iso(t0 + 10 * minute), closedBy: 'stop' })]);
    expect(told([...before, ...after])).toEqual({ ...served, removed: [] });
    expect(parcours.stored().outbox).toEqual([]);
  });

  it('announces nothing it rolled back: after the restart, exactly what the store finally holds', async () => {
    // A 5-minute idle timeout before the crash, the default 30 minutes after it: the batch redone after the
    // restart derives another version of the session than the one rolled back, which must never be heard of.
    // Ten minutes of silence close it as idle at its start in the first run, which crashes before the commit.
    const { parcours, key, secrets, before } = await crashAt('analytics-before-commit', 'interaction', { PARCOURS_ANALYTICS_SESSION_IDLE_TIMEOUT: '5m' });
    expect(before, 'nothing published before the commit').toEqual([]);
    expect(parcours.stored()).toEqual({ sessions: [], outbox: [] });

    const { after, served } = await restart(parcours, key, secrets);
    expect(served.sessions).toEqual([expect.objectContaining({ id: `cm@${t0}`, end: iso(t0 + 10 * minute), events: 2, closedBy: 'idle_timeout' })]);
    expect(told([...before, ...after])).toEqual({ ...served, removed: [] });
  });
});
