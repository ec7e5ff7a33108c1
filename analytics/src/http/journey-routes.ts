import { idSchema, instantSchema, servedJourneySchema, statusQuerySchema } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServedResults } from '../served-results.js';

const rangeQuery = z.object({
  from: instantSchema.describe('journeys starting at or after (ISO 8601)'),
  to: instantSchema.describe('journeys starting before (ISO 8601)'),
  status: statusQuerySchema,
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});
const journeyList = z.object({ items: z.array(servedJourneySchema) });

/** `GET /subjects/{id}/journeys`: the journeys of a subject (individual or collective), closed, open or both. */
export function journeyRoutes(served: ServedResults): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/subjects/:id/journeys',
      {
        config: { access: { subjectParam: 'id' } },
        schema: { tags: ['analytics'], params: z.object({ id: idSchema }), querystring: rangeQuery, response: { 200: journeyList } },
      },
      async (request) => ({ items: served.journeysOfSubject(request.params.id, request.query) }),
    );
  };
}
