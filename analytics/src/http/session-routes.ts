import { idSchema, servedSessionSchema } from '@parcours/contracts';
import { notFound } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServedResults } from '../served-results.js';
import { resultRange, resultRangeQuery } from './result-range.js';

const sessionList = z.object({ items: z.array(servedSessionSchema).describe('the sessions, by start time') });

/** Whether the registry knows a subject or a device: an unknown one is 404, not an empty list. */
export interface KnownIds {
  subject: (id: string) => boolean;
  device: (id: string) => boolean;
}

/** `GET /subjects/{id}/sessions` (the subject's, and for a person those where they were the actor) and `GET /devices/{id}/sessions`. */
export function sessionRoutes(served: ServedResults, known: KnownIds): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/subjects/:id/sessions',
      {
        config: { access: { subjectParam: 'id' } },
        schema: {
          tags: ['analytics'],
          summary: "A subject's usage sessions",
          description: 'The sessions of its devices, and for a person those where they were the reported actor, starting in [from, to).',
          params: z.object({ id: idSchema.describe('the subject') }),
          querystring: resultRangeQuery('sessions'),
          response: { 200: sessionList },
        },
      },
      async (request) => {
        const range = resultRange(request.query, Date.now());
        if (!known.subject(request.params.id)) throw notFound('subject', request.params.id);
        return { items: served.sessionsOfSubject(request.params.id, range) };
      },
    );
    app.get(
      '/devices/:id/sessions',
      {
        config: { access: 'read' },
        schema: {
          tags: ['analytics'],
          summary: "A device's usage sessions",
          description: 'The sessions of the device starting in [from, to).',
          params: z.object({ id: idSchema.describe('the device') }),
          querystring: resultRangeQuery('sessions'),
          response: { 200: sessionList },
        },
      },
      async (request) => {
        const range = resultRange(request.query, Date.now());
        if (!known.device(request.params.id)) throw notFound('device', request.params.id);
        return { items: served.sessionsOfDevice(request.params.id, range) };
      },
    );
  };
}
