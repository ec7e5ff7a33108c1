import { servedJourneySchema, type Journey, type ServedJourney, type UsageSession } from '@parcours/contracts';
import { loadScenario, type GroundTruth, type JourneyTruth, type World } from '@parcours/firmware-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { startInfluxDB, type InfluxServer } from '../tools/services/index.js';
import { api, eventSessionRules, startApp, testConfig } from './helpers.js';
import { runFleet } from './simulated-run.js';
import { connectRecording, type RecordingClient } from './mqtt-clients.js';

/**
 * Journeys on a real run: the `small` fleet publishes a simulated day at full speed to a real Parcours
 * writing to a real InfluxDB. The journeys served by the API are compared with the simulator's ground
 * truth, an integrator subscribed to a household's journeys receives them over MQTT, and a batch
 * re-derivation of the day replaces them with the same ones.
 */
const from = Date.UTC(2026, 2, 2); // a Monday
const to = from + 24 * 3_600_000;
const gapMs = 30 * 60_000;
const household = 'hh-martin';
const database = 'parcours_journeys';

let influx: InfluxServer;
let app: ParcoursApp;
let world: World;
let truth: GroundTruth;
let integrator: RecordingClient;

const key = (j: Pick<JourneyTruth, 'subjectId' | 'startMs' | 'endMs' | 'steps' | 'path'>) =>
  `${j.subjectId} ${new Date(j.startMs).toISOString()}–${new Date(j.endMs).toISOString()} ${j.steps} ${j.path}`;
const fromApi = (j: Journey) => key({ subjectId: j.subjectId, startMs: j.start, endMs: j.end, steps: j.steps, path: j.path });
const sessionKey = (deviceId: string, start: number, end: number) => `${deviceId} ${start}–${end}`;

async function journeysOf(subjectId: string): Promise<ServedJourney[]> {
  const range = `from=${new Date(from - 86_400_000).toISOString()}&to=${new Date(to).toISOString()}&limit=10000`;
  const response = await api<{ items: unknown[] }>(app.urls.http, 'GET', `/api/v1/subjects/${subjectId}/journeys?${range}`);
  expect(response.status).toBe(200);
  return response.body.items.map((item) => servedJourneySchema.decode(item as never));
}

/** Every stored journey of the day, as the API serves it. */
async function servedJourneys(): Promise<Journey[]> {
  const subjects = app.gateway.registry.listSubjects({ limit: 10_000, offset: 0 }).map((s) => s.id);
  return (await Promise.all(subjects.map(journeysOf))).flat();
}

function derivedSessions(): UsageSession[] {
  return world.devices.flatMap((d) => app.analytics.sessionStore.listForDevice(d.id, from - 86_400_000, to + 86_400_000, 10_000));
}

/** Sessions counted for each subject: by their owner and their user (Parcours: the reported actor; an inferred one stays out of journeys). */
function countedFor(sessions: readonly { key: string; owner: string | null; user: string | null }[]): Map<string, Set<string>> {
  const bySubject = new Map<string, Set<string>>();
  for (const s of sessions) {
    for (const id of new Set([s.owner, s.user])) if (id !== null) bySubject.set(id, (bySubject.get(id) ?? new Set()).add(s.key));
  }
  return bySubject;
}

beforeAll(async () => {
  influx = await startInfluxDB();
  // Event sessions only, as in e2e.test.ts: a device already on at the window's first sample would get a
  // threshold session that the window's ground truth lacks (threshold-sessions.test.ts covers those). The
  // ambient types stay those of the ground truth's journeys.
  const config = testConfig({ analytics: { journeyGap: '30m', sessionRules: eventSessionRules }, influx: { url: influx.url, database } });
  app = await startApp(config);
  world = await loadScenario('small');
  const grant = app.gateway.apiKeys.create({ name: 'crm', role: 'integrator', subjects: [household] }).key;
  integrator = await connectRecording(app.urls.mqtt, { username: 'crm', password: grant });
  await integrator.client.subscribeAsync(`${config.mqtt.baseTopic}/subjects/${household}/journeys`, { qos: 1 });
  truth = (await runFleet(app, { world, seed: 11, from, to })).groundTruth;
  await app.drained();
});

afterAll(async () => {
  await integrator?.client.endAsync();
  await app?.stop();
  await influx?.stop();
});

/** Per subject, the closed sessions counted for it by the ground truth and by Parcours, keyed by device and span. */
function attributions(): { truth: Map<string, Set<string>>; derived: Map<string, Set<string>>; sessions: Map<string, UsageSession> } {
  const closed = truth.sessions.filter((s) => s.endMs < to);
  const sessions = new Map(derivedSessions().map((s) => [sessionKey(s.deviceId, s.start, s.end), s]));
  return {
    truth: countedFor(closed.map((s) => ({ key: sessionKey(s.deviceId, s.startMs, s.endMs), owner: s.subjectId, user: s.user }))),
    derived: countedFor([...sessions].map(([k, s]) => ({ key: k, owner: s.subjectId, user: s.actor }))),
    sessions,
  };
}

const difference = (a: Set<string> | undefined, b: Set<string> | undefined) => [...(a ?? [])].filter((k) => !b?.has(k));

describe('journeys on a simulated day of the small fleet', () => {
  it('serves the ground-truth journeys of every subject whose sessions Parcours attributed as the simulator did', async () => {
    const counted = attributions();
    const subjects = new Set([...counted.truth.keys(), ...counted.derived.keys()]);
    const exact = [...subjects].filter(
      (id) =>
        difference(counted.truth.get(id), counted.derived.get(id)).length === 0 && difference(counted.derived.get(id), counted.truth.get(id)).length === 0,
    );
    const served = (await servedJourneys()).filter((j) => exact.includes(j.subjectId));
    // Closed by the end of the run: the latest message (the stream's watermark) is more than the gap after them.
    let lastEvent = from;
    for (const chunk of app.gateway.log.readTimeRange(from, to + 86_400_000)) for (const record of chunk) lastEvent = Math.max(lastEvent, record.ts);
    const expected = truth.journeys.filter((j) => exact.includes(j.subjectId) && j.endMs + gapMs < lastEvent);
    expect(exact.length).toBeGreaterThan(10);
    expect(expected.length).toBeGreaterThan(30);
    expect(served.map(fromApi).sort()).toEqual(expected.map(key).sort());
    // Who used a session never changes a collective's journeys: every collective is compared.
    expect(world.collectives.map((c) => c.id).filter((id) => subjects.has(id) && !exact.includes(id))).toEqual([]);
  });

  it("attributes the other subjects' sessions differently only where no device reported the user (unknown to Parcours, or only inferred)", () => {
    const counted = attributions();
    const unreported: string[] = [];
    for (const subject of new Set([...counted.truth.keys(), ...counted.derived.keys()])) {
      for (const k of [
        ...difference(counted.truth.get(subject), counted.derived.get(subject)),
        ...difference(counted.derived.get(subject), counted.truth.get(subject)),
      ]) {
        const session = counted.sessions.get(k);
        expect(session, `${subject}: ${k} was not derived`).toBeDefined();
        expect(session!.actor, `${subject}: ${k} has a reported actor`).toBeNull();
        unreported.push(k);
      }
    }
    // The simulated households have shared devices without profiles: the comparison above is not vacuous.
    expect(unreported.length).toBeGreaterThan(0);
  });

  it('publishes each journey of a granted subject to its integrator on subjects/{id}/journeys, its latest version as the API serves it', async () => {
    const served = await journeysOf(household);
    expect(served.length).toBeGreaterThan(0);
    expect(new Set(integrator.messages.map((m) => m.topic))).toEqual(new Set([`parcours/subjects/${household}/journeys`]));
    // At full speed, a device's records may come in after others' have moved the watermark past a journey's
    // gap: the journey closed without its session is rebuilt, and published again under the same id.
    const latest = new Map<string, unknown>();
    for (const m of integrator.messages) latest.set((JSON.parse(m.payload) as { id: string }).id, JSON.parse(m.payload));
    expect([...latest.values()]).toEqual(served.map((j) => servedJourneySchema.encode(j)));
  });

  it('writes one InfluxDB journey point per journey, and a batch re-derivation of the day replaces them with the same ones', async () => {
    const points = async () =>
      (await influx.scalar(`SELECT count("steps") FROM journey WHERE time >= ${from - 86_400_000}ms AND time < ${to + 86_400_000}ms`, database)) ?? 0;
    const before = (await servedJourneys()).map(fromApi).sort();
    expect(await points()).toBe(before.length);
    await app.analytics.rederive(new Set(world.devices.map((d) => d.id)), from, to);
    const after = (await servedJourneys()).map(fromApi).sort();
    expect(after).toEqual(before);
    expect(await points()).toBe(after.length);
  });
});
