import { journeySurveyStepSchema, promptViewSchema, type PromptView, servedJourneySchema, servedSessionSchema } from '@parcours/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';
import { TestFleet } from './test-fleet.js';

/**
 * Answers stay tied to what they were about when late data re-derives it, on a real Parcours over MQTT. Each
 * person makes a coffee, boils the kettle, and makes another coffee an hour later: two journeys, prompted after
 * each coffee, at the kettle following a coffee, and at each journey's close. They answer or dismiss every
 * prompt; then the machine replays a reading from before its first session (whose start, hence its id and its
 * journey's id, move) and the kettle one from between the journeys (which merge). Nobody is asked again, every
 * prompt links to the session and journey now holding its trigger, and the journeys carry the answers as survey
 * steps; a batch re-derivation of the range changes nothing.
 */
const minute = 60_000;
const people = ['ines', 'omar', 'lea'];
const t0 = Math.floor((Date.now() - 4 * 60 * minute) / minute) * minute;
const surveys = ['after-coffee', 'coffee-then-kettle', 'journey-end'];

let app: ParcoursApp;
let fleet: TestFleet;

const get = async <T extends z.ZodType>(path: string, schema: T): Promise<z.output<T>> =>
  schema.decode((await api(app.urls.http, 'GET', `/api/v1${path}`)).body as never);
const range = `from=${new Date(t0 - 60 * minute).toISOString()}&to=${new Date(t0 + 5 * 60 * minute).toISOString()}&limit=1000`;
const sessionsOf = async (person: string) => (await get(`/subjects/${person}/sessions?${range}`, z.object({ items: z.array(servedSessionSchema) }))).items;
const journeysOf = async (person: string) =>
  (
    await get(
      `/subjects/${person}/journeys?${range}&surveySteps=true`,
      z.object({ items: z.array(servedJourneySchema.extend({ surveySteps: z.array(journeySurveyStepSchema) })) }),
    )
  ).items;
const promptIds = () => surveys.flatMap((id) => app.prompts.forResults(id, 0, Number.MAX_SAFE_INTEGER).prompts.map((p) => p.id)).sort();
/** Every prompt as the API shows it, in trigger order. */
const promptViews = async () =>
  (await Promise.all(promptIds().map((id) => get(`/prompts/${id}`, promptViewSchema)))).sort(
    (a, b) => a.context.triggeredAt - b.context.triggeredAt || (a.promptId < b.promptId ? -1 : 1),
  );

/** A use on a device with a power threshold (the built-in rules of both types): on from `start` for `minutes`. */
async function powered(deviceId: string, start: number, minutes: number, watts: number): Promise<void> {
  for (let m = 0; m < minutes; m++) await fleet.publish(deviceId, 'telemetry', start + m * minute, { metrics: { power_w: watts } });
  await fleet.publish(deviceId, 'telemetry', start + minutes * minute, { metrics: { power_w: 0 } });
}

/** Whether the current sessions and journeys of every person show the late readings, and the prompts caught up. */
async function rederived(): Promise<boolean> {
  for (const person of people) {
    const journeys = await journeysOf(person);
    if (journeys.length !== 1 || journeys[0]!.start !== t0 - minute || journeys[0]!.path !== 'coffee_machine>kettle>kettle>coffee_machine') return false;
  }
  await app.surveyTriggers.flush();
  return (await promptViews()).every((p) => p.context.journeyId === `${p.personId}@${t0 - minute}`);
}

beforeAll(async () => {
  app = await startApp(testConfig({ analytics: { journeyGap: '30m', actorInference: false } }));
  fleet = new TestFleet(app);
  const startsAt = new Date(t0 - 60 * minute).toISOString();
  const nps = [{ kind: 'nps', id: 'recommend', text: 'Would you recommend it?' }];
  for (const [id, triggers] of [
    ['after-coffee', [{ on: 'session_closed', deviceType: 'coffee_machine' }]],
    ['coffee-then-kettle', [{ on: 'transition', fromType: 'coffee_machine', toType: 'kettle' }]],
    ['journey-end', [{ on: 'journey_closed' }]],
  ] as const)
    expect((await api(app.urls.http, 'POST', '/api/v1/surveys', { id, name: id, questions: nps, triggers, expiresAfter: '12h', startsAt })).status).toBe(201);
  await api(app.urls.http, 'POST', '/api/v1/subjects', { id: 'street', kind: 'collective', type: 'public_space', name: 'Street' });
  await fleet.connect('street-meter', 'meter', 'street', t0 - 60 * minute);
  for (const person of people) {
    await api(app.urls.http, 'POST', '/api/v1/subjects', { id: person, kind: 'individual', type: 'person', name: person });
    await fleet.connect(`cm-${person}`, 'coffee_machine', person, t0 - 60 * minute);
    await fleet.connect(`kettle-${person}`, 'kettle', person, t0 - 60 * minute);
  }
  // Everyone's uses in time order: device time moves with the latest record, and only the late readings are late.
  for (const person of people) await powered(`cm-${person}`, t0, 3, 1200);
  for (const person of people) await powered(`kettle-${person}`, t0 + 10 * minute, 2, 1500);
  for (const person of people) await powered(`cm-${person}`, t0 + 60 * minute, 2, 1200);
  // The street's meter moves device time on: every session and journey closes.
  await fleet.publish('street-meter', 'telemetry', t0 + 3 * 60 * minute, { metrics: { power_w: 80 } });
  // Per person: two coffees, a kettle after a coffee, two journeys closed.
  await waitUntil(async () => {
    await app.surveyTriggers.flush();
    return promptIds().length === 5 * people.length;
  });
  for (const [i, id] of promptIds().entries()) {
    const reply = i % 4 === 3 ? { path: 'dismiss', body: {} } : { path: 'answer', body: { values: { recommend: i % 11 } } };
    expect((await api(app.urls.http, 'POST', `/api/v1/prompts/${id}/${reply.path}`, reply.body)).status).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await fleet?.close();
  await app?.stop();
});

it('first ties each prompt to the session and journey that triggered it', async () => {
  const views = await promptViews();
  expect(views.every((p) => p.decision === 'sent')).toBe(true);
  for (const person of people) {
    const mine = views.filter((p) => p.personId === person);
    expect(mine.filter((p) => p.surveyId === 'after-coffee').map((p) => [p.context.sessionId, p.context.journeyId])).toEqual([
      [`cm-${person}@${t0}`, `${person}@${t0}`],
      [`cm-${person}@${t0 + 60 * minute}`, `${person}@${t0 + 60 * minute}`],
    ]);
    expect(mine.filter((p) => p.surveyId === 'coffee-then-kettle').map((p) => p.context.sessionId)).toEqual([`kettle-${person}@${t0 + 10 * minute}`]);
  }
});

it('after late readings move a session’s start and merge journeys, asks nobody again and links every prompt to the results now derived', async () => {
  const before = promptIds();
  for (const person of people) {
    await fleet.publish(`cm-${person}`, 'telemetry', t0 - minute, { metrics: { power_w: 1200 } });
    await powered(`kettle-${person}`, t0 + 35 * minute, 1, 1500);
  }
  await waitUntil(rederived);
  expect(promptIds()).toEqual(before);

  for (const person of people) {
    const sessions = (await sessionsOf(person)).filter((s) => s.deviceType !== 'meter');
    expect(sessions.map((s) => s.id)).toEqual([
      `cm-${person}@${t0 - minute}`,
      `kettle-${person}@${t0 + 10 * minute}`,
      `kettle-${person}@${t0 + 35 * minute}`,
      `cm-${person}@${t0 + 60 * minute}`,
    ]);
    const [journey] = await journeysOf(person);
    for (const prompt of (await promptViews()).filter((p) => p.personId === person)) {
      const holding = sessions.find((s) => s.deviceId === deviceOf(prompt) && s.start <= prompt.context.triggeredAt && prompt.context.triggeredAt <= s.end);
      expect(prompt.context.sessionId, prompt.promptId).toBe(prompt.surveyId === 'journey-end' ? null : holding!.id);
      expect(prompt.context.journeyId, prompt.promptId).toBe(journey!.id);
    }
  }
});

it("shows every answer and dismissal as a survey step of the person's journey, with its session", async () => {
  const views = await promptViews();
  for (const person of people) {
    const [journey] = await journeysOf(person);
    const replied = views.filter((p) => p.personId === person);
    expect(journey!.surveySteps).toEqual(
      replied.map((p) => ({
        kind: 'survey',
        promptId: p.promptId,
        surveyId: p.surveyId,
        reply: p.state,
        at: p.answeredAt ?? p.dismissedAt,
        triggeredAt: p.context.triggeredAt,
        sessionId: p.context.sessionId,
      })),
    );
    // Survey steps are beside the usage: the path and the steps count only sessions.
    expect(journey).toMatchObject({ steps: 4, path: 'coffee_machine>kettle>kettle>coffee_machine' });
  }
  expect(views.filter((p) => p.state === 'dismissed').length).toBeGreaterThan(0);
  expect(views.filter((p) => p.state === 'answered').length).toBeGreaterThan(0);
});

it('gives the same prompts and links after a batch re-derivation of the range', async () => {
  const before = await promptViews();
  await app.analytics.runBatch({ jobs: ['sessions', 'journeys'], from: t0 - 60 * minute, to: t0 + 5 * 60 * minute });
  await app.surveyTriggers.flush();
  expect(await promptViews()).toEqual(before);
});

/** The device of a prompt's trigger, from the session it was first tied to (`{device}@{start}`). */
function deviceOf(prompt: PromptView): string | null {
  const { sessionId } = prompt.context;
  return sessionId === null ? null : sessionId.slice(0, sessionId.lastIndexOf('@'));
}
