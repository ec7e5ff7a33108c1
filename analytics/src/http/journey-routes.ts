import { idSchema, instantSchema, journeySchema } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { JourneyStore } from '../journeys/journey-store.js';

const rangeQuery = z.object({
  from: instantSchema.describe('journeys starting at or after (ISO 8601)'),
  to: instantSchema.describe('journeys starting before (ISO 8601)'),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});
const journeyList = z.object({ items: z.array(journeySchema) });

/** `GET /subjects/{id}/journeys`: the closed journeys of a subject (individual or collective). */
export function journeyRoutes(store: JourneyStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/subjects/:id/journeys',
      {
        config: { access: { subjectParam: 'id' } },
        schema: { tags: ['analytics'], params: z.object({ id: idSchema }), querystring: rangeQuery, response: { 200: journeyList } },
      },
      async (request) => ({ items: store.listForSubject(request.params.id, request.query.from, request.query.to, request.query.limit) }),
    );
  };
}
