import {
  errorCodes,
  ParcoursError,
  retentionQuerySchema,
  retentionResultSchema,
  weightedRetentionSchema,
  weightingUsedSchema,
  weightsQuerySchema,
} from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { weekNumber, weekStart } from '../calendar.js';
import { computeRetention, type SubjectActivity } from '../retention/weekly-retention.js';
import type { SessionStore } from '../sessions/session-store.js';
import { requireIndividuals, WeightedFigures, type WeightedSamples } from '../weighted/weighted-figures.js';
import { weightedRetention } from '../weighted/weighted-retention.js';

/** Most weeks of cohorts in one request. */
const maxWeeks = 520;

const weightedRetentionResultSchema = retentionResultSchema.extend({
  weighting: weightingUsedSchema.optional().describe('with `weights`: which weights the `weighted` figures used'),
  weighted: weightedRetentionSchema.optional().describe('with `weights`: retention and lifecycle of the population the scheme’s sample stands for'),
});

/**
 * `GET /retention?from&to&kind&subjectType&weeks`: weekly cohorts of first use in the range's weeks and
 * each week's lifecycle, from one grouped query over the stored sessions; with `?weights=SCHEME`, also for the
 * population (individuals).
 */
export function retentionRoutes(store: SessionStore, subjectType: (id: string) => string | null, samples: WeightedSamples): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/retention',
      {
        config: { access: 'read' },
        schema: {
          tags: ['analytics'],
          summary: 'Weekly retention and lifecycle',
          description:
            "Weekly cohorts of the subjects whose first counted session ever started in a week of the range, each followed `weeks` weeks; and each week's lifecycle (new, returning, resurrecting, dormant). With `weights` (individuals), also `weighted`: the same for the population, each figure with its uncertainty.",
          querystring: retentionQuerySchema.extend(weightsQuerySchema.shape),
          response: { 200: weightedRetentionResultSchema },
        },
      },
      async (request) => {
        const { from, to, kind, weeks, weights, weightsVersion } = request.query;
        if (weights !== undefined) requireIndividuals(kind, 'this retention (ask kind=individual)');
        if (to <= from) throw new ParcoursError(errorCodes.badInterval, 'to must be after from');
        const firstWeek = weekNumber(from);
        const lastWeek = weekNumber(to - 1);
        if (lastWeek - firstWeek + 1 > maxWeeks) throw new ParcoursError(errorCodes.badInterval, `a retention covers at most ${maxWeeks} weeks`);
        // The week before the range tells returning from resurrecting in its first week.
        const bySubject = new Map<string, { first: number; active: Set<number> }>();
        for (const row of store.activeWeeks(kind, firstWeek - 1, lastWeek + weeks)) {
          const subject = bySubject.get(row.subjectId) ?? bySubject.set(row.subjectId, { first: row.first, active: new Set() }).get(row.subjectId)!;
          subject.active.add(row.week);
        }
        const wanted = request.query.subjectType;
        const subjects: SubjectActivity[] = [...bySubject].filter(([id]) => wanted === undefined || subjectType(id) === wanted).map(([, activity]) => activity);
        const range = { firstWeek, lastWeek, weeks };
        const result = {
          from: weekStart(firstWeek),
          to: weekStart(lastWeek + 1),
          kind,
          subjectType: wanted ?? null,
          weeks,
          ...computeRetention(subjects, range),
        };
        if (weights === undefined) return result;
        const figures = new WeightedFigures(samples(weights, weightsVersion));
        return { ...result, weighting: figures.used(), weighted: weightedRetention(bySubject, range, figures) };
      },
    );
  };
}
