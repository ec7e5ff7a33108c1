import { idSchema, membershipCreateSchema, membershipPatchSchema, membershipSchema } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { RegistryStore } from '../../registry/registry-store.js';
import { notFound } from '../errors.js';
import { pageOf, pageQuerySchema } from '../pagination.js';
import { created, deleted, errors, idParams } from './registry-schemas.js';

/** `/memberships`: an individual in a collective over `[validFrom, validTo)`. */
export function membershipRoutes(registry: RegistryStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['memberships'];

    app.get(
      '/memberships',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: 'List memberships',
          querystring: pageQuerySchema.extend({
            individualId: idSchema.optional().describe('only those of this individual'),
            collectiveId: idSchema.optional().describe('only those in this collective'),
          }),
          response: { 200: pageOf(membershipSchema) },
        },
      },
      async (request) => ({ ...request.query, items: registry.listMemberships(request.query) }),
    );

    app.get(
      '/memberships/:id',
      { config: { access: 'read' }, schema: { tags, summary: 'Get a membership', params: idParams, response: { 200: membershipSchema, ...errors } } },
      async (request) => {
        return registry.getMembership(request.params.id) ?? Promise.reject(notFound('membership', request.params.id));
      },
    );

    app.post(
      '/memberships',
      { config: { access: 'write' }, schema: { tags, summary: 'Create a membership', body: membershipCreateSchema, response: created(membershipSchema) } },
      async (request, reply) => {
        const { record, created: isNew } = registry.createMembership(request.body);
        return reply.status(isNew ? 201 : 200).send(record);
      },
    );

    app.patch(
      '/memberships/:id',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Change a membership',
          description: 'Corrects the role or the interval; the same overlap rules apply.',
          params: idParams,
          body: membershipPatchSchema,
          response: { 200: membershipSchema, ...errors },
        },
      },
      async (request) => registry.updateMembership(request.params.id, request.body),
    );

    app.delete(
      '/memberships/:id',
      { config: { access: 'write' }, schema: { tags, summary: 'Delete a membership', params: idParams, response: deleted } },
      async (request, reply) => {
        registry.deleteMembership(request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
