import {
  type AnswerValue,
  type PromptDecision,
  promptDecisions,
  type QuestionResult,
  type SurveyResultsSection,
  surveyResultsSchema,
  surveySchema,
} from '@parcours/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recentUseBand } from '../src/http/survey-results-routes.js';
import { type SurveyAnswer, type SurveyPrompt, surveyResults } from '../src/answers/survey-results.js';

const survey = surveySchema.parse({
  name: 'After the ride',
  triggers: [{ on: 'session_closed', deviceType: 'e_bike' }],
  questions: [
    { kind: 'single', id: 'purpose', text: 'What for?', choices: ['work', 'errand', 'leisure'].map((id) => ({ id, label: id })) },
    { kind: 'multiple', id: 'issues', text: 'Any trouble?', required: false, choices: ['brakes', 'battery', 'seat', 'app'].map((id) => ({ id, label: id })) },
    { kind: 'rating', id: 'comfort', text: 'Comfort?', min: 1, max: 5 },
    { kind: 'nps', id: 'nps', text: 'Recommend?' },
    { kind: 'text', id: 'comment', text: 'Anything else?', required: false },
  ],
});

const sumOf = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

/** Prompts of 12 people on three device types, with answers to some of them (and to prompts that were not sent, or not given). */
const world = fc
  .array(
    fc.record({
      person: fc.integer({ min: 0, max: 11 }),
      decision: fc.constantFrom<PromptDecision>(...promptDecisions, 'sent', 'sent', 'sent'),
      deviceType: fc.constantFrom('e_bike', 'scooter', null),
      community: fc.constantFrom('lyon', 'paris', null),
      sentAt: fc.integer({ min: 0, max: 1e6 }),
      shown: fc.boolean(),
      outcome: fc.constantFrom('answered', 'dismissed', 'ignored'),
      values: fc.record(
        {
          purpose: fc.constantFrom('work', 'errand', 'leisure'),
          issues: fc.uniqueArray(fc.constantFrom('brakes', 'battery', 'seat', 'app'), { minLength: 1 }),
          comfort: fc.integer({ min: 1, max: 5 }),
          nps: fc.integer({ min: 0, max: 10 }),
          comment: fc.string({ minLength: 1, maxLength: 20 }),
        },
        { requiredKeys: [] },
      ),
    }),
    { maxLength: 80 },
  )
  .map((rows) => {
    const prompts: SurveyPrompt[] = rows.map((row, i) => ({
      id: `pr${i}`,
      personId: `p${row.person}`,
      decision: row.decision,
      sentAt: row.sentAt,
      ...(row.shown || row.outcome !== 'ignored' ? { shownAt: row.sentAt + 1 } : {}),
      ...(row.outcome === 'answered' ? { answeredAt: row.sentAt + 2 } : {}),
      ...(row.outcome === 'dismissed' ? { dismissedAt: row.sentAt + 2 } : {}),
      deviceType: row.deviceType,
      community: row.community,
    }));
    const answers: SurveyAnswer[] = rows.flatMap((row, i) =>
      row.outcome === 'answered' ? [{ promptId: `pr${i}`, values: row.values as Record<string, AnswerValue> }] : [],
    );
    return { prompts, answers };
  });

function expectSectionProperties(section: SurveyResultsSection, prompts: readonly SurveyPrompt[]): void {
  expect(sumOf(Object.values(section.decisions))).toBe(prompts.length);
  expect(section.sent).toBe(section.decisions.sent);
  expect(section.answered).toBeLessThanOrEqual(section.shown);
  expect(section.shown).toBeLessThanOrEqual(section.sent);
  expect(section.answered + section.dismissed).toBeLessThanOrEqual(section.sent);
  if (section.sent === 0) {
    expect([section.responseRate, section.dismissalRate]).toEqual([null, null]);
  } else {
    expect(section.responseRate).toBe(section.answered / section.sent);
    expect(section.dismissalRate).toBe(section.dismissed / section.sent);
  }
  expect(section.questions.map((q) => q.questionId)).toEqual(survey.questions.map((q) => q.id));
  for (const question of section.questions) {
    expect(question.answered).toBeLessThanOrEqual(section.answered);
    expectQuestionProperties(question);
  }
}

function expectQuestionProperties(question: QuestionResult): void {
  const { answered } = question;
  switch (question.kind) {
    case 'single': {
      expect(sumOf(question.choices.map((c) => c.count))).toBe(answered);
      if (answered > 0) expect(close(sumOf(question.choices.map((c) => c.share!)), 1)).toBe(true);
      return;
    }
    case 'multiple': {
      // Each answer picks one choice or more: the counts sum to at least the answers, each at most all of them.
      expect(sumOf(question.choices.map((c) => c.count))).toBeGreaterThanOrEqual(answered);
      for (const choice of question.choices) {
        expect(choice.count).toBeLessThanOrEqual(answered);
        expect(choice.share).toBe(answered === 0 ? null : choice.count / answered);
      }
      return;
    }
    case 'rating':
    case 'nps': {
      const { histogram, mean } = question;
      expect(sumOf(histogram.map((h) => h.count))).toBe(answered);
      expect(histogram.map((h) => h.score)).toEqual(question.kind === 'nps' ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] : [1, 2, 3, 4, 5]);
      if (answered === 0) {
        expect(mean).toBeNull();
        return;
      }
      expect(close(sumOf(histogram.map((h) => h.share!)), 1)).toBe(true);
      expect(close(mean!, sumOf(histogram.map((h) => h.score * h.count)) / answered)).toBe(true);
      expect(mean).toBeGreaterThanOrEqual(histogram[0]!.score);
      expect(mean).toBeLessThanOrEqual(histogram.at(-1)!.score);
      if (question.kind === 'nps') {
        const { promoters, passives, detractors, nps } = question;
        expect(promoters.count + passives.count + detractors.count).toBe(answered);
        expect(promoters.count).toBe(histogram[9]!.count + histogram[10]!.count);
        expect(detractors.count).toBe(sumOf(histogram.slice(0, 7).map((h) => h.count)));
        expect(nps).toBeGreaterThanOrEqual(-100);
        expect(nps).toBeLessThanOrEqual(100);
        expect(close(nps!, 100 * (promoters.share! - detractors.share!))).toBe(true);
      }
      return;
    }
    case 'text':
      return;
  }
}

describe('survey results', () => {
  it('keep their properties on any prompts and answers: rates of sent prompts, shares summing to 1, NPS within ±100, every question', () => {
    fc.assert(
      fc.property(world, ({ prompts, answers }) => {
        const results = surveyResults(survey, prompts, answers, { by: 'deviceType' });
        expect(surveyResultsSchema.encode(results)).toEqual(results);
        expectSectionProperties(results.overall, prompts);
        for (const group of results.groups)
          expectSectionProperties(
            group,
            prompts.filter((p) => (p.deviceType ?? null) === group.value),
          );
        expect(results.weighting).toBeUndefined();
        expect(results.overall.weightedResponseRate).toBeUndefined();
      }),
      { numRuns: 300, seed: 47 },
    );
  });

  it('break every count down into groups that add up to the whole, one group per value, in order, null last', () => {
    fc.assert(
      fc.property(world, ({ prompts, answers }) => {
        const results = surveyResults(survey, prompts, answers, { by: 'community' });
        expect(results.by).toBe('community');
        const values = results.groups.map((g) => g.value);
        expect(values).toEqual([...new Set(prompts.map((p) => p.community ?? null))].sort((a, b) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : 1)));
        const total = (read: (s: SurveyResultsSection) => number) => sumOf(results.groups.map(read));
        expect(total((s) => s.sent)).toBe(results.overall.sent);
        expect(total((s) => s.answered)).toBe(results.overall.answered);
        expect(total((s) => s.dismissed)).toBe(results.overall.dismissed);
        for (const decision of promptDecisions) expect(total((s) => s.decisions[decision])).toBe(results.overall.decisions[decision]);
        results.overall.questions.forEach((question, q) => {
          expect(total((s) => s.questions[q]!.answered)).toBe(question.answered);
          if (question.kind === 'single' || question.kind === 'multiple')
            question.choices.forEach((choice, c) => {
              expect(total((s) => (s.questions[q] as typeof question).choices[c]!.count)).toBe(choice.count);
            });
        });
      }),
      { numRuns: 200, seed: 48 },
    );
  });

  it('count an answer only when its prompt is given and was sent', () => {
    fc.assert(
      fc.property(world, ({ prompts, answers }) => {
        const unsent = prompts.filter((p) => p.decision !== 'sent').map((p) => ({ promptId: p.id, values: { purpose: 'work', nps: 10 } }));
        const strays = [{ promptId: 'pr_elsewhere', values: { purpose: 'work', nps: 0 } }];
        const results = surveyResults(survey, prompts, [...answers, ...unsent, ...strays]);
        expect(results).toEqual(surveyResults(survey, prompts, answers));
        expect(results.overall.answered).toBe(
          new Set(answers.map((a) => a.promptId).filter((id) => prompts.find((p) => p.id === id)!.decision === 'sent')).size,
        );
      }),
      { numRuns: 100, seed: 49 },
    );
  });

  it('answer without a breakdown with no groups, and with no prompt with no rate and no share', () => {
    const results = surveyResults(survey, [], []);
    expect([results.by, results.groups]).toEqual([null, []]);
    expect(results.overall.responseRate).toBeNull();
    const nps = results.overall.questions.find((q) => q.kind === 'nps')!;
    expect(nps.kind === 'nps' && [nps.nps, nps.mean, nps.promoters.share]).toEqual([null, null, null]);
  });

  it('give all promoters an NPS of 100 and all detractors −100, whatever else is answered', () => {
    const prompts: SurveyPrompt[] = Array.from({ length: 6 }, (_, i) => ({ id: `pr${i}`, personId: `p${i}`, decision: 'sent', sentAt: i }));
    const npsOf = (scores: number[]) => {
      const answers = scores.map((nps, i) => ({ promptId: `pr${i}`, values: { purpose: 'work', comfort: 3, nps } }));
      const question = surveyResults(survey, prompts, answers).overall.questions.find((q) => q.kind === 'nps')!;
      return question.kind === 'nps' ? question.nps : undefined;
    };
    expect(npsOf([9, 10, 10, 9])).toBe(100);
    expect(npsOf([0, 6, 3])).toBe(-100);
    expect(npsOf([7, 8, 8])).toBe(0);
    // One promoter and one detractor cancel out, whatever passives there are.
    expect(npsOf([10, 0, 7, 8, 7])).toBe(0);
  });
});

describe('recent use bands', () => {
  it('bands a week of sessions as 0, 1-2, 3-5 and 6+', () => {
    expect([0, 1, 2, 3, 5, 6, 40].map(recentUseBand)).toEqual(['0', '1-2', '1-2', '3-5', '3-5', '6+', '6+']);
  });
});
