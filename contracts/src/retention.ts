import { z } from 'zod';
import { typeNameSchema } from './ids.js';
import { subjectKindSchema } from './registry.js';
import { instantSchema } from './time.js';

/**
 * Weekly retention and lifecycle of subjects, as PostHog computes them. Weeks are ISO weeks,
 * starting on Monday 00:00 UTC; a subject is active in a week when a session counted for it (its own, or
 * one it used as reported actor, as journeys count them) starts in that week.
 */
export const retentionQuerySchema = z.object({
  from: instantSchema.describe('first week of the range: the ISO week (Monday, UTC) containing this instant'),
  to: instantSchema.describe('the range ends before this instant: its last week is the one containing the instant just before'),
  kind: subjectKindSchema.describe('individuals, or collectives'),
  subjectType: typeNameSchema.optional().describe('only subjects of this type (person, household, workplace, …)'),
  weeks: z.coerce.number().int().min(0).max(104).default(8).describe('how many weeks after its first one each cohort is followed'),
});

export const retentionCohortSchema = z.object({
  week: instantSchema.describe('Monday 00:00 UTC of the week of first use'),
  size: z.number().int().nonnegative().describe('subjects whose first counted session ever started that week'),
  retained: z
    .array(
      z.object({
        weekOffset: z.number().int().nonnegative().describe('0 is the week of first use'),
        week: instantSchema.describe('Monday 00:00 UTC of that week'),
        active: z.number().int().nonnegative().describe('subjects of the cohort active that week'),
        share: z.number().min(0).max(1).describe('active / size'),
      }),
    )
    .describe('the cohort in its week of first use and each week after'),
});

export const lifecycleWeekSchema = z.object({
  week: instantSchema.describe('Monday 00:00 UTC of the week'),
  new: z.number().int().nonnegative().describe('first use ever that week'),
  returning: z.number().int().nonnegative().describe('active that week and the week before'),
  resurrecting: z.number().int().nonnegative().describe('active that week, not the week before, but some week earlier'),
  dormant: z.number().int().nonnegative().describe('active the week before, not that week'),
});

export const retentionResultSchema = z.object({
  from: instantSchema.describe('Monday of the first week'),
  to: instantSchema.describe('Monday after the last week'),
  kind: subjectKindSchema.describe('the subjects counted'),
  subjectType: typeNameSchema.nullable().describe('only subjects of this type; null: all'),
  weeks: z.number().int().nonnegative().describe('how many weeks after its first one each cohort is followed'),
  cohorts: z.array(retentionCohortSchema).describe('the weeks of the range in which some subjects first used anything, in order'),
  lifecycle: z.array(lifecycleWeekSchema).describe('every week of the range, in order'),
});
export type RetentionResult = z.output<typeof retentionResultSchema>;
