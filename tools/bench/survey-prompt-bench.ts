import { rm } from 'node:fs/promises';
import { promptId } from '@parcours/surveys';
import { connectAsync, type MqttClient } from 'mqtt';
import { adminKey, startParcours } from './targets.js';

/**
 * Surveys end to end on `parcours start`: coffee machines close sessions with `usage.stop` at a steady rate
 * and each session's prompt is timed from the stop's PUBACK to its arrival on the person's app, subscribed to
 * its prompt topics. The stop's own publish→PUBACK is measured alongside, in the same run, as the baseline.
 */
const persons = Number(process.env.BENCH_SURVEY_PERSONS ?? 200);
const closuresPerSecond = 200;
const durationMs = 10_000;
/** Each session lasts this long (device time), its stop spread with the others over the second. */
const sessionMs = 400;
const surveyId = 'bench-after-use';
const baseTopic = 'parcours';
/** How long the last prompts may take before the run counts the rest as not delivered. */
const drainMs = 30_000;

export interface SurveyPromptTimes {
  expected: number;
  /** The closures a second achieved: stops acknowledged over the span from the first stop sent to the last acknowledged. */
  rate: number;
  delivered: number;
  /** usage.stop publish → its PUBACK, ms. */
  stopAck: { p50: number; p99: number };
  /** usage.stop PUBACK → the prompt on the app, ms. */
  prompt: { p50: number; p99: number };
  /** The prompt recorded by the trigger job (its `decidedAt`) → the prompt on the app, ms: the delivery's share of the path. */
  fromRecorded: { p50: number; p99: number };
}

interface Session {
  sentAt: number;
  ackedAt: number;
  deliveredAt: number | null;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

const quantiles = (values: number[]) => {
  const sorted = values.toSorted((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
};

async function api(http: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${http}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

async function inBatches<T, R>(items: readonly T[], size: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(each))));
  return results;
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));

export async function surveyPromptTimes(): Promise<SurveyPromptTimes> {
  const target = await startParcours(0);
  const clients: MqttClient[] = [];
  try {
    const http = target.http;
    const now = Date.now();
    const since = new Date(now - 3_600_000).toISOString();
    const people = Array.from({ length: persons }, (_, i) => `bench-person-${i}`);
    // The registry in three bulk imports, then one credentials request per device.
    await api(http, 'POST', '/api/v1/import', { subjects: people.map((id) => ({ id, kind: 'individual', type: 'person', name: id })) });
    const devices = people.flatMap((person) => [
      { id: `coffee-${person}`, type: 'coffee_machine', person },
      { id: `app-${person}`, type: 'app', person },
    ]);
    await api(http, 'POST', '/api/v1/import', { devices: devices.map(({ id, type }) => ({ id, type, model: null, name: null })) });
    await api(http, 'POST', '/api/v1/import', {
      assignments: devices.map(({ id, person }) => ({ id: `${id}.owner`, deviceId: id, subjectId: person, validFrom: since, validTo: null })),
    });
    await api(http, 'POST', '/api/v1/surveys', {
      id: surveyId,
      name: 'After a coffee',
      questions: [{ kind: 'nps', id: 'recommend', text: 'Would you recommend this machine?' }],
      triggers: [{ on: 'session_closed', deviceType: 'coffee_machine' }],
      samplingRate: 1,
      expiresAfter: '2h',
      startsAt: since,
    });

    const sessions = new Map<string, Session>();
    const connect = async (id: string) => {
      const { username, secret } = (await api(http, 'POST', `/api/v1/devices/${id}/credentials`)) as { username: string; secret: string };
      const client = await connectAsync(target.url, { clientId: id, username, password: secret, reconnectPeriod: 0 });
      clients.push(client);
      return client;
    };
    const coffee = await inBatches(people, 16, async (person) => {
      const app = await connect(`app-${person}`);
      app.on('message', (topic, payload) => {
        const session = sessions.get(topic.slice(topic.lastIndexOf('/') + 1));
        if (session && payload.length > 0 && session.deliveredAt === null) session.deliveredAt = performance.now();
      });
      await app.subscribeAsync(`${baseTopic}/devices/app-${person}/commands/survey-prompts/#`, { qos: 1 });
      return { person, device: `coffee-${person}`, client: await connect(`coffee-${person}`), seq: 0 };
    });

    // The machines take turns, their stops evenly spaced: with 200 people each closes one session a second.
    const perMachine = Math.ceil((closuresPerSecond * durationMs) / 1000 / persons);
    const stepMs = 1000 / closuresPerSecond;
    // A machine's next session starts after its last one stopped.
    if (persons * stepMs <= sessionMs) throw new Error(`BENCH_SURVEY_PERSONS must exceed ${sessionMs / stepMs}`);
    const begin = performance.now() + sessionMs;
    const publish = (m: (typeof coffee)[number], type: string, ts: number) => {
      m.seq += 1;
      return m.client.publishAsync(`${baseTopic}/devices/${m.device}/events`, JSON.stringify({ ts, seq: m.seq, type }), { qos: 1 });
    };
    const runs: Promise<void>[] = [];
    for (let k = 0; k < perMachine; k++) {
      for (let i = 0; i < coffee.length; i++) {
        const slot = k * coffee.length + i;
        const stopAt = begin + slot * stepMs;
        if (stopAt - begin >= durationMs) break;
        const machine = coffee[i]!;
        await sleepUntil(stopAt - sessionMs);
        const startTs = Date.now();
        runs.push(
          (async () => {
            await publish(machine, 'usage.start', startTs);
            await sleepUntil(stopAt);
            const id = promptId({ surveyId, personId: machine.person, trigger: `session:${machine.device}@${startTs}` });
            const session: Session = { sentAt: performance.now(), ackedAt: Number.NaN, deliveredAt: null };
            sessions.set(id, session);
            await publish(machine, 'usage.stop', Math.max(Date.now(), startTs + 1));
            session.ackedAt = performance.now();
          })(),
        );
      }
    }
    await Promise.all(runs);
    const all = [...sessions.values()];
    const deadline = performance.now() + drainMs;
    while (all.some((s) => s.deliveredAt === null) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const delivered = all.filter((s) => s.deliveredAt !== null);
    const bySecond = Array.from(
      { length: Math.ceil(durationMs / 1000) },
      (_, second) => quantiles(delivered.filter((s) => Math.floor((s.sentAt - begin) / 1000) === second).map((s) => s.deliveredAt! - s.ackedAt)).p50,
    );
    // When each prompt was recorded, read back from the API once the run is over (same machine, same clock).
    const fromRecorded = await inBatches(
      [...sessions].filter(([, session]) => session.deliveredAt !== null),
      16,
      async ([id, session]) => {
        const { decidedAt } = (await api(http, 'GET', `/api/v1/prompts/${id}`)) as { decidedAt: string };
        return performance.timeOrigin + session.deliveredAt! - Date.parse(decidedAt);
      },
    );
    process.stderr.write(`surveys: prompt p50 by second of the run: ${bySecond.map((ms) => Math.round(ms)).join(', ')} ms\n`);
    const span = Math.max(...all.map((s) => s.ackedAt)) - Math.min(...all.map((s) => s.sentAt));
    return {
      expected: all.length,
      rate: (all.length * 1000) / span,
      delivered: delivered.length,
      stopAck: quantiles(all.map((s) => s.ackedAt - s.sentAt)),
      prompt: quantiles(delivered.map((s) => s.deliveredAt! - s.ackedAt)),
      fromRecorded: quantiles(fromRecorded),
    };
  } finally {
    await Promise.all(clients.map((client) => client.endAsync()));
    await target.stop();
    await rm(target.dataDir, { recursive: true, force: true });
  }
}
