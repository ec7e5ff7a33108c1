import { z } from 'zod';
import { durationTextSchema } from './duration.js';
import { eventTypeSchema } from './payloads.js';
import { idSchema, typeNameSchema } from './ids.js';
import { attributeConditionSchema } from './panels.js';
import { instantSchema } from './time.js';

/**
 * In-the-moment surveys (docs/surveys.md): a few questions asked right after real usage, to the people a survey
 * addresses, when a trigger on derived results fires — sampled, capped, cooled down and kept out of quiet hours.
 * Every change makes a new version; prompts and answers keep the version they were asked under.
 */

const questionIdSchema = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'snake_case, at most 32 characters');
const textSchema = z.string().min(1).max(500);

/** Where a question leads when an answer matches: another question, or the end of the survey. */
const branchSchema = z.strictObject({
  choices: z.array(questionIdSchema).min(1).max(50).optional().describe('when one of these choices is picked'),
  min: z.number().int().optional().describe('when the score is at least this'),
  max: z.number().int().optional().describe('when the score is at most this'),
  goTo: z.union([questionIdSchema, z.literal('end')]).describe('the question to ask next, or `end`'),
});

const choiceSchema = z.strictObject({ id: questionIdSchema.describe('stable: answers name it'), label: textSchema.describe('what people read') });

const common = {
  id: questionIdSchema.describe('stable within the survey: answers name it'),
  text: textSchema.describe('the question'),
  required: z.boolean().default(true).describe('an answer must give it (unless a branch skipped it)'),
  branches: z.array(branchSchema).max(20).default([]).describe('where the answer leads, first match wins; otherwise the next question'),
};

export const questionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('single').describe('one choice'), ...common, choices: z.array(choiceSchema).min(2).max(50).describe('the choices') }),
  z.strictObject({
    kind: z.literal('multiple').describe('several choices'),
    ...common,
    choices: z.array(choiceSchema).min(2).max(50).describe('the choices'),
    maxChoices: z.number().int().min(1).optional().describe('most choices picked; default all'),
  }),
  z.strictObject({
    kind: z.literal('rating').describe('a score on a scale'),
    ...common,
    min: z.number().int().min(0).max(1).default(1).describe('lowest score'),
    max: z.number().int().min(2).max(10).default(5).describe('highest score'),
  }),
  z.strictObject({ kind: z.literal('nps').describe('how likely to recommend, 0 to 10'), ...common }),
  z.strictObject({
    kind: z.literal('text').describe('free text'),
    ...common,
    maxLength: z.number().int().min(1).max(2000).default(500).describe('longest answer'),
  }),
]);
export type Question = z.output<typeof questionSchema>;

/** Whom a survey asks: everyone, a panel's or a community's members, or the individuals whose attributes match. */
export const surveyAudienceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('everyone').describe('every individual') }),
  z.strictObject({ kind: z.literal('panel').describe("a panel's members at the trigger's time"), panelId: idSchema.describe('the panel') }),
  z.strictObject({ kind: z.literal('community').describe("a community's members at the trigger's time"), communityId: idSchema.describe('the community') }),
  z.strictObject({
    kind: z.literal('attributes').describe('individuals whose profile attributes meet every condition'),
    conditions: z.array(attributeConditionSchema).min(1).max(20).describe('conditions on profile attributes, all of them'),
  }),
]);
export type SurveyAudience = z.output<typeof surveyAudienceSchema>;

/** What, in the derived results, makes a survey ask someone: the person is the session's or journey's individual. */
export const surveyTriggerSchema = z.discriminatedUnion('on', [
  z.strictObject({
    on: z.literal('session_closed').describe('a usage session closed'),
    deviceType: typeNameSchema.optional().describe('of a device of this type'),
    minDuration: durationTextSchema.optional().describe('that lasted at least this long'),
    actorKnown: z.boolean().default(false).describe('only when the device reported who used it'),
  }),
  z.strictObject({
    on: z.literal('journey_step').describe('the n-th step of a journey'),
    step: z.number().int().min(1).max(100).describe('1 for the first'),
    deviceType: typeNameSchema.optional().describe('on a device of this type'),
  }),
  z.strictObject({
    on: z.literal('transition').describe('a step on one device type followed by a step on another'),
    fromType: typeNameSchema.describe('the earlier step'),
    toType: typeNameSchema.describe('the next'),
  }),
  z.strictObject({
    on: z.literal('journey_closed').describe('a journey closed'),
    stoppedBefore: typeNameSchema.optional().describe('only a journey that did not reach this device type (stopped short)'),
  }),
  z.strictObject({
    on: z.literal('funnel_step').describe('a funnel step reached'),
    funnel: idSchema.describe('the funnel, as declared'),
    step: z.number().int().min(1).describe('1 for the entry'),
  }),
  z.strictObject({ on: z.literal('event').describe('a device event'), eventType: eventTypeSchema.describe('its type') }),
]);
export type SurveyTrigger = z.output<typeof surveyTriggerSchema>;

const clockSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');

/** How often one person may be asked, within one survey or across them all. */
export const promptCapsSchema = z.strictObject({
  perDay: z.number().int().min(1).optional().describe('most prompts in any 24 hours'),
  perWeek: z.number().int().min(1).optional().describe('most prompts in any 7 days'),
  perCalendarDay: z.number().int().min(1).optional().describe("most prompts on one calendar day of the person's time zone"),
});
export type PromptCaps = z.output<typeof promptCapsSchema>;

export const surveyFields = z.strictObject({
  name: z.string().min(1).max(200).describe('a name for people to read'),
  questions: z.array(questionSchema).min(1).max(20).describe('asked in order, branches aside'),
  audience: surveyAudienceSchema.default({ kind: 'everyone' }).describe('whom the survey may ask'),
  triggers: z.array(surveyTriggerSchema).min(1).max(10).describe('any of them asks'),
  delay: durationTextSchema.prefault('0s').describe('from the trigger to the prompt'),
  samplingRate: z.number().min(0).max(1).default(1).describe('share of triggers asked, decided by a hash of (survey, person, trigger)'),
  holdout: z.number().min(0).lt(1).default(0).describe('share of people never asked, kept for comparison (by a hash of survey and person)'),
  caps: promptCapsSchema.default({}).describe('how often this survey may ask one person'),
  cooldown: z
    .strictObject({
      afterAnswer: durationTextSchema.optional().describe('no prompt of this survey for this long after an answer'),
      afterDismissal: durationTextSchema.optional().describe('no prompt of this survey for this long after a dismissal'),
    })
    .default({})
    .describe('rest after an answer or a dismissal'),
  quietHours: z
    .strictObject({ from: clockSchema.describe('start, in the person’s time zone'), to: clockSchema.describe('end (may be past midnight)') })
    .optional()
    .describe('no prompt sent between these times of day'),
  expiresAfter: durationTextSchema.prefault('1h').describe('a prompt not answered within this is expired'),
  responseTarget: z.number().int().min(1).optional().describe('the survey closes once this many answers came'),
  startsAt: instantSchema.optional().describe('no prompt before; default when the version is made'),
  endsAt: instantSchema.optional().describe('no prompt after'),
});

export const surveySchema = surveyFields.superRefine((survey, ctx) => {
  const ids = survey.questions.map((q) => q.id);
  survey.questions.forEach((question, index) => {
    if (ids.indexOf(question.id) !== index)
      ctx.addIssue({ code: 'custom', path: ['questions', index, 'id'], message: `question id "${question.id}" is used twice` });
    question.branches.forEach((branch, b) => {
      const path = ['questions', index, 'branches', b];
      if (branch.goTo !== 'end' && ids.indexOf(branch.goTo) <= index)
        ctx.addIssue({ code: 'custom', path: [...path, 'goTo'], message: `a branch goes forward, to a later question or \`end\`, not to "${branch.goTo}"` });
      const choices = 'choices' in question ? new Set(question.choices.map((c) => c.id)) : null;
      if (branch.choices && !choices) ctx.addIssue({ code: 'custom', path: [...path, 'choices'], message: 'choices branch single or multiple questions' });
      for (const choice of branch.choices ?? [])
        if (choices && !choices.has(choice))
          ctx.addIssue({ code: 'custom', path: [...path, 'choices'], message: `"${choice}" is not a choice of "${question.id}"` });
      if ((branch.min !== undefined || branch.max !== undefined) && question.kind !== 'rating' && question.kind !== 'nps')
        ctx.addIssue({ code: 'custom', path, message: 'min and max branch rating and nps questions' });
    });
  });
  if (survey.startsAt !== undefined && survey.endsAt !== undefined && survey.endsAt <= survey.startsAt)
    ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
});
export type Survey = z.output<typeof surveySchema>;
export type SurveyInput = z.input<typeof surveySchema>;

/**
 * Why a trigger did or did not become a prompt: every decision is recorded with one. The last three are the
 * survey's own window, not the person's: `not_started` (due before `startsAt`), `ended` (due from `endsAt` on),
 * `closed` (its `responseTarget` reached).
 */
export const promptDecisions = [
  'sent',
  'sampled_out',
  'holdout',
  'capped',
  'cooldown',
  'quiet_hours',
  'no_consent',
  'expired',
  'not_started',
  'ended',
  'closed',
] as const;
export type PromptDecision = (typeof promptDecisions)[number];

/**
 * One question's answer: a choice's id (single), the ids of the choices picked (multiple), a score (rating,
 * nps) or the text (text). Which one a string is, the question's kind says.
 */
export const answerValueSchema = z.union([
  z.number().int().describe('a score: rating or nps'),
  z.array(z.string().min(1).max(100)).min(1).max(50).describe('the ids of the choices picked: multiple'),
  z.string().min(1).max(2000).describe("a choice's id (single), or the text (text)"),
]);
export type AnswerValue = z.output<typeof answerValueSchema>;

/** A person's answer to a prompt: per question id, its value; a question left out is unanswered. */
export const answerSchema = z.strictObject({
  values: z
    .record(questionIdSchema, answerValueSchema)
    .refine((values) => Object.keys(values).length <= 20, 'at most 20 questions (a survey has no more)')
    .describe('per question id, its answer; the questions the answers lead past are left out'),
});
export type Answer = z.output<typeof answerSchema>;
