import { idSchema, instantSchema, servedSessionSchema, statusQuerySchema } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServedResults } from '../served-results.js';

const rangeQuery = z.object({
  from: instantSchema.describe('sessions starting at or after (ISO 8601)'),
  to: instantSchema.describe('sessions starting before (ISO 8601)'),
  status: statusQuerySchema,
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});
const sessionList = z.object({ items: z.array(servedSessionSchema) });

/** `GET /subjects/{id}/sessions` (the subject's, and for a person those where they were the actor) and `GET /devices/{id}/sessions`. */
export function sessionRoutes(served: ServedResults): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/subjects/:id/sessions',
      {
        config: { access: { subjectParam: 'id' } },
        schema: { tags: ['analytics'], params: z.object({ id: idSchema }), querystring: rangeQuery, response: { 200: sessionList } },
      },
      async (request) => ({ items: served.sessionsOfSubject(request.params.id, request.query) }),
    );
    app.get(
      '/devices/:id/sessions',
      {
        config: { access: 'read' },
        schema: { tags: ['analytics'], params: z.object({ id: idSchema }), querystring: rangeQuery, response: { 200: sessionList } },
      },
      async (request) => ({ items: served.sessionsOfDevice(request.params.id, request.query) }),
    );
  };
}
