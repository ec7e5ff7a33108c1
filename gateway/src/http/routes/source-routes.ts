import { sourcePatchSchema, sourceSchema, sourceViewSchema } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ProfileStore } from '../../profiles/profile-store.js';
import { notFound } from '../errors.js';
import { created, errors, idParams } from './registry-schemas.js';

/** `/sources`: the systems that know people (CRM, loyalty, web analytics), their trust and their freshness. */
export function sourceRoutes(profiles: ProfileStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['profiles'];

    app.get(
      '/sources',
      {
        config: { access: 'read' },
        schema: { tags, summary: 'List sources', response: { 200: z.object({ items: z.array(sourceViewSchema).describe('every source, by id') }) } },
      },
      async () => ({ items: profiles.listSources() }),
    );

    app.post(
      '/sources',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Create a source',
          description: 'Idempotent by id: the same source again answers 200.',
          body: sourceSchema,
          response: created(sourceViewSchema),
        },
      },
      async (request, reply) => {
        const { record, created: isNew } = profiles.createSource(request.body);
        return reply.status(isNew ? 201 : 200).send(record);
      },
    );

    app.get(
      '/sources/:id',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: 'Get a source',
          description: 'With its latest import and whether it is overdue.',
          params: idParams,
          response: { 200: sourceViewSchema, ...errors },
        },
      },
      async (request) => profiles.getSource(request.params.id) ?? Promise.reject(notFound('source', request.params.id)),
    );

    app.patch(
      '/sources/:id',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Change a source',
          description: 'Its name, priority or expected freshness; a new priority decides which values win from then on, at every date.',
          params: idParams,
          body: sourcePatchSchema,
          response: { 200: sourceViewSchema, ...errors },
        },
      },
      async (request) => profiles.updateSource(request.params.id, request.body),
    );
  };
}
