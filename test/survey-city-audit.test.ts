import { type AgeBand, ageBands, answerBehaviourSchema, city, parseScenario, PromptAnswerer, type SimulationSummary } from '@parcours/firmware-sim';
import type { StoredPrompt } from '@parcours/surveys';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { audit } from '../surveys/test/decisions/audit.js';
import type { Outcome, SimulationRules } from '../surveys/test/decisions/simulation.js';
import { api, eventSessionRules, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';
import { startFleet } from './simulated-run.js';

/**
 * Thirty simulated days of a small `city`, twice — across the change to summer time in Paris (2026-03-29) and
 * back (2026-10-25) — through a real Parcours whose surveys follow the data's time (`surveys.clock: device`). A
 * survey asks after toothbrush and e-bike sessions, at most once a calendar day and three times a week, resting a
 * week after an answer, never from 21:00 to 08:00, with a cap across surveys of one a day; each person answers
 * or dismisses on their app over MQTT as a planted behaviour says. The audit of the decisions' pure tests,
 * written apart from the decision code, then checks every person's prompts against every rule, and the
 * decisions are counted by reason so that every rule is shown to have been met.
 */
const hour = 3_600_000;
const day = 24 * hour;
const paris = 'Europe/Paris';
const surveyId = 'city-after-use';
// Each window starts two weeks before the change; 08:00 in Paris on the day of the change, once the clocks changed.
const windows = [
  { from: Date.UTC(2026, 2, 15), change: '2026-03-29', eightOClock: Date.UTC(2026, 2, 29, 6) },
  { from: Date.UTC(2026, 9, 11), change: '2026-10-25', eightOClock: Date.UTC(2026, 9, 25, 7) },
];
const span = 30 * day;

const generated = city({ seed: 5, households: 16, workplaces: 2, ebikes: 4 });
// Telemetry every 6 hours (sessions come from usage events): minute by minute would be three million messages a
// window. No visitors: everyone prompted has an app.
const world = parseScenario({
  ...generated,
  devices: generated.devices.map((d) => ({ ...d, telemetry: { ...d.telemetry, intervalS: 21_600 } })),
  visitors: [],
});
const behaviour = answerBehaviourSchema.parse({ seed: 7 });
const survey = {
  id: surveyId,
  name: 'After a brush or a ride',
  questions: [{ kind: 'nps', id: 'recommend', text: 'Would you recommend it to a friend?' }],
  triggers: [
    { on: 'session_closed', deviceType: 'toothbrush' },
    { on: 'session_closed', deviceType: 'ebike', actorKnown: true },
  ],
  delay: '2m',
  samplingRate: 0.9,
  holdout: 0.1,
  caps: { perCalendarDay: 1, perWeek: 3 },
  cooldown: { afterAnswer: '7d' },
  quietHours: { from: '21:00', to: '08:00' },
  // Long enough for a prompt due after 23:00 to be held until 08:00, not for one of the evening before.
  expiresAfter: '9h',
  startsAt: new Date(windows[0]!.from).toISOString(),
};
const globalCaps = { perDay: 1 };

let app: ParcoursApp;
let answerer: PromptAnswerer;
let rules: SimulationRules;
/**
 * The device time at each delivery after a simulated chunk: a prompt due by one of them and not expired then was
 * delivered. The replay's clock moves a chunk at a time, so a prompt held to 08:00 that expires before the chunk's
 * end is sent, counted by the caps, and never delivered.
 */
const deliveryTimes: number[] = [];
/** Simulated time published at once: the replay waits for Parcours after each. */
const chunkMs = 4 * hour;

const promptsBetween = (from: number, to: number): StoredPrompt[] => app.prompts.forResults(surveyId, from, to).prompts.map((p) => app.prompts.get(p.id)!);

/**
 * After each simulated chunk: the analytics, then the decisions and the deliveries have caught up with it, every
 * prompt delivered has reached its person's app, and the replies planned within the chunk are stored. A prompt is
 * thus answered before any trigger of a later chunk is decided, as it would have been in real time (a cooldown
 * starts from an answer at most 8.1 hours after the prompt, and the next prompt comes 24 hours after it at the
 * earliest, from a trigger 9 hours before it at the earliest: chunks of 4 hours, up to 6.9, keep that order).
 */
async function catchUp(reached: number): Promise<void> {
  await app.drained();
  await app.surveyTriggers.flush();
  deliveryTimes.push(app.analytics.sessionStore.loadWatermark());
  await app.promptDelivery.flush();
  await waitUntil(() => promptsBetween(reached - 2 * day, reached + day).every((p) => p.deliveredAt === null || answerer.truths.has(p.promptId)));
  await answerer.idle();
  await answerer.release(reached);
  await app.surveyReplies.caughtUp();
}

beforeAll(async () => {
  // Actors are not inferred: the survey asks after personal devices and reported riders, and a guess costs each batch.
  const config = testConfig({ analytics: { sessionRules: eventSessionRules, actorInference: false }, surveys: { clock: 'device', caps: globalCaps } });
  app = await startApp(config);
  // The people, so that their apps can be assigned to them before the simulator registers the rest of the world.
  const people = world.individuals.map((p) => ({ id: p.id, kind: 'individual', type: p.type, name: p.name, attributes: p.attributes }));
  expect((await api(app.urls.http, 'POST', '/api/v1/import', { subjects: people })).status).toBe(200);
  const devices = [];
  for (const person of world.individuals) {
    const appId = `app-${person.id}`;
    const created = await api<{ credentials: { secret: string } }>(app.urls.http, 'POST', '/api/v1/devices', { id: appId, type: 'app' });
    await api(app.urls.http, 'POST', `/api/v1/devices/${appId}/assignments`, {
      subjectId: person.id,
      validFrom: new Date(windows[0]!.from - day).toISOString(),
    });
    const band = String(person.attributes.ageBand);
    devices.push({
      deviceId: appId,
      auth: { username: appId, password: created.body.credentials.secret },
      // Teens answer as the youngest adults.
      person: { id: person.id, ageBand: (ageBands.includes(band as AgeBand) ? band : ageBands[0]) as AgeBand, sessionsBefore: 0, timeZone: paris },
    });
  }
  expect((await api(app.urls.http, 'POST', '/api/v1/surveys', survey)).status).toBe(201);
  const stored = app.surveys.require(surveyId);
  rules = { surveys: new Map([[surveyId, { id: surveyId, version: stored.version, definition: stored.survey }]]), globalCaps };
  answerer = await PromptAnswerer.start(devices, {
    mqttUrl: app.urls.mqtt,
    baseTopic: config.mqtt.baseTopic,
    behaviour,
    logger: pino({ level: 'silent' }),
    holdReplies: true,
  });
});

afterAll(async () => {
  await answerer?.close();
  await app?.stop();
});

describe.each(windows)('30 days of the city around the change of clocks of $change', ({ from, change, eightOClock }) => {
  const to = from + span;
  let summary: SimulationSummary;
  let prompts: StoredPrompt[];
  let started: number;

  beforeAll(async () => {
    started = performance.now();
    const simulator = await startFleet(app, { world, from, to, seed: 17, chunkMs, afterChunk: catchUp });
    summary = await simulator.done;
    await simulator.stop();
    prompts = promptsBetween(from - day, to + day).filter((p) => p.triggeredAt >= from && p.triggeredAt < to);
    const byReason: Record<string, number> = {};
    for (const p of prompts) byReason[p.decision] = (byReason[p.decision] ?? 0) + 1;
    const answered = prompts.filter((p) => p.answeredAt !== null).length;
    const dismissed = prompts.filter((p) => p.dismissedAt !== null).length;
    console.log(`${change}: ${Math.round(performance.now() - started)} ms`, { ...byReason, answered, dismissed }, summary.published);
  });

  it('replayed every message', () => {
    expect(summary.failed).toBe(0);
    expect(summary.published.events).toBeGreaterThan(10_000);
  });

  it('sent no prompt that breaks a cap (rolling day and week, calendar day in Paris), the cooldown, quiet hours or expiry', () => {
    const people = new Set(prompts.map((p) => p.personId));
    expect(people.size).toBeGreaterThan(20);
    for (const person of people)
      expect(audit({ id: person, timeZone: paris, optedOut: [] }, prompts.filter((p) => p.personId === person).map(outcome), rules), person).toEqual([]);
  });

  it('met every rule on the way: prompts sent, held to the morning, dropped at night, capped three ways, resting after answers', () => {
    const count = (test: (p: StoredPrompt) => boolean) => prompts.filter(test).length;
    for (const decision of ['sent', 'capped', 'cooldown', 'quiet_hours', 'holdout', 'sampled_out'])
      expect(
        count((p) => p.decision === decision),
        decision,
      ).toBeGreaterThan(decision === 'holdout' || decision === 'sampled_out' ? 0 : 20);
    for (const rule of ['of this survey on', 'of this survey within 7 days', 'of all surveys within 24 hours'])
      expect(
        count((p) => p.decision === 'capped' && p.detail.includes(rule)),
        rule,
      ).toBeGreaterThan(0);
    expect(count((p) => p.decision === 'sent' && p.detail.startsWith('deferred') && p.deliveredAt !== null)).toBeGreaterThan(5);
    // Each rest follows an answer given over MQTT from the person's app.
    expect(count((p) => p.decision === 'cooldown' && !p.detail.startsWith('answered on'))).toBe(0);
  });

  it("delivered each prompt once due, while it could be answered, and stored each reply as the person's app sent it", () => {
    const sent = prompts.filter((p) => p.decision === 'sent');
    for (const p of sent) {
      if (deliveryTimes.some((t) => t >= p.sendAt && t < p.expiresAt)) expect(p.deliveredAt, p.promptId).not.toBeNull();
      if (p.deliveredAt === null) continue;
      expect(p.deliveredAt).toBeGreaterThanOrEqual(Math.max(p.sendAt, p.decidedAt));
      const truth = answerer.truths.get(p.promptId)!;
      const inTime = truth.kind === 'answer' && !truth.late;
      expect({ answeredAt: p.answeredAt, dismissedAt: p.dismissedAt }, p.promptId).toEqual({
        answeredAt: inTime ? truth.at : null,
        dismissedAt: truth.kind === 'dismiss' ? truth.at : null,
      });
    }
    expect(sent.filter((p) => p.deliveredAt !== null).length).toBeGreaterThan(100);
    expect(sent.filter((p) => p.answeredAt !== null).length).toBeGreaterThan(20);
    expect(sent.filter((p) => p.dismissedAt !== null).length).toBeGreaterThan(5);
  });

  it(`held the triggers of the night of ${change} until 08:00 in Paris, and prompted on that day of 23 or 25 hours and the week after`, () => {
    const localDate = (t: number) => new Date(t).toLocaleDateString('en-CA', { timeZone: paris });
    // Decided past quiet hours (sent, or then capped or resting): each at the end of quiet hours, after the change.
    expect(prompts.filter((p) => p.sendAt === eightOClock && p.triggeredAt < eightOClock - 6 * hour).length).toBeGreaterThan(5);
    expect(prompts.filter((p) => localDate(p.sendAt) === change).length).toBeGreaterThan(10);
    expect(prompts.filter((p) => p.decision === 'sent' && p.sendAt >= eightOClock && p.sendAt < eightOClock + 7 * day).length).toBeGreaterThan(10);
  });

  it('would be caught breaking a rule: the same prompts audited against stricter ones', () => {
    const definition = rules.surveys.get(surveyId)!.definition;
    const stricter: SimulationRules = {
      surveys: new Map([
        [
          surveyId,
          {
            ...rules.surveys.get(surveyId)!,
            definition: {
              ...definition,
              caps: { ...definition.caps, perWeek: 2 },
              cooldown: { afterAnswer: 9 * day },
              quietHours: { from: '20:00', to: '09:00' },
            },
          },
        ],
      ]),
      globalCaps,
    };
    const violations = [...new Set(prompts.map((p) => p.personId))].flatMap((person) =>
      audit({ id: person, timeZone: paris, optedOut: [] }, prompts.filter((p) => p.personId === person).map(outcome), stricter),
    );
    for (const kind of ['perWeek', 'cooldown', 'quiet hours'])
      expect(
        violations.some((v) => v.startsWith(kind)),
        kind,
      ).toBe(true);
  });
});

/** A stored prompt as the audit reads it: its trigger and when it was decided, its decision, and its replies. */
function outcome(p: StoredPrompt): Outcome {
  return {
    trigger: { surveyId: p.surveyId, key: p.trigger, at: p.triggeredAt, now: p.decidedAt },
    decision: {
      decision: p.decision,
      promptId: p.promptId,
      surveyId: p.surveyId,
      surveyVersion: p.version,
      personId: p.personId,
      trigger: p.trigger,
      sendAt: p.sendAt,
      expiresAt: p.expiresAt,
      detail: p.detail,
    },
    entry: {
      surveyId: p.surveyId,
      promptId: p.promptId,
      sentAt: p.sendAt,
      decision: p.decision,
      ...(p.answeredAt === null ? {} : { answeredAt: p.answeredAt }),
      ...(p.dismissedAt === null ? {} : { dismissedAt: p.dismissedAt }),
    },
  };
}
