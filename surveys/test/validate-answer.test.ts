import { type Answer, type AnswerValue, answerSchema, errorCodes, surveySchema } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { AnswerRefused, validateAnswer } from '../src/answers/validate-answer.js';

/**
 * A morning-coffee survey: no visit ends it; a low rating asks why, any other rating (or none) jumps to the
 * NPS; promoters end there, the others are asked what to improve.
 */
const survey = surveySchema.parse({
  name: 'Morning coffee',
  triggers: [{ on: 'session_closed', deviceType: 'coffee_machine' }],
  questions: [
    {
      kind: 'single',
      id: 'visit',
      text: 'What did you have?',
      choices: [
        { id: 'coffee', label: 'Coffee' },
        { id: 'tea', label: 'Tea' },
        { id: 'none', label: 'Nothing' },
      ],
      branches: [{ choices: ['none'], goTo: 'end' }],
    },
    {
      kind: 'multiple',
      id: 'extras',
      text: 'With?',
      required: false,
      maxChoices: 2,
      choices: [
        { id: 'milk', label: 'Milk' },
        { id: 'sugar', label: 'Sugar' },
        { id: 'syrup', label: 'Syrup' },
      ],
      branches: [{ choices: ['syrup'], goTo: 'rating' }],
    },
    { kind: 'text', id: 'no_syrup', text: 'Why no syrup?', required: false, maxLength: 20 },
    { kind: 'rating', id: 'rating', text: 'How was it?', required: false, branches: [{ max: 2, goTo: 'why_low' }, { goTo: 'nps' }] },
    { kind: 'text', id: 'why_low', text: 'What went wrong?', maxLength: 20 },
    { kind: 'nps', id: 'nps', text: 'Would you recommend it?', branches: [{ min: 9, goTo: 'end' }] },
    { kind: 'text', id: 'improve', text: 'What would you improve?', required: false },
  ],
});

const answer = (values: Record<string, AnswerValue>): Answer => answerSchema.parse({ values });
const pathOf = (values: Record<string, AnswerValue>) => validateAnswer(survey, answer(values)).map((step) => step.questionId);

function refusal(values: Record<string, AnswerValue>): { code: string; questionId: string; message: string } {
  try {
    validateAnswer(survey, answer(values));
  } catch (error) {
    expect(error).toBeInstanceOf(AnswerRefused);
    const { code, questionId, message } = error as AnswerRefused;
    return { code, questionId, message };
  }
  throw new Error(`${JSON.stringify(values)} was accepted`);
}

describe('answer paths', () => {
  it('ends where a choice branches to the end', () => {
    expect(validateAnswer(survey, answer({ visit: 'none' }))).toEqual([{ questionId: 'visit', value: 'none' }]);
  });

  it('goes on to the next question when no branch matches, and gives an unanswered optional question null', () => {
    expect(validateAnswer(survey, answer({ visit: 'tea', rating: 4, nps: 7 }))).toEqual([
      { questionId: 'visit', value: 'tea' },
      { questionId: 'extras', value: null },
      { questionId: 'no_syrup', value: null },
      { questionId: 'rating', value: 4 },
      { questionId: 'nps', value: 7 },
      { questionId: 'improve', value: null },
    ]);
  });

  it('follows a branch of a multiple question when any of the choices picked is among its choices', () => {
    expect(pathOf({ visit: 'coffee', extras: ['milk', 'syrup'], nps: 10 })).toEqual(['visit', 'extras', 'rating', 'nps']);
    expect(pathOf({ visit: 'coffee', extras: ['milk', 'sugar'], no_syrup: 'too sweet', nps: 10 })).toEqual(['visit', 'extras', 'no_syrup', 'rating', 'nps']);
  });

  it('takes the first branch whose score bounds hold, else the unconditional one, which an unanswered question follows too', () => {
    expect(pathOf({ visit: 'tea', rating: 2, why_low: 'cold', nps: 3 })).toEqual(['visit', 'extras', 'no_syrup', 'rating', 'why_low', 'nps', 'improve']);
    expect(pathOf({ visit: 'tea', rating: 3, nps: 3 })).toEqual(['visit', 'extras', 'no_syrup', 'rating', 'nps', 'improve']);
    expect(pathOf({ visit: 'tea', nps: 3 })).toEqual(['visit', 'extras', 'no_syrup', 'rating', 'nps', 'improve']);
  });

  it('ends at an NPS of 9 or more, and asks what to improve below', () => {
    expect(pathOf({ visit: 'tea', rating: 5, nps: 9 })).toEqual(['visit', 'extras', 'no_syrup', 'rating', 'nps']);
    expect(pathOf({ visit: 'tea', rating: 5, nps: 8, improve: 'faster' })).toEqual(['visit', 'extras', 'no_syrup', 'rating', 'nps', 'improve']);
  });

  it('accepts every choice of a multiple question without maxChoices, and the ends of each scale', () => {
    const open = surveySchema.parse({
      name: 'Extras',
      triggers: [{ on: 'session_closed' }],
      questions: [
        { kind: 'multiple', id: 'extras', text: 'With?', required: false, choices: ['milk', 'sugar', 'syrup'].map((id) => ({ id, label: id })) },
        { kind: 'rating', id: 'zero_to_ten', text: 'Rate', min: 0, max: 10 },
      ],
    });
    expect(validateAnswer(open, answer({ extras: ['milk', 'sugar', 'syrup'], zero_to_ten: 0 })).length).toBe(2);
    expect(validateAnswer(open, answer({ zero_to_ten: 10 })).length).toBe(2);
    expect(pathOf({ visit: 'tea', rating: 1, why_low: 'x', nps: 0, improve: 'y' })).toContain('improve');
    expect(pathOf({ visit: 'tea', rating: 5, nps: 10 })).toContain('nps');
  });

  it('counts text length in characters as people count them: an emoji is one', () => {
    expect(pathOf({ visit: 'tea', rating: 1, why_low: '☕'.repeat(20), nps: 10 })).toContain('why_low');
    expect(pathOf({ visit: 'tea', rating: 1, why_low: '🥶'.repeat(20), nps: 10 })).toContain('why_low');
  });
});

describe('answers refused', () => {
  const cases: { name: string; values: Record<string, AnswerValue>; code: string; questionId: string; says: RegExp }[] = [
    { name: 'a required first question unanswered', values: { rating: 4, nps: 8 }, code: errorCodes.answerMissing, questionId: 'visit', says: /required/ },
    {
      name: 'a required question its branch leads to, unanswered',
      values: { visit: 'tea', rating: 1, nps: 8 },
      code: errorCodes.answerMissing,
      questionId: 'why_low',
      says: /required/,
    },
    { name: 'the NPS unanswered', values: { visit: 'tea', rating: 4 }, code: errorCodes.answerMissing, questionId: 'nps', says: /required/ },
    {
      name: 'an answer past a choice that ends the survey',
      values: { visit: 'none', extras: ['milk'] },
      code: errorCodes.answerNotAsked,
      questionId: 'extras',
      says: /lead past it/,
    },
    {
      name: 'an answer to a question a rating jumps over',
      values: { visit: 'tea', rating: 4, why_low: 'nothing', nps: 8 },
      code: errorCodes.answerNotAsked,
      questionId: 'why_low',
      says: /not asked/,
    },
    {
      name: 'an answer to a question a multiple choice jumps over',
      values: { visit: 'tea', extras: ['syrup'], no_syrup: 'x', nps: 8 },
      code: errorCodes.answerNotAsked,
      questionId: 'no_syrup',
      says: /not asked/,
    },
    {
      name: 'an answer after a promoter ends the survey',
      values: { visit: 'tea', nps: 9, improve: 'nothing' },
      code: errorCodes.answerNotAsked,
      questionId: 'improve',
      says: /not asked/,
    },
    {
      name: 'a question the survey does not have',
      values: { visit: 'tea', nps: 8, mood: 3 },
      code: errorCodes.answerNotAsked,
      questionId: 'mood',
      says: /no question/,
    },
    { name: 'an NPS above 10', values: { visit: 'tea', nps: 11 }, code: errorCodes.answerInvalid, questionId: 'nps', says: /outside its scale, 0 to 10/ },
    { name: 'an NPS below 0', values: { visit: 'tea', nps: -1 }, code: errorCodes.answerInvalid, questionId: 'nps', says: /outside its scale/ },
    { name: 'a rating below its scale', values: { visit: 'tea', rating: 0, nps: 8 }, code: errorCodes.answerInvalid, questionId: 'rating', says: /1 to 5/ },
    { name: 'a rating above its scale', values: { visit: 'tea', rating: 6, nps: 8 }, code: errorCodes.answerInvalid, questionId: 'rating', says: /1 to 5/ },
    { name: 'an unknown choice', values: { visit: 'juice', nps: 8 }, code: errorCodes.answerInvalid, questionId: 'visit', says: /no choice "juice"/ },
    {
      name: 'an unknown choice among several',
      values: { visit: 'tea', extras: ['milk', 'honey'], nps: 8 },
      code: errorCodes.answerInvalid,
      questionId: 'extras',
      says: /no choice "honey"/,
    },
    {
      name: 'more choices than maxChoices',
      values: { visit: 'tea', extras: ['milk', 'sugar', 'syrup'], nps: 8 },
      code: errorCodes.answerInvalid,
      questionId: 'extras',
      says: /3 choices picked, at most 2/,
    },
    {
      name: 'a choice named twice',
      values: { visit: 'tea', extras: ['milk', 'milk'], nps: 8 },
      code: errorCodes.answerInvalid,
      questionId: 'extras',
      says: /twice/,
    },
    {
      name: 'text longer than maxLength',
      values: { visit: 'tea', rating: 1, why_low: 'x'.repeat(21), nps: 8 },
      code: errorCodes.answerInvalid,
      questionId: 'why_low',
      says: /21 characters, at most 20/,
    },
    { name: 'a score given as text', values: { visit: 'tea', nps: 'ten' }, code: errorCodes.answerInvalid, questionId: 'nps', says: /score/ },
    {
      name: 'several choices for a single question',
      values: { visit: ['tea'], nps: 8 },
      code: errorCodes.answerInvalid,
      questionId: 'visit',
      says: /one choice/,
    },
    {
      name: 'one choice for a multiple question',
      values: { visit: 'tea', extras: 'milk', nps: 8 },
      code: errorCodes.answerInvalid,
      questionId: 'extras',
      says: /list/,
    },
    { name: 'a number for text', values: { visit: 'tea', nps: 8, improve: 3 }, code: errorCodes.answerInvalid, questionId: 'improve', says: /text/ },
    {
      name: 'a bad value before an answer off the path: the first problem along the path',
      values: { visit: 'tea', rating: 9, why_low: 'x', nps: 8 },
      code: errorCodes.answerInvalid,
      questionId: 'rating',
      says: /outside/,
    },
  ];
  for (const { name, values, code, questionId, says } of cases) {
    it(`refuses ${name}, naming the question`, () => {
      const refused = refusal(values);
      expect(refused.code).toBe(code);
      expect(refused.questionId).toBe(questionId);
      expect(refused.message).toContain(`"${questionId}"`);
      expect(refused.message).toMatch(says);
    });
  }
});

describe('the answer contract', () => {
  it('refuses fractional scores, empty values, question ids out of pattern and more values than a survey has questions', () => {
    expect(answerSchema.safeParse({ values: { nps: 7.5 } }).success).toBe(false);
    expect(answerSchema.safeParse({ values: { extras: [] } }).success).toBe(false);
    expect(answerSchema.safeParse({ values: { improve: '' } }).success).toBe(false);
    expect(answerSchema.safeParse({ values: { 'Not-An-Id': 1 } }).success).toBe(false);
    expect(answerSchema.safeParse({ values: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`q${i}`, 1])) }).success).toBe(false);
    expect(answerSchema.safeParse({ values: {}, extra: 1 }).success).toBe(false);
    expect(answerSchema.parse({ values: { visit: 'tea', extras: ['milk'], nps: 8 } }).values.nps).toBe(8);
  });
});
