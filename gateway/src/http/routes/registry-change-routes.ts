import { registryChangeSchema } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RegistryStore } from '../../registry/registry-store.js';

/** `GET /registry/changes`: the registry's history, oldest first, to page through with `after`. */
export function registryChangeRoutes(registry: RegistryStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/registry/changes',
      {
        config: { access: 'read' },
        schema: {
          tags: ['registry'],
          summary: 'Changes to the registry',
          description: 'Every change ever made to the registry, with its time and the record before and after, oldest first.',
          querystring: z.object({
            after: z.coerce.number().int().min(0).default(0).describe('the last seq already read'),
            entity: registryChangeSchema.shape.entity.optional().describe('only changes to records of this kind'),
            entityId: z.string().optional().describe('only changes to the record of this id'),
            limit: z.coerce.number().int().min(1).max(1000).default(100).describe('at most this many changes'),
          }),
          response: { 200: z.object({ items: z.array(registryChangeSchema).describe('the changes, oldest first') }) },
        },
      },
      async (request) => ({
        items: registry.changes({ afterSeq: request.query.after, entity: request.query.entity, entityId: request.query.entityId, limit: request.query.limit }),
      }),
    );
  };
}
