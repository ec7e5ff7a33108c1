import { measurements, surveySchema } from '@parcours/contracts';
import { type InfluxPoint, migrate } from '@parcours/gateway';
import BetterSqlite3 from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../src/decisions/decide-prompt.js';
import { promptPoints, promptPointWriter } from '../src/influx/prompt-points.js';
import { surveyMigrations } from '../src/migrations.js';
import { type PromptChange, type PromptContext, PromptStore } from '../src/prompts/prompt-store.js';

const t0 = Date.UTC(2026, 2, 2, 8);
const survey = surveySchema.parse({
  name: 'After coffee',
  triggers: [{ on: 'session_closed' }],
  questions: [
    { kind: 'single', id: 'taste', text: 'How was it?', choices: ['good', 'bad'].map((id) => ({ id, label: id })) },
    { kind: 'multiple', id: 'issues', text: 'What went wrong?', choices: ['cold', 'slow', 'noisy'].map((id) => ({ id, label: id })), required: false },
    { kind: 'rating', id: 'comfort', text: 'Comfort?', required: false },
    { kind: 'nps', id: 'recommend', text: 'Recommend?' },
    { kind: 'text', id: 'why', text: 'Why?', required: false },
  ],
});
const decision = (promptId: string, over: Partial<Decision> = {}): Decision => ({
  decision: 'sent',
  promptId,
  surveyId: 'coffee',
  surveyVersion: 2,
  personId: 'ana',
  trigger: `session:${promptId}`,
  sendAt: t0,
  expiresAt: t0 + 3_600_000,
  detail: 'sent',
  ...over,
});
const context: PromptContext = {
  triggeredAt: t0 - 60_000,
  sessionId: 's1',
  journeyId: null,
  deviceId: 'cm-1',
  rule: 'session_closed',
  deviceType: 'coffee_machine',
  path: null,
  collectives: [],
  stratum: null,
  community: null,
};

let store: PromptStore;
let changes: PromptChange[];

beforeEach(() => {
  const db = new BetterSqlite3(':memory:');
  db.exec('CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  migrate(db, surveyMigrations);
  changes = [];
  store = new PromptStore(db, (change) => changes.push(change));
});

const surveyOf = (id: string, version: number) => (id === 'coffee' && version === 2 ? survey : null);

describe('prompt changes and their points', () => {
  it('tells each change written once, none for a write that changes nothing', () => {
    store.record(decision('pr_0a'), context, t0 - 30_000);
    store.record(decision('pr_0a'), context, t0);
    store.record(decision('pr_0b', { decision: 'capped', detail: 'capped' }), { ...context, deviceType: null }, t0 - 30_000);
    store.markShown('pr_0a', t0 + 1000);
    store.markShown('pr_0a', t0 + 2000);
    expect(store.answer('pr_0a', { values: { taste: 'good', recommend: 9 } }, t0 + 5000)).toBe(true);
    expect(store.dismiss('pr_0a', t0 + 6000)).toBe(false);
    expect(changes.map((c) => [c.kind, c.prompt.promptId, c.at])).toEqual([
      ['decided', 'pr_0a', t0 - 30_000],
      ['decided', 'pr_0b', t0 - 30_000],
      ['shown', 'pr_0a', t0 + 1000],
      ['answered', 'pr_0a', t0 + 5000],
    ]);
    expect(changes[3]!.prompt.answer).toEqual({ values: { taste: 'good', recommend: 9 } });
  });

  it('writes a survey_prompt point per stage, tagged with its decision and device type, apart from prompts of the same millisecond', () => {
    store.record(decision('pr_0a'), context, t0);
    store.record(decision('pr_0b', { decision: 'capped' }), { ...context, deviceType: null }, t0);
    store.dismiss('pr_0a', t0 + 9000);
    const points = changes.flatMap((c) => promptPoints(c, surveyOf));
    expect(points.map((p) => [p.measurement, p.tags, p.intFields, p.timestampMs])).toEqual([
      [measurements.surveyPrompt, { survey: 'coffee', version: '2', stage: 'decided', decision: 'sent', device_type: 'coffee_machine' }, { count: 1 }, t0],
      [measurements.surveyPrompt, { survey: 'coffee', version: '2', stage: 'decided', decision: 'capped', device_type: 'none' }, { count: 1 }, t0],
      [
        measurements.surveyPrompt,
        { survey: 'coffee', version: '2', stage: 'dismissed', decision: 'sent', device_type: 'coffee_machine' },
        { count: 1 },
        t0 + 9000,
      ],
    ]);
    expect(points[0]!.subMsNs).not.toBe(points[1]!.subMsNs);
    expect(points[0]!.subMsNs).toBe(promptPoints(changes[0]!, surveyOf)[0]!.subMsNs);
  });

  it('writes a survey_answer point per question answered, per choice picked, with score and NPS class, never the text', () => {
    store.record(decision('pr_0a'), context, t0);
    store.answer('pr_0a', { values: { taste: 'bad', issues: ['cold', 'noisy'], comfort: 2, recommend: 6, why: 'too cold' } }, t0 + 90_000);
    const answers = promptPoints(changes[1]!, surveyOf).filter((p) => p.measurement === measurements.surveyAnswer);
    const survey = { survey: 'coffee', version: '2' };
    const after = { answered_after_s: 90 };
    expect(answers.map((p) => [p.tags, p.fields, p.intFields, p.timestampMs])).toEqual([
      [{ ...survey, question: 'taste', choice: 'bad' }, after, { count: 1 }, t0 + 90_000],
      [{ ...survey, question: 'issues', choice: 'cold' }, after, { count: 1 }, t0 + 90_000],
      [{ ...survey, question: 'issues', choice: 'noisy' }, after, { count: 1 }, t0 + 90_000],
      [{ ...survey, question: 'comfort' }, { score: 2, ...after }, { count: 1 }, t0 + 90_000],
      [{ ...survey, question: 'recommend' }, { score: 6, nps_class: -1, ...after }, { count: 1 }, t0 + 90_000],
      [{ ...survey, question: 'why' }, after, { count: 1 }, t0 + 90_000],
    ]);
    // The NPS class's mean × 100 is the NPS: +1 from 9, 0 for 7 and 8, −1 up to 6.
    const classOf = (score: number) => {
      const change = { ...changes[1]!, prompt: { ...changes[1]!.prompt, answer: { values: { taste: 'good', recommend: score } } } };
      return promptPoints(change, surveyOf).find((p) => p.tags.question === 'recommend')!.fields.nps_class;
    };
    expect(Array.from({ length: 11 }, (_, s) => classOf(s))).toEqual([-1, -1, -1, -1, -1, -1, -1, 0, 0, 1, 1]);
  });

  it('logs a failed write and never fails the store’s caller', async () => {
    const warnings: string[] = [];
    const written: InfluxPoint[][] = [];
    let fail = true;
    const listener = promptPointWriter(
      async (points) => {
        if (fail) throw new Error('InfluxDB is down');
        written.push(points);
      },
      surveyOf,
      { warn: (_details, message) => warnings.push(message) },
    );
    const db = new BetterSqlite3(':memory:');
    db.exec('CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
    migrate(db, surveyMigrations);
    const writing = new PromptStore(db, listener);
    expect(writing.record(decision('pr_0a'), context, t0)).toBe(true);
    await expect.poll(() => warnings).toEqual(['could not write the survey prompt to InfluxDB']);
    fail = false;
    expect(writing.answer('pr_0a', { values: { taste: 'good', recommend: 10 } }, t0 + 1000)).toBe(true);
    await expect.poll(() => written.length).toBe(1);
    expect(written[0]!.map((p) => p.measurement)).toEqual([measurements.surveyPrompt, measurements.surveyAnswer, measurements.surveyAnswer]);
  });
});
