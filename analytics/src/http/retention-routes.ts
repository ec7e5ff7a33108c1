import { errorCodes, ParcoursError, retentionQuerySchema, retentionResultSchema } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { weekNumber, weekStart } from '../calendar.js';
import { computeRetention, type SubjectActivity } from '../retention/weekly-retention.js';
import type { SessionStore } from '../sessions/session-store.js';

/** Most weeks of cohorts in one request. */
const maxWeeks = 520;

/**
 * `GET /retention?from&to&kind&subjectType&weeks`: weekly cohorts of first use in the range's weeks and
 * each week's lifecycle, from one grouped query over the stored sessions.
 */
export function retentionRoutes(store: SessionStore, subjectType: (id: string) => string | null): FastifyPluginAsync {
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
            "Weekly cohorts of the subjects whose first counted session ever started in a week of the range, each followed `weeks` weeks; and each week's lifecycle (new, returning, resurrecting, dormant).",
          querystring: retentionQuerySchema,
          response: { 200: retentionResultSchema },
        },
      },
      async (request) => {
        const { from, to, kind, weeks } = request.query;
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
        return {
          from: weekStart(firstWeek),
          to: weekStart(lastWeek + 1),
          kind,
          subjectType: wanted ?? null,
          weeks,
          ...computeRetention(subjects, { firstWeek, lastWeek, weeks }),
        };
      },
    );
  };
}
