import { activityPeriods, activitySchema, idSchema, instantSchema, sharedUsageSchema, transitionSchema, typeNameSchema } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { aggregateActivity, periodStart } from '../aggregates/activity.js';
import type { AggregateStore } from '../aggregates/aggregate-store.js';
import { dayMs, weekMs } from '../calendar.js';
import { aggregateTransitions } from '../aggregates/transitions.js';
import { aggregateSharedUsage } from '../aggregates/usage-shares.js';
import { checkInterval } from './intervals.js';

const range = (what: string) => ({
  from: instantSchema.describe(`${what} starting at or after (ISO 8601)`),
  to: instantSchema.describe(`${what} starting before (ISO 8601)`),
});

/**
 * The aggregates (transitions, activity, shared usage), computed on request from the store (the same functions the aggregate job
 * writes to InfluxDB): `GET /transitions`, `GET /activity`, `GET /shared-usage`.
 */
export function aggregateRoutes(store: AggregateStore, individualType: (id: string) => string | null): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/transitions',
      {
        config: { access: 'read' },
        schema: {
          tags: ['analytics'],
          summary: 'Transitions between the steps of journeys',
          description: 'Consecutive steps of the closed journeys starting in [from, to): count and median gap, most frequent first.',
          querystring: z.object({ ...range('journeys'), subjectType: typeNameSchema.optional().describe('only the journeys of subjects of this type') }),
          response: { 200: z.object({ items: z.array(transitionSchema).describe('the transitions, most frequent first') }) },
        },
      },
      async (request) => {
        const { from, to, subjectType } = request.query;
        checkInterval(from, to);
        return { items: aggregateTransitions(store.journeySteps(from, to, subjectType)) };
      },
    );

    app.get(
      '/activity',
      {
        config: { access: 'read' },
        schema: {
          tags: ['analytics'],
          summary: 'Activity by day or week',
          description: 'Active subjects, active devices and sessions of each UTC day or ISO week starting in [from, to), each counted over its whole length.',
          querystring: z.object({
            period: z.enum(activityPeriods).default('day').describe('UTC days, or ISO weeks'),
            ...range('days or weeks'),
            subjectType: typeNameSchema.optional().describe('only subjects of this type'),
            deviceType: typeNameSchema.optional().describe('only devices of this type'),
          }),
          response: { 200: z.object({ items: z.array(activitySchema).describe('per period, subject type and device type') }) },
        },
      },
      async (request) => {
        const { period, from, to, subjectType, deviceType } = request.query;
        checkInterval(from, to);
        // The periods starting in [from, to): from the first period start at or after `from`.
        const length = period === 'day' ? dayMs : weekMs;
        const first = (ms: number) => (periodStart[period](ms) === ms ? ms : periodStart[period](ms) + length);
        const items = aggregateActivity(store.activitySessions(first(from), first(to), deviceType), period, individualType);
        return { items: subjectType === undefined ? items : items.filter((a) => a.subjectType === subjectType) };
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
            "For the devices of collectives, with sessions starting in [from, to): each member's share of the use, reported and inferred apart, and the unattributed share.",
          querystring: z.object({
            ...range('sessions'),
            device: idSchema.optional().describe('only this device'),
            subject: idSchema.optional().describe('only the devices of this collective'),
          }),
          response: { 200: z.object({ items: z.array(sharedUsageSchema).describe('per device') }) },
        },
      },
      async (request) => {
        const { from, to, device, subject } = request.query;
        checkInterval(from, to);
        return { items: aggregateSharedUsage(store.sharedSessions(from, to, { device, subject })) };
      },
    );
  };
}
