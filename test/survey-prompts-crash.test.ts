import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CrashPoint } from '@parcours/contracts';
import Database from 'better-sqlite3';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../tools/services/index.js';
import { connectRecording, waitUntil, type Received, type RecordingClient } from './mqtt-clients.js';
import { nodeEnv } from './node-process.js';

/**
 * Survey prompts across a crash. Parcours runs as its own process and kills itself with SIGKILL at a failpoint
 * (`PARCOURS_CRASH_POINT`) in the middle of delivering the prompts of several people: before a prompt's first
 * publish, or after its publishes and before it is marked delivered. Restarted on the same data folder, every
 * prompt `sent` reaches its person's app at least once, under its one id, and is recorded once, as decided.
 *
 * The apps keep persistent sessions (clean: false, QoS 1): their subscriptions outlive the server's restart, and
 * what is re-published at the start, before an app is back, waits in its session — the test then reads what
 * delivery itself sends, not a retained copy replayed by a fresh subscription.
 */
const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
const adminKey = 'survey-crash-admin-key-0123456789';
const minute = 60_000;
const surveyId = 'coffee-after-use';
const people = ['ana', 'ben', 'chloe', 'dev'];
// Recent: the prompts, two hours long, are still due when delivered.
const t0 = Date.now() - 30 * minute;
const iso = (ms: number) => new Date(ms).toISOString();

interface PromptRow {
  prompt_id: string;
  person_id: string;
  trigger: string;
  decision: string;
  send_at: number;
  expires_at: number;
  decided_at: number;
  delivered_at: number | null;
}

let server: ChildProcess | null = null;
let clients: MqttClient[] = [];

class Instance {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'parcours-survey-crash-'));
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

  /** `parcours start`, once it serves `/healthz`; `exited` resolves with its exit signal or code. */
  async start(extra: Record<string, string> = {}): Promise<{ exited: Promise<NodeJS.Signals | number | null> }> {
    const env = nodeEnv(this.ports, {
      PARCOURS_DATA_DIR: this.dataDir,
      PARCOURS_HTTP_ADMIN_KEY: adminKey,
      PARCOURS_LOG_LEVEL: 'error',
      PARCOURS_LOG_FORMAT: 'json',
      ...extra,
    });
    const child = spawn('node', [bin, 'start'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
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

  async admin(method: string, path: string, body?: unknown): Promise<{ credentials?: { secret: string } }> {
    const response = await fetch(`${this.http}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.ok, `${method} ${path}: ${await response.clone().text()}`).toBe(true);
    return (await response.json()) as { credentials?: { secret: string } };
  }

  async connect(id: string, secret: string, clean = true): Promise<RecordingClient> {
    const recording = await connectRecording(this.mqtt, { clientId: id, username: id, password: secret, clean });
    recording.client.on('error', () => undefined);
    clients.push(recording.client);
    return recording;
  }

  /** The survey's prompts as recorded, read from the data folder (Parcours up or down). */
  prompts(): PromptRow[] {
    const db = new Database(join(this.dataDir, 'parcours.db'), { readonly: true, fileMustExist: true });
    try {
      return db
        .prepare<[string], PromptRow>(
          `SELECT prompt_id, person_id, trigger, decision, send_at, expires_at, decided_at, delivered_at
             FROM survey_prompts WHERE survey_id = ? ORDER BY prompt_id`,
        )
        .all(surveyId);
    } finally {
      db.close();
    }
  }
}

/** The prompts each app received: its commands' survey prompts, by prompt id, empty messages (clearings) left out. */
function receivedIds(messages: readonly Received[], app: string): string[] {
  const prefix = `parcours/devices/${app}/commands/survey-prompts/`;
  return messages.flatMap((m) => {
    if (!m.topic.startsWith(prefix) || m.payload === '') return [];
    const id = m.topic.slice(prefix.length);
    expect((JSON.parse(m.payload) as { promptId: string }).promptId).toBe(id);
    return [id];
  });
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
 * A Parcours that crashes at `point`: a survey on closed coffee sessions, four people each with a coffee machine
 * and an app whose persistent session subscribes to its commands. Every coffee session is published and its prompt
 * recorded while the apps are not assigned yet, so no prompt goes out; then one import assigns all the apps at
 * once, and the next delivery run, with every prompt due, dies at the failpoint on its first prompt.
 */
async function crashAt(point: CrashPoint) {
  const parcours = await Instance.create();
  const { exited } = await parcours.start({ PARCOURS_CRASH_POINT: point });
  await parcours.admin('POST', '/surveys', {
    id: surveyId,
    name: 'After a coffee',
    questions: [{ kind: 'nps', id: 'recommend', text: 'Would you recommend this machine?' }],
    triggers: [{ on: 'session_closed', deviceType: 'coffee_machine', minDuration: '1m' }],
    expiresAfter: '2h',
    startsAt: iso(t0 - 60 * minute),
  });
  const appSecrets = new Map<string, string>();
  const apps = new Map<string, RecordingClient>();
  for (const person of people) {
    await parcours.admin('POST', '/subjects', { id: person, kind: 'individual', type: 'person', name: person });
    const app = `app-${person}`;
    appSecrets.set(app, (await parcours.admin('POST', '/devices', { id: app, type: 'app' })).credentials!.secret);
    const recording = await parcours.connect(app, appSecrets.get(app)!, false);
    await recording.client.subscribeAsync(`parcours/devices/${app}/commands/#`, { qos: 1 });
    apps.set(app, recording);
    const coffee = `coffee-${person}`;
    const secret = (await parcours.admin('POST', '/devices', { id: coffee, type: 'coffee_machine' })).credentials!.secret;
    await parcours.admin('POST', `/devices/${coffee}/assignments`, { subjectId: person, validFrom: iso(t0 - 60 * minute) });
    const { client } = await parcours.connect(coffee, secret);
    for (const [seq, ts, type] of [
      [1, t0, 'usage.start'],
      [2, t0 + 3 * minute, 'usage.stop'],
    ] as const)
      await client.publishAsync(`parcours/devices/${coffee}/events`, JSON.stringify({ ts, seq, type }), { qos: 1 });
  }
  await waitUntil(() => parcours.prompts().length === people.length);
  // The import's answer may be lost to the crash that its assignments bring about: it committed before answering.
  fetch(`${parcours.http}/api/v1/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ assignments: people.map((person) => ({ deviceId: `app-${person}`, subjectId: person, validFrom: iso(t0 - 60 * minute) })) }),
  }).catch(() => undefined);
  expect(await exited).toBe('SIGKILL');
  const before = new Map([...apps].map(([app, { messages }]) => [app, [...messages]]));
  await Promise.all([...apps.values()].map(({ client }) => client.endAsync(true)));
  return { parcours, appSecrets, before };
}

/** Starts it again without failpoint; each app resumes its session and receives what delivery sends. */
async function restart(parcours: Instance, appSecrets: Map<string, string>): Promise<Map<string, Received[]>> {
  await parcours.start();
  const after = new Map<string, Received[]>();
  for (const [app, secret] of appSecrets) {
    const recording = await parcours.connect(app, secret, false);
    expect(recording.connack.sessionPresent, `${app}'s session outlived the crash`).toBe(true);
    after.set(app, recording.messages);
  }
  return after;
}

describe('survey prompts across a crash during their delivery', () => {
  it.each<CrashPoint>(['survey-prompt-before-publish', 'survey-prompt-after-publish'])(
    'crashed at %s: every prompt reaches its app at least once, recorded once, and ends delivered',
    async (point) => {
      const { parcours, appSecrets, before } = await crashAt(point);
      const recorded = parcours.prompts();
      expect(new Set(recorded.map((p) => p.prompt_id)).size, 'one row per prompt id').toBe(recorded.length);
      expect(recorded.map((p) => [p.person_id, p.decision])).toEqual(expect.arrayContaining(people.map((person) => [person, 'sent'])));
      expect(
        recorded.filter((p) => p.delivered_at !== null),
        'the crash came before any prompt was marked delivered',
      ).toEqual([]);

      const after = await restart(parcours, appSecrets);
      const sent = recorded.filter((p) => p.decision === 'sent');
      const receivedBy = (person: string) => [
        ...receivedIds(before.get(`app-${person}`)!, `app-${person}`),
        ...receivedIds(after.get(`app-${person}`)!, `app-${person}`),
      ];
      await waitUntil(() => sent.every((p) => receivedBy(p.person_id).includes(p.prompt_id)));
      await waitUntil(() => parcours.prompts().every((p) => p.decision !== 'sent' || p.delivered_at !== null));

      // Each app saw its own prompt only, possibly twice, always under its one id.
      for (const person of people) expect(new Set(receivedBy(person))).toEqual(new Set(sent.filter((p) => p.person_id === person).map((p) => p.prompt_id)));
      // Recorded once each, as decided before the crash: only the delivery time was added.
      expect(parcours.prompts().map(({ delivered_at: _, ...row }) => row)).toEqual(recorded.map(({ delivered_at: _, ...row }) => row));
    },
  );
});
