import { z } from 'zod';
import { promptDecisions } from './surveys.js';
import { weightedEstimateSchema, weightingUsedSchema } from './weighted-figures.js';

/**
 * A survey's results (docs/surveys.md, "Results"): what became of its prompts, what the answers say question by
 * question, overall and by a breakdown of the prompts; with weights, the same for the population a weighting
 * scheme's sample stands for.
 */

/**
 * What results can be broken down by: each prompt's device type, journey path, draw stratum or community, or its
 * person's use before it (`recentUse`: their sessions in the 7 days before the prompt, in bands), so that what people
 * say is read next to what they do.
 */
export const surveyBreakdownKeys = ['deviceType', 'path', 'stratum', 'community', 'recentUse'] as const;
export const recentUseBands = ['0', '1-2', '3-5', '6+'] as const;
export const surveyBreakdownKeySchema = z
  .enum(surveyBreakdownKeys)
  .describe(
    "a prompt's device type, its journey's path, its person's draw stratum or community, or `recentUse`: the person's sessions in the 7 days before the prompt, in bands 0, 1-2, 3-5, 6+",
  );
export type SurveyBreakdownKey = z.output<typeof surveyBreakdownKeySchema>;

const count = (what: string) => z.number().int().nonnegative().describe(what);
const share = (what: string) => z.number().min(0).max(1).nullable().describe(`${what}; null when there is none to take a share of`);
const weighted = (what: string) =>
  weightedEstimateSchema
    .nullable()
    .optional()
    .describe(`${what}, for the population (each person's latest answer); only with weights, null when no weighted member is in its group`);

const choiceResultSchema = z.object({
  id: z.string().describe("the choice's id"),
  label: z.string().describe('its label'),
  count: count('answers that picked it'),
  share: share('its share of the answers to the question'),
  weightedShare: weighted('the share of people answering the question who picked it'),
});

const scoreCountSchema = z.object({
  score: z.number().int().describe('a score of the scale'),
  count: count('answers that gave it'),
  share: share('their share of the answers to the question'),
});

const question = {
  questionId: z.string().describe('the question'),
  answered: count('answers that answer it'),
};
const histogram = z.array(scoreCountSchema).describe('every score of the scale, lowest first');
const mean = z.number().nullable().describe('the mean score of the answers; null when none');
const group = (what: string) => z.object({ count: count(`answers of ${what}`), share: share(`their share of the answers`) }).describe(what);

export const questionResultSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('single').describe('one choice'),
    ...question,
    choices: z.array(choiceResultSchema).describe('every choice, in order; their shares sum to 1'),
  }),
  z.object({
    kind: z.literal('multiple').describe('several choices'),
    ...question,
    choices: z.array(choiceResultSchema).describe('every choice, in order; a share is of the answers that picked it, so they may sum past 1'),
  }),
  z.object({
    kind: z.literal('rating').describe('a score on a scale'),
    ...question,
    histogram,
    mean,
    weightedMean: weighted('the mean score'),
  }),
  z.object({
    kind: z.literal('nps').describe('how likely to recommend, 0 to 10'),
    ...question,
    histogram,
    mean,
    promoters: group('9 or 10'),
    passives: group('7 or 8'),
    detractors: group('0 to 6'),
    nps: z.number().min(-100).max(100).nullable().describe('net promoter score: % promoters − % detractors, −100 to 100; null when no answer'),
    weightedNps: weighted('the net promoter score: the mean of +100 per promoter, 0 per passive, −100 per detractor'),
  }),
  z.object({ kind: z.literal('text').describe('free text'), ...question }),
]);
export type QuestionResult = z.output<typeof questionResultSchema>;

export const surveyResultsSectionSchema = z.object({
  decisions: z.record(z.enum(promptDecisions), count('prompts decided so')).describe('the prompts, by what was decided of each trigger'),
  sent: count('prompts sent'),
  shown: count('prompts sent that were shown (or answered)'),
  answered: count('prompts sent that were answered'),
  dismissed: count('prompts sent that were dismissed without an answer'),
  responseRate: share('answered of sent'),
  dismissalRate: share('dismissed of sent'),
  weightedResponseRate: weighted('the share of people sent a prompt who answered one'),
  questions: z.array(questionResultSchema).describe("every question of the survey, in the survey's order"),
});
export type SurveyResultsSection = z.output<typeof surveyResultsSectionSchema>;

export const surveyResultsSchema = z.object({
  overall: surveyResultsSectionSchema.describe('every prompt'),
  by: surveyBreakdownKeySchema.nullable().describe('what the groups break the prompts down by; null: no breakdown'),
  groups: z
    .array(surveyResultsSectionSchema.extend({ value: z.string().nullable().describe("the group's value of the breakdown key; null: prompts without one") }))
    .describe('one per value of the breakdown key among the prompts, in order, null last; empty without a breakdown'),
  weighting: weightingUsedSchema.optional().describe('which weights the weighted figures used; only with weights'),
});
export type SurveyResults = z.output<typeof surveyResultsSchema>;
