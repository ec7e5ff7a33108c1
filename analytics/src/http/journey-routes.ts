import { idSchema, servedJourneySchema } from '@parcours/contracts';
import { notFound } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServedResults } from '../served-results.js';
import { resultRange, resultRangeQuery } from './result-range.js';

const journeyList = z.object({ items: z.array(servedJourneySchema).describe('the journeys, by start time') });

/** `GET /subjects/{id}/journeys`: the journeys of a subject (individual or collective), closed, open or both. */
export function journeyRoutes(served: ServedResults, subjectKnown: (id: string) => boolean): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/subjects/:id/journeys',
      {
        config: { access: { subjectParam: 'id' } },
        schema: {
          tags: ['analytics'],
          summary: "A subject's journeys",
          description: "The subject's sessions across devices in start order, up to an inactivity gap, for journeys starting in [from, to).",
          params: z.object({ id: idSchema.describe('the subject') }),
          querystring: resultRangeQuery('journeys'),
          response: { 200: journeyList },
        },
      },
      async (request) => {
        const range = resultRange(request.query, Date.now());
        if (!subjectKnown(request.params.id)) throw notFound('subject', request.params.id);
        return { items: served.journeysOfSubject(request.params.id, range) };
      },
    );
  };
}
