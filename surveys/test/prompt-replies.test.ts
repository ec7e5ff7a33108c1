import { errorCodes, type LogRecord, ParcoursError, surveySchema } from '@parcours/contracts';
import { migrate } from '@parcours/gateway';
import BetterSqlite3 from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { AnswerRefused } from '../src/answers/validate-answer.js';
import { surveyMigrations } from '../src/migrations.js';
import { PromptStore } from '../src/prompts/prompt-store.js';
import { PromptReplies, promptState } from '../src/replies/prompt-replies.js';
import { replyOf } from '../src/replies/reply-events.js';
import { SurveyService } from '../src/survey-service.js';
import { SurveyStore } from '../src/survey-store.js';

const t0 = Date.UTC(2026, 2, 2, 8);
const minute = 60_000;
let prompts: PromptStore;
let replies: PromptReplies;

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ParcoursError) return error.code;
    throw error;
  }
  throw new Error('expected a refusal');
}

const record = (promptId: string, decision: 'sent' | 'holdout' = 'sent') =>
  prompts.record(
    { decision, promptId, surveyId: 'coffee', surveyVersion: 1, personId: 'ana', trigger: promptId, sendAt: t0, expiresAt: t0 + 60 * minute, detail: decision },
    {
      triggeredAt: t0,
      sessionId: null,
      journeyId: null,
      deviceId: null,
      rule: 'journey_closed',
      deviceType: null,
      path: null,
      collectives: [],
      stratum: null,
      community: null,
    },
    t0,
  );

beforeEach(() => {
  const db = new BetterSqlite3(':memory:');
  db.exec('CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  migrate(db, surveyMigrations);
  const surveys = new SurveyStore(db);
  new SurveyService({ store: surveys, now: () => t0 - minute, funnels: [] }).create({
    id: 'coffee',
    ...surveySchema.parse({
      name: 'Coffee',
      questions: [{ kind: 'nps', id: 'recommend', text: 'Would you recommend it?' }],
      triggers: [{ on: 'session_closed', deviceType: 'coffee_machine' }],
    }),
  });
  prompts = new PromptStore(db);
  replies = new PromptReplies({ prompts, surveys });
});

describe('prompt replies', () => {
  it('keep the first answer: the same again is no refusal, another is', () => {
    record('p1');
    expect(replies.answer('p1', { values: { recommend: 9 } }, t0 + minute)).toMatchObject({ answeredAt: t0 + minute });
    expect(replies.answer('p1', { values: { recommend: 9 } }, t0 + 2 * minute)).toMatchObject({ answeredAt: t0 + minute });
    expect(codeOf(() => replies.answer('p1', { values: { recommend: 3 } }, t0 + 2 * minute))).toBe(errorCodes.promptAnswered);
    expect(codeOf(() => replies.dismiss('p1', t0 + 2 * minute))).toBe(errorCodes.promptAnswered);
  });

  it("refuse an answer unfit for the version's questions, naming the question, and one too late, never sent or unknown", () => {
    record('p1');
    record('p2', 'holdout');
    expect(() => replies.answer('p1', { values: { recommend: 11 } }, t0)).toThrow(AnswerRefused);
    expect(codeOf(() => replies.answer('p1', { values: { recommend: 9 } }, t0 + 60 * minute))).toBe(errorCodes.promptExpired);
    expect(codeOf(() => replies.answer('p2', { values: { recommend: 9 } }, t0))).toBe(errorCodes.promptNotSent);
    expect(codeOf(() => replies.shown('p2', t0))).toBe(errorCodes.promptNotSent);
    expect(codeOf(() => replies.dismiss('nothing', t0))).toBe(errorCodes.promptUnknown);
  });

  it('say where a prompt stands: a reply kept wins over the expiry', () => {
    record('p1');
    expect(promptState(prompts.get('p1')!, t0)).toBe('scheduled');
    replies.shown('p1', t0 + minute);
    expect(promptState(prompts.get('p1')!, t0 + minute)).toBe('shown');
    expect(promptState(prompts.get('p1')!, t0 + 60 * minute)).toBe('expired');
    replies.dismiss('p1', t0 + 2 * minute);
    expect(replies.dismiss('p1', t0 + 3 * minute).dismissedAt).toBe(t0 + 2 * minute);
    expect(promptState(prompts.get('p1')!, t0 + 60 * minute)).toBe('dismissed');
  });
});

describe('a survey event as a reply', () => {
  const event = (type: string, attrs: LogRecord['attrs']): LogRecord => ({
    offset: 1,
    deviceId: 'phone',
    seq: 1,
    channel: 'events',
    ts: t0,
    deviceTs: null,
    receivedAt: t0,
    actorHint: null,
    type,
    metrics: null,
    attrs,
    deviceType: 'phone',
    subjectId: 'ana',
    subjectKind: 'individual',
    subjectType: 'person',
    actor: null,
    actorRejected: false,
  });

  it('reads the answer from the JSON text of its values, and a dismissal or a showing from the prompt id alone', () => {
    expect(replyOf(event('survey.answer', { promptId: 'p1', answer: '{"recommend":9}' }))).toEqual({
      kind: 'answer',
      promptId: 'p1',
      answer: { values: { recommend: 9 } },
    });
    expect(replyOf(event('survey.dismiss', { promptId: 'p1' }))).toEqual({ kind: 'dismiss', promptId: 'p1' });
    expect(replyOf(event('survey.shown', { promptId: 'p1' }))).toEqual({ kind: 'shown', promptId: 'p1' });
  });

  it('refuses attrs that hold no reply', () => {
    const refused: LogRecord['attrs'][] = [
      null,
      { promptId: 3 },
      { promptId: 'p1' },
      { promptId: 'p1', answer: '{' },
      { promptId: 'p1', answer: '[9]' },
      { promptId: 'p1', answer: '{"recommend":9.5}' },
    ];
    for (const attrs of refused) expect(codeOf(() => replyOf(event('survey.answer', attrs)))).toBe(errorCodes.replyMalformed);
  });
});
