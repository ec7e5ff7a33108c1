import { z } from 'zod';
import { idSchema } from './ids.js';
import { surveySchema } from './surveys.js';
import { instantSchema } from './time.js';

/**
 * What the API says of surveys (docs/surveys.md, "Versions and closing"): a survey is open or closed; every
 * change makes a new version, and a new version opens a closed survey again.
 */

export const surveyStates = ['open', 'closed'] as const;
export type SurveyState = (typeof surveyStates)[number];

/** Why a survey closed: closed by hand, its response target reached, or its `endsAt` passed. */
export const surveyCloseReasons = ['manual', 'target_reached', 'ended'] as const;
export type SurveyCloseReason = (typeof surveyCloseReasons)[number];

/** A new survey: its version 1. */
export const surveyCreateSchema = surveySchema.safeExtend({ id: idSchema.optional().describe("the survey's id; generated when absent") });
export type SurveyCreateInput = z.input<typeof surveyCreateSchema>;

export const surveyVersionSchema = z.object({
  version: z.number().int().describe('1, 2, …: every change makes the next'),
  createdAt: instantSchema.describe('when the version was made'),
});

export const surveyViewSchema = z.object({
  id: idSchema.describe("the survey's id"),
  version: z.number().int().describe('the version shown'),
  createdAt: instantSchema.describe('when that version was made'),
  state: z.enum(surveyStates).describe("the survey's state, whichever version is shown: `open` prompts between startsAt and endsAt, `closed` no more"),
  closed: z
    .object({
      at: instantSchema.describe('when it closed'),
      reason: z.enum(surveyCloseReasons).describe('`manual`, `target_reached` (its response target) or `ended` (its endsAt passed)'),
    })
    .nullable()
    .describe('when and why it closed; null while open'),
  survey: z
    .record(z.string(), z.unknown())
    .describe('the survey as that version holds it, defaults filled in and startsAt resolved: a PUT takes it back as it is'),
  versions: z.array(surveyVersionSchema).describe('every version, oldest first'),
});
export type SurveyView = z.output<typeof surveyViewSchema>;
