import { errorCodes } from '@parcours/contracts';
import type { Decision, PromptStore } from '@parcours/surveys';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, scrapeMetrics, startApp, testConfig } from './helpers.js';

/**
 * People's answers and dismissals coming in, on a real Parcours: over HTTP from their app's server, and over
 * MQTT from their app device, through the normal ingest. Prompts are recorded as the trigger job records them.
 */
let app: ParcoursApp;
let prompts: PromptStore;
const clients: MqttClient[] = [];

interface Problem {
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
}
interface PromptView {
  promptId: string;
  personId: string;
  decision: string;
  state: string;
  answeredAt: string | null;
  dismissedAt: string | null;
  answer: { values: Record<string, unknown> } | null;
  context: { sessionId: string | null; deviceType: string | null; collectives: string[] };
}
interface QuarantinePage {
  items: { reason: string; deviceId: string | null; topic: string; detail: string; payload: string }[];
  countsByReason: Record<string, number>;
}

const call = <T>(method: string, path: string, body?: unknown, key?: string) =>
  key === undefined ? api<T>(app.urls.http, method, `/api/v1${path}`, body) : api<T>(app.urls.http, method, `/api/v1${path}`, body, key);

const survey = {
  id: 'after-coffee',
  name: 'After coffee',
  questions: [
    {
      kind: 'single',
      id: 'taste',
      text: 'How was it?',
      choices: [
        { id: 'good', label: 'Good' },
        { id: 'bad', label: 'Not good' },
      ],
      branches: [{ choices: ['good'], goTo: 'recommend' }],
    },
    { kind: 'text', id: 'why', text: 'What went wrong?', required: false },
    { kind: 'nps', id: 'recommend', text: 'Would you recommend this machine?' },
  ],
  triggers: [{ on: 'session_closed', deviceType: 'coffee_machine' }],
};

/** Records a prompt for a person, as the trigger job would: sent (or not), due a minute ago, expiring `expiresIn` from now. */
function recordPrompt(id: string, personId: string, options: { decision?: Decision['decision']; expiresIn?: number } = {}): string {
  const now = Date.now();
  const promptId = `pr_${id}`;
  prompts.record(
    {
      decision: options.decision ?? 'sent',
      promptId,
      surveyId: survey.id,
      surveyVersion: 1,
      personId,
      trigger: `session:${id}`,
      sendAt: now - 60_000,
      expiresAt: now + (options.expiresIn ?? 3_600_000),
      detail: 'sent',
    },
    {
      triggeredAt: now - 60_000,
      sessionId: `s-${id}`,
      journeyId: null,
      deviceId: null,
      rule: 'session_closed',
      deviceType: 'coffee_machine',
      path: null,
      collectives: ['home'],
      stratum: null,
      community: null,
    },
    now - 60_000,
  );
  return promptId;
}

async function quarantined(reason: string): Promise<QuarantinePage['items']> {
  return (await call<QuarantinePage>('GET', `/quarantine?reason=${reason}&limit=100`)).body.items;
}

beforeAll(async () => {
  app = await startApp(testConfig());
  prompts = app.prompts;
  expect((await call('POST', '/surveys', survey)).status).toBe(201);
  for (const [id, kind, type] of [
    ['ana', 'individual', 'person'],
    ['bob', 'individual', 'person'],
    ['home', 'collective', 'household'],
  ])
    expect((await call('POST', '/subjects', { id, kind, type, name: id })).status).toBe(201);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await app.stop();
});

describe('answering over HTTP', () => {
  it('answers a sent prompt once: the same answer again is taken as it was, another is refused', async () => {
    const id = recordPrompt('h1', 'ana');
    const before = await call<PromptView>('GET', `/prompts/${id}`);
    expect(before).toMatchObject({ status: 200, body: { promptId: id, personId: 'ana', decision: 'sent', state: 'scheduled', answer: null } });
    expect(before.body.context).toMatchObject({ sessionId: 's-h1', deviceType: 'coffee_machine', collectives: ['home'] });

    const answer = { values: { taste: 'good', recommend: 9 } };
    const first = await call<PromptView>('POST', `/prompts/${id}/answer`, answer);
    expect(first).toMatchObject({ status: 200, body: { state: 'answered', answer } });
    const again = await call<PromptView>('POST', `/prompts/${id}/answer`, { values: { recommend: 9, taste: 'good' } });
    expect(again).toMatchObject({ status: 200, body: { state: 'answered', answer, answeredAt: first.body.answeredAt } });

    const other = await call<Problem>('POST', `/prompts/${id}/answer`, { values: { taste: 'good', recommend: 3 } });
    expect(other).toMatchObject({ status: 409, body: { code: errorCodes.promptAnswered } });
    expect(prompts.get(id)?.answer).toEqual(answer);
  });

  it('refuses an NPS of 11 naming the question, and keeps it in the quarantine', async () => {
    const id = recordPrompt('h2', 'ana');
    const refused = await call<Problem>('POST', `/prompts/${id}/answer`, { values: { taste: 'good', recommend: 11 } });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe(errorCodes.answerInvalid);
    expect(refused.body.errors).toEqual([{ path: 'body.values.recommend', message: expect.stringContaining('recommend') }]);
    expect(prompts.get(id)?.answeredAt).toBeNull();
    const kept = (await quarantined(errorCodes.answerInvalid)).filter((e) => e.topic === `/api/v1/prompts/${id}/answer`);
    expect(kept).toHaveLength(1);
    expect(JSON.parse(Buffer.from(kept[0]!.payload, 'base64').toString())).toEqual({ promptId: id, answer: { values: { taste: 'good', recommend: 11 } } });
  });

  it('refuses a late answer (409, quarantined), a prompt never sent (409) and an unknown one (404)', async () => {
    const late = recordPrompt('h3', 'ana', { expiresIn: -1000 });
    expect((await call<PromptView>('GET', `/prompts/${late}`)).body.state).toBe('expired');
    const refused = await call<Problem>('POST', `/prompts/${late}/answer`, { values: { taste: 'good', recommend: 9 } });
    expect(refused).toMatchObject({ status: 409, body: { code: errorCodes.promptExpired } });
    expect((await quarantined(errorCodes.promptExpired)).map((e) => e.topic)).toContain(`/api/v1/prompts/${late}/answer`);

    const heldOut = recordPrompt('h4', 'ana', { decision: 'holdout' });
    expect((await call<PromptView>('GET', `/prompts/${heldOut}`)).body.state).toBe('not_sent');
    expect(await call<Problem>('POST', `/prompts/${heldOut}/answer`, { values: { taste: 'bad' } })).toMatchObject({
      status: 409,
      body: { code: errorCodes.promptNotSent },
    });
    expect(await call<Problem>('POST', `/prompts/${heldOut}/dismiss`)).toMatchObject({ status: 409, body: { code: errorCodes.promptNotSent } });
    expect(await call<Problem>('POST', '/prompts/pr_nothing/answer', { values: { taste: 'bad' } })).toMatchObject({
      status: 404,
      body: { code: errorCodes.promptUnknown },
    });
    expect((await call<Problem>('GET', '/prompts/pr_nothing')).status).toBe(404);
  });

  it('dismisses once, and an answer after the dismissal is refused', async () => {
    const id = recordPrompt('h5', 'ana');
    const dismissed = await call<PromptView>('POST', `/prompts/${id}/dismiss`);
    expect(dismissed).toMatchObject({ status: 200, body: { state: 'dismissed' } });
    expect(await call<PromptView>('POST', `/prompts/${id}/dismiss`)).toMatchObject({ status: 200, body: { dismissedAt: dismissed.body.dismissedAt } });
    expect(await call<Problem>('POST', `/prompts/${id}/answer`, { values: { taste: 'bad' } })).toMatchObject({
      status: 409,
      body: { code: errorCodes.promptDismissed },
    });
  });

  it("lets an integrator answer for the people it is granted, and no one else's", async () => {
    const forAna = app.gateway.apiKeys.create({ name: 'ana-app', role: 'integrator', subjects: ['ana'] }).key;
    const forBob = app.gateway.apiKeys.create({ name: 'bob-app', role: 'integrator', subjects: ['bob'] }).key;
    const reader = app.gateway.apiKeys.create({ name: 'analyst', role: 'reader', subjects: [] }).key;
    const id = recordPrompt('h6', 'ana');
    const answer = { values: { taste: 'bad', why: 'cold', recommend: 4 } };
    expect((await call('GET', `/prompts/${id}`, undefined, forBob)).status).toBe(403);
    expect((await call('POST', `/prompts/${id}/answer`, answer, forBob)).status).toBe(403);
    expect((await call('POST', `/prompts/${id}/answer`, answer, reader)).status).toBe(403);
    expect((await call('GET', `/prompts/${id}`, undefined, reader)).status).toBe(200);
    expect(await call<PromptView>('POST', `/prompts/${id}/answer`, answer, forAna)).toMatchObject({ status: 200, body: { answer } });
  });

  it('keeps refused replies out of a quarantine replay: they were received already', async () => {
    const replay = await call<{ replayed: number }>('POST', '/quarantine/replay', {});
    expect(replay).toMatchObject({ status: 200, body: { replayed: 0 } });
    expect((await quarantined(errorCodes.answerInvalid)).length).toBeGreaterThan(0);
  });
});

describe('answering over MQTT, from the person’s app device', () => {
  let seq = 0;
  let anaPhone: MqttClient;
  let bobPhone: MqttClient;

  async function phone(id: string, personId: string): Promise<MqttClient> {
    const secret = (await call<{ credentials: { secret: string } }>('POST', '/devices', { id, type: 'phone' })).body.credentials.secret;
    expect((await call('POST', `/devices/${id}/assignments`, { subjectId: personId, validFrom: '2020-01-01T00:00:00Z' })).status).toBe(201);
    const client = await mqtt.connectAsync(app.urls.mqtt, { username: id, password: secret, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(client);
    return client;
  }

  /** Publishes a survey event and waits until the surveys have read everything stored so far. */
  async function publish(client: MqttClient, deviceId: string, type: string, attrs: Record<string, string>): Promise<void> {
    const event = { ts: Date.now(), seq: ++seq, type, attrs };
    await client.publishAsync(`parcours/devices/${deviceId}/events`, JSON.stringify(event), { qos: 1 });
    await app.surveyReplies.caughtUp();
  }

  beforeAll(async () => {
    anaPhone = await phone('ana-phone', 'ana');
    bobPhone = await phone('bob-phone', 'bob');
  });

  it('stores the answer of the person’s device, the prompt shown before', async () => {
    const id = recordPrompt('m1', 'ana');
    await publish(anaPhone, 'ana-phone', 'survey.shown', { promptId: id });
    expect(prompts.get(id)?.shownAt).not.toBeNull();
    await publish(anaPhone, 'ana-phone', 'survey.answer', { promptId: id, answer: JSON.stringify({ taste: 'good', recommend: 10 }) });
    expect(prompts.get(id)).toMatchObject({ answer: { values: { taste: 'good', recommend: 10 } } });
    expect((await call<PromptView>('GET', `/prompts/${id}`)).body.state).toBe('answered');
  });

  it('quarantines an NPS of 11, counted by its code', async () => {
    const id = recordPrompt('m2', 'ana');
    const counted = async () =>
      Number(
        (await scrapeMetrics(app.urls.http)).match(new RegExp(`parcours_messages_quarantined_total\\{reason="${errorCodes.answerInvalid}"\\} (\\d+)`))?.[1] ??
          0,
      );
    const before = await counted();
    await publish(anaPhone, 'ana-phone', 'survey.answer', { promptId: id, answer: JSON.stringify({ taste: 'good', recommend: 11 }) });
    expect(prompts.get(id)?.answeredAt).toBeNull();
    const kept = (await quarantined(errorCodes.answerInvalid)).filter((e) => e.deviceId === 'ana-phone');
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ topic: 'parcours/devices/ana-phone/events', detail: expect.stringContaining('recommend') });
    expect(await counted()).toBe(before + 1);
  });

  it("refuses another person's device, and takes the dismissal of the person's own", async () => {
    const id = recordPrompt('m3', 'ana');
    await publish(bobPhone, 'bob-phone', 'survey.answer', { promptId: id, answer: JSON.stringify({ taste: 'good', recommend: 9 }) });
    expect(prompts.get(id)?.answeredAt).toBeNull();
    expect((await quarantined(errorCodes.replyWrongDevice)).map((e) => e.deviceId)).toEqual(['bob-phone']);
    await publish(anaPhone, 'ana-phone', 'survey.dismiss', { promptId: id });
    expect(prompts.get(id)?.dismissedAt).not.toBeNull();
  });

  it('quarantines a reply that holds none: no prompt id, an answer that is not JSON', async () => {
    await publish(anaPhone, 'ana-phone', 'survey.dismiss', {});
    await publish(anaPhone, 'ana-phone', 'survey.answer', { promptId: recordPrompt('m4', 'ana'), answer: '{taste' });
    expect((await quarantined(errorCodes.replyMalformed)).map((e) => e.detail)).toEqual(['attrs.answer is not JSON', expect.stringContaining('promptId')]);
  });
});
