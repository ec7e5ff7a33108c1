import {
  activityPeriods,
  activitySchema,
  idSchema,
  instantSchema,
  sharedUsageSchema,
  transitionSchema,
  typeNameSchema,
  weightedActivitySchema,
  weightedSharedUsageSchema,
  weightedTransitionSchema,
  weightingUsedSchema,
  weightsQuerySchema,
} from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { aggregateActivity, periodStart } from '../aggregates/activity.js';
import type { AggregateStore } from '../aggregates/aggregate-store.js';
import { dayMs, weekMs } from '../calendar.js';
import { aggregateTransitions } from '../aggregates/transitions.js';
import { aggregateSharedUsage } from '../aggregates/usage-shares.js';
import { weightedActivity } from '../weighted/weighted-activity.js';
import { WeightedFigures, type WeightedSamples } from '../weighted/weighted-figures.js';
import { weightedSharedUsage } from '../weighted/weighted-shared-usage.js';
import { weightedTransitions } from '../weighted/weighted-transitions.js';
import { checkInterval } from './intervals.js';

const range = (what: string) => ({
  from: instantSchema.describe(`${what} starting at or after (ISO 8601)`),
  to: instantSchema.describe(`${what} starting before (ISO 8601)`),
});

const weighting = weightingUsedSchema.optional().describe('with `weights`: which weights the `weighted` figures used');
const weightedNote = ' With `weights`, also `weighted`: the figures for the population the scheme’s sample stands for, each with its uncertainty.';

/**
 * The aggregates (transitions, activity, shared usage), computed on request from the store (the same functions the aggregate job
 * writes to InfluxDB): `GET /transitions`, `GET /activity`, `GET /shared-usage`; with `?weights=SCHEME`, also weighted.
 */
export function aggregateRoutes(store: AggregateStore, individualType: (id: string) => string | null, samples: WeightedSamples): FastifyPluginAsync {
  const figuresOf = (query: { weights?: string | undefined; weightsVersion?: number | undefined }) =>
    query.weights === undefined ? null : new WeightedFigures(samples(query.weights, query.weightsVersion));
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/transitions',
      {
        config: { access: 'read' },
        schema: {
          tags: ['analytics'],
          summary: 'Transitions between the steps of journeys',
          description: `Consecutive steps of the closed journeys starting in [from, to): count and median gap, most frequent first.${weightedNote}`,
          querystring: z.object({
            ...range('journeys'),
            subjectType: typeNameSchema.optional().describe('only the journeys of subjects of this type'),
            ...weightsQuerySchema.shape,
          }),
          response: {
            200: z.object({
              items: z.array(transitionSchema).describe('the transitions, most frequent first'),
              weighting,
              weighted: z.array(weightedTransitionSchema).optional().describe("with `weights`: the transitions of people's journeys, for the population"),
            }),
          },
        },
      },
      async (request) => {
        const { from, to, subjectType } = request.query;
        checkInterval(from, to);
        const journeys = store.journeySteps(from, to, subjectType);
        const figures = figuresOf(request.query);
        const items = aggregateTransitions(journeys);
        return figures ? { items, weighting: figures.used(), weighted: weightedTransitions(journeys, figures) } : { items };
      },
    );

    app.get(
      '/activity',
      {
        config: { access: 'read' },
        schema: {
          tags: ['analytics'],
          summary: 'Activity by day or week',
          description: `Active subjects, active devices and sessions of each UTC day or ISO week starting in [from, to), each counted over its whole length.${weightedNote}`,
          querystring: z.object({
            period: z.enum(activityPeriods).default('day').describe('UTC days, or ISO weeks'),
            ...range('days or weeks'),
            subjectType: typeNameSchema.optional().describe('only subjects of this type'),
            deviceType: typeNameSchema.optional().describe('only devices of this type'),
            ...weightsQuerySchema.shape,
          }),
          response: {
            200: z.object({
              items: z.array(activitySchema).describe('per period, subject type and device type'),
              weighting,
              weighted: z.array(weightedActivitySchema).optional().describe('with `weights`: per period and device type (and any device), for the population'),
            }),
          },
        },
      },
      async (request) => {
        const { period, from, to, subjectType, deviceType } = request.query;
        checkInterval(from, to);
        // The periods starting in [from, to): from the first period start at or after `from`.
        const length = period === 'day' ? dayMs : weekMs;
        const first = (ms: number) => (periodStart[period](ms) === ms ? ms : periodStart[period](ms) + length);
        const sessions = store.activitySessions(first(from), first(to), deviceType);
        const all = aggregateActivity(sessions, period, individualType);
        const items = subjectType === undefined ? all : all.filter((a) => a.subjectType === subjectType);
        const figures = figuresOf(request.query);
        if (!figures) return { items };
        const starts = Array.from({ length: Math.max(0, (first(to) - first(from)) / length) }, (_, k) => first(from) + k * length);
        return { items, weighting: figures.used(), weighted: weightedActivity(sessions, period, starts, figures, deviceType === undefined) };
      },
    );

    app.get(
      '/shared-usage',
      {
        config: { access: 'read' },
        schema: {
          tags: ['analytics'],
          summary: 'Shared use of the devices of collectives',
          description:
            "For the devices of collectives, with sessions starting in [from, to): each member's share of the use, reported and inferred apart, and the unattributed share." +
            weightedNote,
          querystring: z.object({
            ...range('sessions'),
            device: idSchema.optional().describe('only this device'),
            subject: idSchema.optional().describe('only the devices of this collective'),
            ...weightsQuerySchema.shape,
          }),
          response: {
            200: z.object({
              items: z.array(sharedUsageSchema).describe('per device'),
              weighting,
              weighted: z.array(weightedSharedUsageSchema).optional().describe("with `weights`: people's use of their collectives' devices, per device type"),
            }),
          },
        },
      },
      async (request) => {
        const { from, to, device, subject } = request.query;
        checkInterval(from, to);
        const sessions = store.sharedSessions(from, to, { device, subject });
        const figures = figuresOf(request.query);
        const items = aggregateSharedUsage(sessions);
        return figures ? { items, weighting: figures.used(), weighted: weightedSharedUsage(sessions, figures) } : { items };
      },
    );
  };
}
