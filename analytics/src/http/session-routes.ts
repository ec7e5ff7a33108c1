import { idSchema, instantSchema, usageSessionSchema } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SessionStore } from '../sessions/session-store.js';

const rangeQuery = z.object({
  from: instantSchema.describe('sessions starting at or after (ISO 8601)'),
  to: instantSchema.describe('sessions starting before (ISO 8601)'),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});
const sessionList = z.object({ items: z.array(usageSessionSchema) });

/** `GET /subjects/{id}/sessions` (the subject's, and for a person those where they were the actor) and `GET /devices/{id}/sessions`. */
export function sessionRoutes(store: SessionStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/subjects/:id/sessions',
      {
        config: { access: { subjectParam: 'id' } },
        schema: { tags: ['analytics'], params: z.object({ id: idSchema }), querystring: rangeQuery, response: { 200: sessionList } },
      },
      async (request) => ({ items: store.listForSubject(request.params.id, request.query.from, request.query.to, request.query.limit) }),
    );
    app.get(
      '/devices/:id/sessions',
      {
        config: { access: 'read' },
        schema: { tags: ['analytics'], params: z.object({ id: idSchema }), querystring: rangeQuery, response: { 200: sessionList } },
      },
      async (request) => ({ items: store.listForDevice(request.params.id, request.query.from, request.query.to, request.query.limit) }),
    );
  };
}
