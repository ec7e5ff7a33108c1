import type { Question } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { type AgeBand, ageBands, answerBehaviourSchema, baseNpsTruth, type DeliveredPrompt, planReply, type PromptTruth } from '../../src/index.js';

/** The planted reply behaviour, checked against its parameters: rates within binomial bounds, the usage effect by regression. */
const hour = 3_600_000;
const questions: Question[] = [
  {
    kind: 'single',
    id: 'taste',
    text: 'How was it?',
    required: true,
    choices: [
      { id: 'good', label: 'Good' },
      { id: 'bad', label: 'Bad' },
    ],
    branches: [{ choices: ['good'], goTo: 'recommend' }],
  },
  { kind: 'text', id: 'why', text: 'Why?', required: false, maxLength: 500, branches: [] },
  { kind: 'nps', id: 'recommend', text: 'Recommend?', required: true, branches: [] },
];
const behaviour = answerBehaviourSchema.parse({
  seed: 7,
  nps: { intercept: 2, perSession: 0.7, noise: 1 },
  choiceShares: { taste: { good: 3, bad: 1 } },
});

/** A prompt sent at `utcHour` o'clock UTC on some day, expiring an hour later. */
function prompt(id: string, utcHour: number): DeliveredPrompt {
  const sentAt = Date.UTC(2026, 2, 2, utcHour, 10);
  return { promptId: `pr_${id}`, surveyId: 's', version: 1, name: 'S', questions, sentAt, expiresAt: sentAt + hour };
}

function replies(count: number, ageBand: AgeBand, utcHour: number, sessionsBefore = 2, tag = ''): PromptTruth[] {
  return Array.from({ length: count }, (_, i) =>
    planReply(behaviour, prompt(`${tag}${ageBand}-${utcHour}-${i}`, utcHour), { id: `p-${tag}${i}`, ageBand, sessionsBefore }),
  );
}

/** Passes when `successes` of `n` is within 4 standard errors of `p`. */
function expectBinomial(successes: number, n: number, p: number): void {
  expect(Math.abs(successes / n - p)).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / n));
}

describe('planReply', () => {
  it('is the same for the same seed, person and prompt, and differs with the seed', () => {
    const person = { id: 'ana', ageBand: '25-34' as const, sessionsBefore: 3 };
    const runs = [1, 2].map(() => Array.from({ length: 50 }, (_, i) => planReply(behaviour, prompt(`d${i}`, 10), person)));
    expect(runs[0]).toEqual(runs[1]);
    const other = answerBehaviourSchema.parse({ ...behaviour, seed: 8 });
    expect(Array.from({ length: 50 }, (_, i) => planReply(other, prompt(`d${i}`, 10), person))).not.toEqual(runs[0]);
  });

  it('draws by the key given, whatever the prompt’s id: prompts of new ids under the same keys get the same replies', () => {
    const person = { id: 'ana', ageBand: '25-34' as const, sessionsBefore: 3 };
    const reply = (id: string, key: string) => {
      const { promptId: _, ...rest } = planReply(behaviour, prompt(id, 10), person, key);
      return rest;
    };
    const keys = Array.from({ length: 50 }, (_, i) => `ana-${i}`);
    expect(keys.map((key, i) => reply(`first-${i}`, key))).toEqual(keys.map((key, i) => reply(`second-${i}`, key)));
    expect(keys.map((key, i) => reply(`first-${i}`, key))).not.toEqual(keys.map((_, i) => reply(`first-${i}`, `first-${i}`)));
  });

  it('answers at the planted rate of each age band by day, fewer late in the evening', () => {
    const n = 2000;
    for (const [band, ageBand] of ageBands.entries()) {
      const day = replies(n, ageBand, 10).filter((r) => r.kind === 'answer').length;
      const evening = replies(n, ageBand, 22).filter((r) => r.kind === 'answer').length;
      expectBinomial(day, n, behaviour.answerByAgeBand[band]!);
      expectBinomial(evening, n, behaviour.answerByAgeBand[band]! * behaviour.eveningFactor);
      expect(evening).toBeLessThan(day);
    }
  });

  it('dismisses at the planted share of the others, answers late at the planted share, and times each reply', () => {
    const all = replies(6000, '18-24', 12);
    const answers = all.filter((r) => r.kind === 'answer');
    const others = all.filter((r) => r.kind !== 'answer');
    expectBinomial(answers.filter((r) => r.late).length, answers.length, behaviour.lateShare);
    expectBinomial(others.filter((r) => r.kind === 'dismiss').length, others.length, behaviour.dismissShare);
    const { sentAt, expiresAt } = prompt('x', 12);
    for (const r of all) {
      if (r.kind === 'ignore') expect([r.at, r.values]).toEqual([null, null]);
      else if (r.late) expect(r.at!).toBeGreaterThan(expiresAt);
      else expect(r.at! >= sentAt && r.at! <= expiresAt).toBe(true);
    }
  });

  it('follows the branches: the NPS after a good taste, the optional why left out after a bad one', () => {
    const answers = replies(400, '35-44', 10).filter((r) => r.kind === 'answer');
    for (const { values } of answers) expect(Object.keys(values!).sort()).toEqual(['recommend', 'taste']);
    expectBinomial(answers.filter((r) => r.values!.taste === 'good').length, answers.length, 0.75);
  });

  it('plants the effect of usage on the NPS score: a regression on the answers recovers it', () => {
    const points = Array.from({ length: 9 }, (_, sessions) => replies(500, '25-34', 10, sessions, `u${sessions}-`))
      .flat()
      .flatMap((r, i) => (r.kind === 'answer' ? [{ x: Math.floor(i / 500), y: r.values!.recommend as number }] : []));
    const n = points.length;
    const meanX = points.reduce((s, p) => s + p.x, 0) / n;
    const meanY = points.reduce((s, p) => s + p.y, 0) / n;
    const sxx = points.reduce((s, p) => s + (p.x - meanX) ** 2, 0);
    const slope = points.reduce((s, p) => s + (p.x - meanX) * (p.y - meanY), 0) / sxx;
    const intercept = meanY - slope * meanX;
    const residual = points.reduce((s, p) => s + (p.y - intercept - slope * p.x) ** 2, 0) / (n - 2);
    const se = Math.sqrt(residual / sxx);
    expect(Math.abs(slope - behaviour.nps.perSession)).toBeLessThanOrEqual(4 * se);
    expect(points.every((p) => Number.isInteger(p.y) && p.y >= 0 && p.y <= 10)).toBe(true);
  });
});

describe('baseNpsTruth', () => {
  it("holds each person's score as a prompt would get it, and their NPS", () => {
    const people = Array.from({ length: 300 }, (_, i) => ({ id: `p-${i}`, ageBand: '45-54' as const, sessionsBefore: i % 10 }));
    const truth = baseNpsTruth(behaviour, people, 'recommend');
    for (const person of people.slice(0, 100)) {
      const reply = planReply(behaviour, prompt(person.id, 10), person);
      if (reply.kind === 'answer' && reply.values!.recommend !== undefined) expect(reply.values!.recommend).toBe(truth.scores.get(person.id));
    }
    const scores = [...truth.scores.values()];
    const share = (keep: (s: number) => boolean) => scores.filter(keep).length / scores.length;
    expect(truth.nps).toBeCloseTo(100 * (share((s) => s >= 9) - share((s) => s <= 6)), 9);
  });
});
