import { z } from 'zod';
import { idSchema } from './ids.js';
import { instantSchema } from './time.js';

/**
 * Weighted figures (docs/weighting.md, "Weighted figures"): with `?weights=SCHEME`, a route also answers what
 * its figures are for the population the scheme's sample stands for, each with its uncertainty.
 */

export const weightsQuerySchema = z.object({
  weights: idSchema.optional().describe('a weighting scheme: the figures also for the population its sample stands for, with their uncertainty'),
  weightsVersion: z.coerce.number().int().min(1).optional().describe("the scheme's version whose run weights the figures; default the latest"),
});

/** One weighted figure: a total, a mean or a share of the population, with its uncertainty. */
export const weightedEstimateSchema = z.object({
  estimate: z.number().describe('the figure for the population'),
  standardError: z.number().nonnegative().describe('its standard error'),
  lower: z.number().describe('lower end of its confidence interval (a logit interval for a share, inside [0, 1])'),
  upper: z.number().describe('upper end of its confidence interval'),
  n: z.number().int().nonnegative().describe('members the figure is over (for a share within a group, the group’s)'),
  effectiveSize: z.number().nonnegative().describe("n_eff: Kish's effective sample size of their weights"),
  sampleValue: z.number().describe('the same figure over the sample, unweighted: its count for a total, its plain mean or share otherwise'),
});
export type WeightedEstimate = z.output<typeof weightedEstimateSchema>;

/** Which weights a weighted answer used. */
export const weightingUsedSchema = z.object({
  schemeId: idSchema.describe('the scheme'),
  version: z.number().int().describe('its version'),
  at: instantSchema.describe('the date of its sample and targets'),
  ranAt: instantSchema.describe('when its weights were computed'),
  variance: z.enum(['linearization', 'JK1', 'JKn']).describe('how standard errors were computed'),
  level: z.number().describe('the confidence level of the intervals'),
  n: z.number().int().describe('members weighted'),
  designEffect: z.number().describe("Kish's design effect of the weights, 1 + CV²"),
  effectiveSize: z.number().describe('n divided by the design effect'),
});
export type WeightingUsed = z.output<typeof weightingUsedSchema>;

const estimate = (what: string) => weightedEstimateSchema.describe(what);
const shareOrNull = (what: string) => weightedEstimateSchema.nullable().describe(`${what}; null when no member is in the group it is a share of`);

export const weightedActivitySchema = z.object({
  period: z.enum(['day', 'week']).describe('a UTC day, or an ISO week'),
  start: instantSchema.describe('start of the day or week (UTC)'),
  deviceType: z.string().nullable().describe('the devices counted; null: any device'),
  activeSubjects: estimate('people active: with a session of their own device or one they used as reported actor'),
  activeShare: estimate('the share of the population active'),
  sessions: estimate('their sessions'),
});
export type WeightedActivity = z.output<typeof weightedActivitySchema>;

export const weightedFunnelSchema = z.object({
  entered: estimate('people entering the funnel in the range'),
  enteredShare: estimate('the share of the population entering it'),
  converted: estimate('people reaching its last step'),
  conversion: shareOrNull('the share of those entering who reach the last step'),
  steps: z
    .array(
      z.object({
        step: z.number().int().positive().describe('1 for the entry'),
        reached: estimate('people whose furthest step is this one or a later one'),
        conversionFromPrevious: shareOrNull('the share of those reaching the previous step who reach this one'),
        conversionFromStart: shareOrNull('the share of those entering who reach this step'),
      }),
    )
    .describe('each step, in order'),
});
export type WeightedFunnel = z.output<typeof weightedFunnelSchema>;

export const weightedRetentionSchema = z.object({
  cohorts: z
    .array(
      z.object({
        week: instantSchema.describe('Monday 00:00 UTC of the week of first use'),
        size: estimate('people whose first counted session ever started that week'),
        retained: z
          .array(
            z.object({
              weekOffset: z.number().int().nonnegative().describe('0 is the week of first use'),
              week: instantSchema.describe('Monday 00:00 UTC of that week'),
              active: estimate('people of the cohort active that week'),
              share: shareOrNull('their share of the cohort'),
            }),
          )
          .describe('the cohort in its week of first use and each week after'),
      }),
    )
    .describe('the weeks of the range in which some members first used anything, in order'),
  lifecycle: z
    .array(
      z.object({
        week: instantSchema.describe('Monday 00:00 UTC of the week'),
        new: estimate('people using something for the first time ever that week'),
        returning: estimate('people active that week and the week before'),
        resurrecting: estimate('people active that week, not the week before, but some week earlier'),
        dormant: estimate('people active the week before, not that week'),
      }),
    )
    .describe('every week of the range, in order'),
});
export type WeightedRetention = z.output<typeof weightedRetentionSchema>;

export const weightedTransitionSchema = z.object({
  fromType: z.string().describe('device type of the earlier step'),
  toType: z.string().describe('device type of the next step'),
  count: estimate('how many times the one step followed the other in the journeys of people'),
  people: estimate('people with that transition in a journey'),
  share: estimate('their share of the population'),
});
export type WeightedTransition = z.output<typeof weightedTransitionSchema>;

export const weightedSharedUsageSchema = z.object({
  deviceType: z.string().describe("the type of collectives' devices"),
  users: estimate('people who used such a device of one of their collectives (reported or inferred actor)'),
  userShare: estimate('their share of the population'),
  sessions: estimate('the sessions they used it for'),
  durationS: estimate('how long, in seconds'),
});
export type WeightedSharedUsage = z.output<typeof weightedSharedUsageSchema>;
