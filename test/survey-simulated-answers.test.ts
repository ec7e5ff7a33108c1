import { ageBands, answerBehaviourSchema, PromptAnswerer, plantedNpsScore } from '@parcours/firmware-sim';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';
import { expectLateRefused, expectStoredAsPlanted, sentPrompts as sentPromptsOf } from './simulated-answers.js';
import { TestFleet } from './test-fleet.js';

/**
 * Simulated people answering on a real Parcours: coffee sessions prompt each person's app, whose simulated person
 * replies over MQTT as the planted behaviour says. What Parcours keeps must be that ground truth exactly: the
 * answers given in time stored with their values and times, dismissals kept, late answers refused and quarantined.
 */
const minute = 60_000;
const day = 24 * 60 * minute;
const surveyId = 'coffee-simulated';
const people = Array.from({ length: 24 }, (_, i) => ({ id: `sim-person-${i}`, ageBand: ageBands[i % ageBands.length]!, earlier: i % 4 }));
// Replies of every kind among two dozen people (each kind missing in about 1 run in 200,000): most answer, half of the answers late, half of the others dismiss.
const behaviour = answerBehaviourSchema.parse({ seed: 11, answerByAgeBand: ageBands.map(() => 0.8), eveningFactor: 1, lateShare: 0.5, dismissShare: 0.5 });

let app: ParcoursApp;
let fleet: TestFleet;
let answerer: PromptAnswerer;
const t0 = Date.now() - 10 * minute;

const sentPrompts = () => sentPromptsOf(app, surveyId);

beforeAll(async () => {
  app = await startApp(testConfig());
  fleet = new TestFleet(app);
  const created = await api(app.urls.http, 'POST', '/api/v1/surveys', {
    id: surveyId,
    name: 'After a coffee',
    questions: [
      {
        kind: 'single',
        id: 'taste',
        text: 'How was it?',
        choices: [
          { id: 'good', label: 'Good' },
          { id: 'bad', label: 'Not good' },
        ],
      },
      { kind: 'nps', id: 'recommend', text: 'Would you recommend this machine?' },
    ],
    triggers: [{ on: 'session_closed', deviceType: 'coffee_machine' }],
    expiresAfter: '30m',
    startsAt: new Date(t0 - 60 * minute).toISOString(),
  });
  expect(created.status).toBe(201);
  const devices = [];
  for (const person of people) {
    await api(app.urls.http, 'POST', '/api/v1/subjects', { id: person.id, kind: 'individual', type: 'person', name: person.id });
    const appId = `app-${person.id}`;
    const secret = (await api<{ credentials: { secret: string } }>(app.urls.http, 'POST', '/api/v1/devices', { id: appId, type: 'app' })).body.credentials
      .secret;
    await api(app.urls.http, 'POST', `/api/v1/devices/${appId}/assignments`, { subjectId: person.id, validFrom: new Date(t0 - 7 * day).toISOString() });
    // Their sessions of the week before the prompt: the earlier ones (before the survey started) and the one that prompts.
    devices.push({
      deviceId: appId,
      auth: { username: appId, password: secret },
      person: { id: person.id, ageBand: person.ageBand, sessionsBefore: person.earlier + 1 },
    });
    await fleet.connect(`coffee-${person.id}`, 'coffee_machine', person.id, t0 - 7 * day);
  }
  answerer = await PromptAnswerer.start(devices, {
    mqttUrl: app.urls.mqtt,
    baseTopic: app.config.mqtt.baseTopic,
    behaviour,
    logger: pino({ level: 'silent' }),
  });
  for (const person of people) {
    for (let k = person.earlier; k >= 1; k--) await fleet.use(`coffee-${person.id}`, t0 - k * day, 3);
    await fleet.use(`coffee-${person.id}`, t0, 3);
  }
  await waitUntil(() => sentPrompts().length === people.length && sentPrompts().every((p) => answerer.truths.has(p.promptId)));
  await answerer.idle();
  await app.surveyReplies.caughtUp();
});

afterAll(async () => {
  await answerer?.close();
  await fleet?.close();
  await app?.stop();
});

it("stores each person's reply as planted: answers in time with their values and times, dismissals, nothing for the ignored", () => {
  const truths = expectStoredAsPlanted(app, surveyId, answerer);
  expect(new Set(truths.map((t) => t.personId))).toEqual(new Set(people.map((p) => p.id)));
  // The planted NPS score follows the person's use: each answer's score is the planted one at their level.
  for (const truth of truths.filter((t) => t.kind === 'answer')) {
    const person = people.find((p) => p.id === truth.personId)!;
    expect(truth.values!.recommend).toBe(plantedNpsScore(behaviour, person.id, 'recommend', person.earlier + 1));
  }
  expect(truths.some((t) => t.kind === 'answer' && !t.late)).toBe(true);
  expect(truths.some((t) => t.late)).toBe(true);
});

it('refuses the answers given after the prompt expired, each quarantined with PARCOURS_E_PROMPT_EXPIRED', async () => {
  await expectLateRefused(app, answerer, (personId) => `app-${personId}`);
});
