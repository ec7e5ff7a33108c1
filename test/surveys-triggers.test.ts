import { holdoutDraw, type StoredPrompt } from '@parcours/surveys';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { connectRecording, type RecordingClient, settle, waitUntil } from './mqtt-clients.js';
import { TestFleet } from './test-fleet.js';

/**
 * In-the-moment surveys on a real Parcours: coffee sessions published over MQTT close, the trigger job records a
 * decision per person, and the prompts sent reach each person's app, retained on its commands topic.
 */
const minute = 60_000;
const surveyId = 'coffee-after-use';
const holdout = 0.5;
// People found by their holdout draw: one asked, one in the survey's holdout.
const candidates = Array.from({ length: 50 }, (_, i) => `person-${i}`);
const asked = candidates.find((id) => holdoutDraw(surveyId, id) >= holdout)!;
const optedOut = candidates.filter((id) => holdoutDraw(surveyId, id) >= holdout)[1]!;
const heldOut = candidates.find((id) => holdoutDraw(surveyId, id) < holdout)!;
const people = [asked, optedOut, heldOut];

let app: ParcoursApp;
let fleet: TestFleet;
const apps = new Map<string, RecordingClient>();
const t0 = Date.now() - 30 * minute;

async function connectApp(person: string): Promise<void> {
  const id = `app-${person}`;
  const created = await api<{ credentials: { secret: string } }>(app.urls.http, 'POST', '/api/v1/devices', { id, type: 'app' });
  await api(app.urls.http, 'POST', `/api/v1/devices/${id}/assignments`, { subjectId: person, validFrom: new Date(t0 - minute).toISOString() });
  const recording = await connectRecording(app.urls.mqtt, { clientId: id, username: id, password: created.body.credentials.secret });
  await recording.client.subscribeAsync(`${app.config.mqtt.baseTopic}/devices/${id}/commands/#`, { qos: 1 });
  apps.set(person, recording);
}

const promptsOf = (person: string): StoredPrompt[] =>
  app.prompts.forResults(surveyId, 0, Number.MAX_SAFE_INTEGER).prompts.flatMap((p) => (p.personId === person ? [app.prompts.get(p.id)!] : []));
const received = (person: string) => apps.get(person)!.messages.filter((m) => m.topic.includes('/commands/survey-prompts/'));

beforeAll(async () => {
  app = await startApp(testConfig());
  fleet = new TestFleet(app);
  const created = await api(app.urls.http, 'POST', '/api/v1/surveys', {
    id: surveyId,
    name: 'After a coffee',
    questions: [{ kind: 'nps', id: 'recommend', text: 'Would you recommend this machine?' }],
    triggers: [{ on: 'session_closed', deviceType: 'coffee_machine', minDuration: '1m' }],
    holdout,
    expiresAfter: '2h',
    startsAt: new Date(t0 - 60 * minute).toISOString(),
  });
  expect(created.status).toBe(201);
  for (const person of people) {
    await api(app.urls.http, 'POST', '/api/v1/subjects', { id: person, kind: 'individual', type: 'person', name: person });
    await connectApp(person);
    await fleet.connect(`coffee-${person}`, 'coffee_machine', person, t0 - minute);
  }
  app.gateway.consents.record(optedOut, 'surveys', false, t0 - minute);
  for (const person of people) await fleet.use(`coffee-${person}`, t0, 3);
  await waitUntil(() => people.every((person) => promptsOf(person).length === 1));
});

afterAll(async () => {
  for (const { client } of apps.values()) await client.endAsync();
  await fleet?.close();
  await app?.stop();
});

it('prompts once the person whose coffee session closed, on their app, retained, with the survey', async () => {
  await waitUntil(() => received(asked).length === 1);
  const [prompt] = promptsOf(asked);
  expect(prompt).toMatchObject({
    decision: 'sent',
    trigger: `session:coffee-${asked}@${t0}`,
    deviceType: 'coffee_machine',
    sessionId: `coffee-${asked}@${t0}`,
  });
  const [message] = received(asked);
  expect(message!.topic).toBe(`${app.config.mqtt.baseTopic}/devices/app-${asked}/commands/survey-prompts/${prompt!.promptId}`);
  expect(JSON.parse(message!.payload)).toEqual({
    promptId: prompt!.promptId,
    surveyId,
    version: 1,
    name: 'After a coffee',
    questions: [{ kind: 'nps', id: 'recommend', text: 'Would you recommend this machine?', required: true, branches: [] }],
    sentAt: new Date(prompt!.sendAt).toISOString(),
    expiresAt: new Date(t0 + 3 * minute + 2 * 60 * minute).toISOString(),
  });
  await waitUntil(() => app.prompts.get(prompt!.promptId)!.deliveredAt !== null);
});

it("lets an integrator granted the person receive the person's prompts, retained on the person's own topic", async () => {
  const [prompt] = promptsOf(asked);
  const { key } = app.gateway.apiKeys.create({ name: 'panel-app', role: 'integrator', subjects: [asked] });
  const integrator = await connectRecording(app.urls.mqtt, { clientId: 'panel-app', username: 'panel-app', password: key });
  await integrator.client.subscribeAsync(`${app.config.mqtt.baseTopic}/subjects/${asked}/prompts/#`, { qos: 1 });
  await waitUntil(() => integrator.messages.length === 1);
  expect(integrator.messages[0]).toMatchObject({ topic: `${app.config.mqtt.baseTopic}/subjects/${asked}/prompts/${prompt!.promptId}`, retain: true });
  expect(JSON.parse(integrator.messages[0]!.payload)).toMatchObject({ promptId: prompt!.promptId, surveyId });
  await integrator.client.endAsync();
});

it('records no_consent for a person who opted out of surveys, holdout for a held-out person, and sends them nothing', async () => {
  expect(promptsOf(optedOut).map((p) => p.decision)).toEqual(['no_consent']);
  expect(promptsOf(heldOut).map((p) => p.decision)).toEqual(['holdout']);
  await settle();
  expect(received(optedOut)).toEqual([]);
  expect(received(heldOut)).toEqual([]);
});

it('records nothing new and publishes nothing new when the same sessions are re-derived and re-fed', async () => {
  const before = people.flatMap(promptsOf);
  await app.analytics.runBatch({ jobs: ['sessions', 'journeys'], from: t0 - 60 * minute, to: Date.now() });
  const sessions = app.analytics.sessionStore.listInRange(t0 - 60 * minute, Date.now());
  expect(sessions).toHaveLength(people.length);
  const refed = sessions.map((session) =>
    app.surveyTriggers.handle({ kind: 'session', session: { ...session, status: 'closed', closesBy: null, collectives: [] } }, Date.now()),
  );
  expect(refed).toEqual(people.map(() => 0));
  await app.surveyTriggers.flush();
  await app.promptDelivery.flush();
  await settle();
  // The same decisions, sampling included: a trigger always draws the same.
  expect(people.flatMap(promptsOf)).toEqual(before);
  expect(received(asked)).toHaveLength(1);
  expect([...received(optedOut), ...received(heldOut)]).toEqual([]);
});

it('clears the retained prompt once it is answered: the app gets an empty message on its topic', async () => {
  const [prompt] = promptsOf(asked);
  const answered = await api(app.urls.http, 'POST', `/api/v1/prompts/${prompt!.promptId}/answer`, { values: { recommend: 9 } });
  expect(answered.status).toBe(200);
  await waitUntil(() => received(asked).some((m) => m.payload === '' && m.topic.endsWith(`/survey-prompts/${prompt!.promptId}`)));
});

it("reads answers next to the person's use before the prompt: its sessions of the week before, in bands", async () => {
  const results = await api<{ by: string; overall: { sent: number }; groups: { value: string | null; sent: number; answered: number }[] }>(
    app.urls.http,
    'GET',
    `/api/v1/surveys/${surveyId}/results?by=recentUse`,
  );
  expect(results.status).toBe(200);
  // Each person asked had their one coffee session just before: all in the band of 1 to 2 sessions.
  expect(results.body.groups.map((g) => [g.value, g.sent, g.answered])).toEqual([['1-2', results.body.overall.sent, 1]]);
});
