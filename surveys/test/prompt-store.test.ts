import { migrate } from '@parcours/gateway';
import BetterSqlite3 from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../src/decisions/decide-prompt.js';
import { surveyMigrations } from '../src/migrations.js';
import { type PromptContext, PromptStore } from '../src/prompts/prompt-store.js';

const t0 = Date.UTC(2026, 2, 2, 8);
const minute = 60_000;
let store: PromptStore;

const decision = (over: Partial<Decision> = {}): Decision => ({
  decision: 'sent',
  promptId: 'pr_1',
  surveyId: 'coffee',
  surveyVersion: 1,
  personId: 'ana',
  trigger: 'session:s1',
  sendAt: t0,
  expiresAt: t0 + 60 * minute,
  detail: 'sent',
  ...over,
});
const context: PromptContext = {
  triggeredAt: t0 - minute,
  sessionId: 's1',
  journeyId: 'j1',
  deviceId: 'cm-1',
  rule: 'session_closed',
  deviceType: 'coffee_machine',
  path: 'coffee_machine',
  collectives: ['home'],
  stratum: null,
  community: null,
};

beforeEach(() => {
  const db = new BetterSqlite3(':memory:');
  db.exec('CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  migrate(db, surveyMigrations);
  store = new PromptStore(db);
});

describe('the prompt store', () => {
  it('records a decision once: recording its prompt again, even decided otherwise, changes nothing', () => {
    expect(store.record(decision(), context, t0)).toBe(true);
    expect(store.record(decision({ decision: 'capped', detail: 'later' }), context, t0 + minute)).toBe(false);
    expect(store.get('pr_1')).toMatchObject({ decision: 'sent', detail: 'sent', decidedAt: t0, collectives: ['home'], sessionId: 's1' });
  });

  it('knows a use asked about by its rule, person, survey and span, on its device if one is given', () => {
    store.record(decision(), context, t0);
    const use = { deviceId: 'cm-1', from: t0 - 5 * minute, to: t0 };
    expect(store.askedAbout('coffee', 'ana', 'session_closed', use)).toBe(true);
    expect(store.askedAbout('coffee', 'ana', 'session_closed', { ...use, deviceId: null })).toBe(true);
    expect(store.askedAbout('coffee', 'ana', 'session_closed', { ...use, deviceId: 'cm-2' })).toBe(false);
    expect(store.askedAbout('coffee', 'ana', 'session_closed', { ...use, to: t0 - 2 * minute })).toBe(false);
    expect(store.askedAbout('coffee', 'ana', 'journey_closed', use)).toBe(false);
    expect(store.askedAbout('coffee', 'ben', 'session_closed', use)).toBe(false);
    expect(store.askedAbout('ebike', 'ana', 'session_closed', use)).toBe(false);
  });

  it('relinks the prompts a re-derived session holds on its device, and those a journey of the person holds', () => {
    store.record(decision(), context, t0);
    store.record(decision({ promptId: 'pr_2', personId: 'ben' }), { ...context, deviceId: 'cm-2', sessionId: 's2', journeyId: 'j2' }, t0);
    store.relinkSession({ id: 's1b', deviceId: 'cm-1', start: t0 - 3 * minute, end: t0 - minute });
    store.relinkSession({ id: 'elsewhere', deviceId: 'cm-1', start: t0, end: t0 + minute });
    store.relinkJourney({ id: 'j1b', personId: 'ana', start: t0 - 10 * minute, end: t0 - minute });
    expect([store.get('pr_1'), store.get('pr_2')].map((p) => [p!.sessionId, p!.journeyId])).toEqual([
      ['s1b', 'j1b'],
      ['s2', 'j2'],
    ]);
  });

  it("answers the person's history across surveys in a window, with answers and dismissals", () => {
    store.record(decision(), context, t0);
    store.record(decision({ promptId: 'pr_2', surveyId: 'ebike', sendAt: t0 + 10 * minute, decision: 'sampled_out' }), context, t0);
    store.record(decision({ promptId: 'pr_3', personId: 'ben' }), context, t0);
    store.answer('pr_1', { values: { nps: 9 } }, t0 + 5 * minute);
    const history = store.history('ana', t0, t0 + 60 * minute);
    expect(history.map((h) => [h.promptId, h.decision, h.answeredAt])).toEqual([
      ['pr_1', 'sent', t0 + 5 * minute],
      ['pr_2', 'sampled_out', undefined],
    ]);
    expect(store.history('ana', t0 + minute, t0 + 60 * minute).map((h) => h.promptId)).toEqual(['pr_2']);
  });

  it('keeps the first answer or dismissal only', () => {
    store.record(decision(), context, t0);
    expect(store.answer('pr_1', { values: { nps: 9 } }, t0 + minute)).toBe(true);
    expect(store.answer('pr_1', { values: { nps: 3 } }, t0 + 2 * minute)).toBe(false);
    expect(store.dismiss('pr_1', t0 + 3 * minute)).toBe(false);
    expect(store.get('pr_1')).toMatchObject({ answeredAt: t0 + minute, dismissedAt: null, answer: { values: { nps: 9 } } });
    expect(store.answers('coffee', t0 + minute)).toBe(1);
    expect(store.answers('coffee', t0)).toBe(0);
  });

  it('lists what is due and undelivered, and not what is delivered, expired or not sent', () => {
    store.record(decision(), context, t0);
    store.record(decision({ promptId: 'pr_2', sendAt: t0 + 30 * minute }), context, t0);
    store.record(decision({ promptId: 'pr_3', decision: 'holdout' }), context, t0);
    store.record(decision({ promptId: 'pr_4', expiresAt: t0 + minute }), context, t0);
    expect(store.undelivered(t0 + 2 * minute, 10).map((p) => p.promptId)).toEqual(['pr_1']);
    store.markDelivered('pr_1', t0 + 2 * minute);
    expect(store.undelivered(t0 + 40 * minute, 10).map((p) => p.promptId)).toEqual(['pr_2']);
  });

  it('pages what is undelivered after a given prompt, so that prompts kept back never hide later ones', () => {
    for (let k = 0; k < 5; k++) store.record(decision({ promptId: `pr_${k}`, sendAt: t0 + k * minute }), context, t0);
    const first = store.undelivered(t0 + 10 * minute, 2);
    expect(first.map((p) => p.promptId)).toEqual(['pr_0', 'pr_1']);
    expect(store.undelivered(t0 + 10 * minute, 2, first.at(-1)).map((p) => p.promptId)).toEqual(['pr_2', 'pr_3']);
  });

  it('lists delivered prompts to clear once answered, dismissed or expired, and not again once cleared', () => {
    for (const id of ['pr_a', 'pr_d', 'pr_x', 'pr_open', 'pr_undelivered']) store.record(decision({ promptId: id }), context, t0);
    for (const id of ['pr_a', 'pr_d', 'pr_x', 'pr_open']) store.markDelivered(id, t0 + minute);
    store.answer('pr_a', { values: { nps: 9 } }, t0 + 2 * minute);
    store.dismiss('pr_d', t0 + 2 * minute);
    store.dismiss('pr_undelivered', t0 + 2 * minute);
    expect(store.toClear(t0 + 3 * minute, 10).map((p) => p.promptId)).toEqual(['pr_a', 'pr_d']);
    // Past the expiry (an hour after t0): every delivered prompt is done.
    expect(store.toClear(t0 + 60 * minute, 10).map((p) => p.promptId)).toEqual(['pr_a', 'pr_d', 'pr_open', 'pr_x']);
    store.markCleared('pr_a', t0 + 61 * minute);
    expect(store.toClear(t0 + 60 * minute, 10).map((p) => p.promptId)).toEqual(['pr_d', 'pr_open', 'pr_x']);
  });

  it('gives results their prompts and answers', () => {
    store.record(decision(), context, t0);
    store.record(decision({ promptId: 'pr_2', personId: 'ben' }), context, t0);
    store.answer('pr_1', { values: { nps: 10 } }, t0 + minute);
    store.dismiss('pr_2', t0 + minute);
    const { prompts, answers } = store.forResults('coffee', t0, t0 + 60 * minute);
    expect(prompts.map((p) => [p.id, p.answeredAt, p.dismissedAt, p.deviceType])).toEqual([
      ['pr_1', t0 + minute, undefined, 'coffee_machine'],
      ['pr_2', undefined, t0 + minute, 'coffee_machine'],
    ]);
    expect(answers).toEqual([{ promptId: 'pr_1', values: { nps: 10 } }]);
  });
});
