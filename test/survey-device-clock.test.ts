import type { StoredPrompt } from '@parcours/surveys';
import { afterEach, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';
import { TestFleet } from './test-fleet.js';

/**
 * `surveys.clock` on a real Parcours: a coffee of last March prompts, on the device clock, as it would have then —
 * decided and delivered at the data's time, open until the data passes its expiry — where the machine's clock
 * finds the same prompt long expired.
 */
const minute = 60_000;
const hour = 60 * minute;
const t0 = Date.UTC(2026, 2, 10, 9); // a Tuesday morning, months before the machine's clock
const surveyId = 'coffee-replayed';

let app: ParcoursApp | null = null;
let fleet: TestFleet | null = null;

afterEach(async () => {
  await fleet?.close();
  await app?.stop();
  fleet = null;
  app = null;
});

/** A Parcours on this clock with the survey and Ana's coffee machine and app; her coffee at t0, 3 minutes long. */
async function coffeeOn(clock: 'system' | 'device'): Promise<{ app: ParcoursApp; fleet: TestFleet; prompt: () => Promise<StoredPrompt> }> {
  app = await startApp(testConfig({ surveys: { clock } }));
  fleet = new TestFleet(app);
  const created = await api(app.urls.http, 'POST', '/api/v1/surveys', {
    id: surveyId,
    name: 'After a coffee',
    questions: [{ kind: 'nps', id: 'recommend', text: 'Would you recommend this machine?' }],
    triggers: [{ on: 'session_closed', deviceType: 'coffee_machine' }],
    expiresAfter: '1h',
    startsAt: new Date(t0 - 24 * hour).toISOString(),
  });
  expect(created.status).toBe(201);
  await api(app.urls.http, 'POST', '/api/v1/subjects', { id: 'ana', kind: 'individual', type: 'person', name: 'Ana' });
  await fleet.connect('coffee-ana', 'coffee_machine', 'ana', t0 - 24 * hour);
  await fleet.connect('app-ana', 'app', 'ana', t0 - 24 * hour);
  await fleet.use('coffee-ana', t0, 3);
  const current = app;
  const prompt = async () => {
    await waitUntil(() => current.prompts.forResults(surveyId, 0, Number.MAX_SAFE_INTEGER).prompts.length === 1);
    return current.prompts.get(current.prompts.forResults(surveyId, 0, Number.MAX_SAFE_INTEGER).prompts[0]!.id)!;
  };
  return { app: current, fleet, prompt };
}

describe('the surveys’ clock', () => {
  it('device: decides and delivers at the device time the data reached, and expires the prompt once the data passes its expiry', async () => {
    const { app, fleet, prompt } = await coffeeOn('device');
    const ended = t0 + 3 * minute;
    let sent = await prompt();
    await waitUntil(() => app.prompts.get(sent.promptId)!.deliveredAt !== null);
    sent = app.prompts.get(sent.promptId)!;
    // The session closed with its stop, the latest device time: decided, due and delivered then.
    expect({ decision: sent.decision, decidedAt: sent.decidedAt, sendAt: sent.sendAt, deliveredAt: sent.deliveredAt }).toEqual({
      decision: 'sent',
      decidedAt: ended,
      sendAt: ended,
      deliveredAt: ended,
    });
    const view = async () => (await api<{ state: string }>(app.urls.http, 'GET', `/api/v1/prompts/${sent.promptId}`)).body.state;
    expect(await view()).toBe('delivered');
    // Her next coffee, two hours later: the data has passed the first prompt's expiry.
    await fleet.use('coffee-ana', t0 + 2 * hour, 3);
    await waitUntil(async () => (await view()) === 'expired');
  });

  it('system: the same coffee, decided on the machine’s clock months later, is expired', async () => {
    const { prompt } = await coffeeOn('system');
    const expired = await prompt();
    expect(expired.decision).toBe('expired');
    expect(expired.decidedAt).toBeGreaterThan(t0 + 30 * 24 * hour);
    expect(expired.deliveredAt).toBeNull();
  });
});
