import { z } from 'zod';
import { idSchema } from './ids.js';
import { answerSchema, promptDecisions } from './surveys.js';
import { instantSchema } from './time.js';

/**
 * Where a prompt stands (docs/surveys.md, "Answering"): `not_sent` (its decision was not `sent`), `scheduled`
 * (sent, not delivered yet), `delivered`, `shown`, then `answered` or `dismissed`; `expired` once its `expiresAt`
 * passed without either.
 */
export const promptStates = ['not_sent', 'scheduled', 'delivered', 'shown', 'answered', 'dismissed', 'expired'] as const;
export type PromptState = (typeof promptStates)[number];

/**
 * The events a person's app device publishes about a prompt, on its events topic, each with attrs `promptId`;
 * `survey.answer` also with attrs `answer`, the JSON text of the answer's `values`.
 */
export const surveyReplyEvents = { answer: 'survey.answer', dismiss: 'survey.dismiss', shown: 'survey.shown' } as const;

export const promptViewSchema = z.object({
  promptId: z.string().describe('the prompt'),
  surveyId: idSchema.describe('its survey'),
  version: z.number().int().describe('the survey version it asks'),
  personId: idSchema.describe('the person asked'),
  trigger: z.string().describe('what triggered it (its key)'),
  decision: z.enum(promptDecisions).describe('`sent`, or why it was not'),
  detail: z.string().describe('the decision, for people'),
  state: z.enum(promptStates).describe('where it stands now'),
  sendAt: instantSchema.describe('when it goes, or went, out'),
  expiresAt: instantSchema.describe('after this it can no longer be answered'),
  decidedAt: instantSchema.describe('when its decision was made'),
  deliveredAt: instantSchema.nullable().describe("when it was delivered to the person's app; null: not yet"),
  shownAt: instantSchema.nullable().describe('when the app showed it (first); null: not known to be'),
  answeredAt: instantSchema.nullable().describe('when it was answered; null: not answered'),
  dismissedAt: instantSchema.nullable().describe('when it was dismissed; null: not dismissed'),
  answer: answerSchema.nullable().describe('the answer kept, the first accepted'),
  context: z
    .object({
      triggeredAt: instantSchema.describe('when the trigger happened'),
      sessionId: z
        .string()
        .nullable()
        .describe('the session it followed, as derived now (a re-derivation that changes its id relinks it); null if none holds its trigger'),
      journeyId: z.string().nullable().describe("the person's journey it followed, as derived now; null until that journey is closed"),
      deviceType: z.string().nullable().describe('the type of the device used'),
      path: z.string().nullable().describe("the journey's path as text"),
      collectives: z.array(z.string()).describe("the person's collectives as of the trigger"),
      stratum: z.string().nullable().describe("the person's draw stratum"),
      community: z.string().nullable().describe("the person's community"),
    })
    .describe('the usage it followed, as of its trigger'),
});
export type PromptView = z.output<typeof promptViewSchema>;

/**
 * A survey step of a person's journey: a prompt the person answered or dismissed, triggered within the journey.
 * It sits beside the journey's sessions without counting among its steps or in its path, which are about usage.
 */
export const journeySurveyStepSchema = z.object({
  kind: z.literal('survey').describe('always `survey`'),
  promptId: z.string().describe('the prompt'),
  surveyId: idSchema.describe('its survey'),
  reply: z.enum(['answered', 'dismissed']).describe('what the person did with it'),
  at: instantSchema.describe('when they answered or dismissed it'),
  triggeredAt: instantSchema.describe('when the use it followed happened'),
  sessionId: z.string().nullable().describe('the session it followed, as derived now; null for a journey’s close'),
});
export type JourneySurveyStep = z.output<typeof journeySurveyStepSchema>;
