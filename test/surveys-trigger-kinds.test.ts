import type { SurveyTrigger } from '@parcours/contracts';
import type { StoredPrompt } from '@parcours/surveys';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { settle, waitUntil } from './mqtt-clients.js';
import { TestFleet } from './test-fleet.js';

/**
 * Each kind of trigger on a real Parcours: ana makes coffee, boils the kettle and opens her door (one journey,
 * coffee_machine>kettle, in the morning funnel); bob makes coffee after opening his door (a journey that stops
 * before the kettle, out of the funnel); carl's thermometer only reports. Journeys close a 5-minute gap after
 * their last session, once carl's later reading moves the watermark past it.
 */
const minute = 60_000;
const t0 = Date.now() - 90 * minute;
const people = ['ana', 'bob', 'carl'];
const funnels = [
  { name: 'morning', steps: [{ deviceType: 'coffee_machine' }, { eventType: 'door.opened' }], window: '1h', countBy: 'individual' },
  { name: 'household', steps: [{ deviceType: 'coffee_machine' }, { deviceType: 'kettle' }], window: '1h', countBy: 'collective' },
];
const surveys: Record<string, SurveyTrigger[]> = {
  'second-step': [{ on: 'journey_step', step: 2, deviceType: 'kettle' }],
  transition: [{ on: 'transition', fromType: 'coffee_machine', toType: 'kettle' }],
  'stopped-short': [{ on: 'journey_closed', stoppedBefore: 'kettle' }],
  'morning-entry': [{ on: 'funnel_step', funnel: 'morning', step: 1 }],
  'morning-door': [{ on: 'funnel_step', funnel: 'morning', step: 2 }],
  'door-opened': [{ on: 'event', eventType: 'door.opened' }],
};

let app: ParcoursApp;
let fleet: TestFleet;

const survey = (id: string, triggers: unknown[]) =>
  api<{ code?: string; detail?: string }>(app.urls.http, 'POST', '/api/v1/surveys', {
    id,
    name: id,
    questions: [{ kind: 'nps', id: 'recommend', text: 'Would you recommend it?' }],
    triggers,
    expiresAfter: '1d',
    startsAt: new Date(t0 - 60 * minute).toISOString(),
  });

/** The survey's prompts, each person's with what triggered it. */
const promptsOf = (surveyId: string): StoredPrompt[] =>
  app.prompts
    .forResults(surveyId, 0, Number.MAX_SAFE_INTEGER)
    .prompts.map((p) => app.prompts.get(p.id)!)
    .sort((a, b) => a.personId.localeCompare(b.personId));
const triggered = (surveyId: string) =>
  promptsOf(surveyId).map(({ personId, trigger, triggeredAt, sessionId, journeyId, deviceType, path }) => ({
    personId,
    trigger,
    triggeredAt,
    sessionId,
    journeyId,
    deviceType,
    path,
  }));

beforeAll(async () => {
  app = await startApp(testConfig({ analytics: { sessionRules: {}, journeyGap: '5m', actorInference: false, funnels } }));
  fleet = new TestFleet(app);
  for (const [id, triggers] of Object.entries(surveys)) expect((await survey(id, triggers)).status).toBe(201);
  for (const person of people) await api(app.urls.http, 'POST', '/api/v1/subjects', { id: person, kind: 'individual', type: 'person', name: person });
  for (const [id, type, person] of [
    ['coffee-ana', 'coffee_machine', 'ana'],
    ['kettle-ana', 'kettle', 'ana'],
    ['door-ana', 'door', 'ana'],
    ['coffee-bob', 'coffee_machine', 'bob'],
    ['door-bob', 'door', 'bob'],
    ['thermometer-carl', 'thermometer', 'carl'],
  ] as const)
    await fleet.connect(id, type, person, t0 - 60 * minute);

  await fleet.use('coffee-ana', t0, 3);
  await fleet.use('kettle-ana', t0 + 5 * minute, 2);
  await fleet.event('door-ana', t0 + 10 * minute, 'door.opened');
  await fleet.event('door-ana', t0 + 11 * minute, 'door.closed');
  await fleet.event('door-bob', t0 - 20 * minute, 'door.opened');
  await fleet.use('coffee-bob', t0, 3);
  await fleet.publish('thermometer-carl', 'telemetry', t0 + 40 * minute, { metrics: { temperature: 21 } });
  const expected = { 'second-step': 1, transition: 1, 'stopped-short': 1, 'morning-entry': 2, 'morning-door': 1, 'door-opened': 2 };
  await waitUntil(() => Object.entries(expected).every(([id, n]) => promptsOf(id).length === n));
  // Anything more would come now: each check below sees all that fired.
  await settle();
  await app.surveyTriggers.flush();
});

afterAll(async () => {
  await fleet?.close();
  await app?.stop();
});

const journey = (person: string) => `${person}@${t0}`;

it('asks at the n-th step of a journey, on its device type, the journey’s individual only', () => {
  expect(triggered('second-step')).toEqual([
    {
      personId: 'ana',
      trigger: `journey:${journey('ana')}:step:2`,
      triggeredAt: t0 + 5 * minute,
      sessionId: `kettle-ana@${t0 + 5 * minute}`,
      journeyId: journey('ana'),
      deviceType: 'kettle',
      path: 'coffee_machine>kettle',
    },
  ]);
});

it('asks at a step on one device type right after a step on another', () => {
  expect(triggered('transition')).toEqual(triggered('second-step'));
});

it('asks when a journey closed without reaching a device type, not when it reached it', () => {
  expect(triggered('stopped-short')).toEqual([
    {
      personId: 'bob',
      trigger: `journey:${journey('bob')}:closed`,
      triggeredAt: t0 + 3 * minute,
      sessionId: null,
      journeyId: journey('bob'),
      deviceType: null,
      path: 'coffee_machine',
    },
  ]);
});

it('asks at a funnel’s entry when the session that enters closes, for each individual entering', () => {
  expect(triggered('morning-entry')).toEqual(
    ['ana', 'bob'].map((person) => ({
      personId: person,
      trigger: `funnel:morning:step:1@${t0}`,
      triggeredAt: t0 + 3 * minute,
      sessionId: `coffee-${person}@${t0}`,
      // Tied to the person's journey once it closed.
      journeyId: journey(person),
      deviceType: 'coffee_machine',
      path: null,
    })),
  );
});

it('asks at a funnel’s later step reached within the window of an entry, not at the step’s occurrence before any entry', () => {
  expect(triggered('morning-door')).toEqual([
    {
      personId: 'ana',
      trigger: `funnel:morning:step:2@${t0 + 10 * minute}`,
      triggeredAt: t0 + 10 * minute,
      sessionId: null,
      journeyId: null,
      deviceType: 'door',
      path: null,
    },
  ]);
});

it('asks at a device event of the type, for the individual it is attributed to, and not at other events', () => {
  expect(triggered('door-opened')).toEqual([
    { personId: 'ana', trigger: 'event:door-ana:1', triggeredAt: t0 + 10 * minute, sessionId: null, journeyId: null, deviceType: 'door', path: null },
    { personId: 'bob', trigger: 'event:door-bob:1', triggeredAt: t0 - 20 * minute, sessionId: null, journeyId: null, deviceType: 'door', path: null },
  ]);
});

it('records nothing new when the results are re-derived and the log’s events matched again', async () => {
  const before = Object.keys(surveys).flatMap(promptsOf);
  await app.analytics.runBatch({ jobs: ['sessions', 'journeys'], from: t0 - 60 * minute, to: Date.now() });
  app.gateway.offsets.commit('survey-triggers', 0);
  await app.surveyTriggers.flush();
  await settle();
  expect(Object.keys(surveys).flatMap(promptsOf)).toEqual(before);
});

it('refuses a funnel_step trigger on a funnel not declared or counted by collective, as a problem', async () => {
  for (const funnel of ['evening', 'household']) {
    const refused = await survey(`on-${funnel}`, [{ on: 'funnel_step', funnel, step: 2 }]);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('PARCOURS_E_TRIGGER_FUNNEL');
  }
});
