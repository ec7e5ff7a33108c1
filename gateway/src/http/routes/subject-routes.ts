import {
  instantSchema,
  membershipSchema,
  subjectCreateSchema,
  subjectKindSchema,
  subjectPatchSchema,
  subjectSchema,
  typeNameSchema,
  assignmentSchema,
  deviceSchema,
} from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { subjectAsOf } from '../../registry/as-of.js';
import type { RegistryStore } from '../../registry/registry-store.js';
import { notFound } from '../errors.js';
import { pageOf, pageQuerySchema } from '../pagination.js';
import { created, deleted, errors, idParams } from './registry-schemas.js';

/** `/subjects`: individuals and collectives, and a subject as of any instant. */
export function subjectRoutes(registry: RegistryStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['subjects'];

    app.get(
      '/subjects',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: 'List subjects',
          querystring: pageQuerySchema.extend({
            kind: subjectKindSchema.optional().describe('only subjects of this kind'),
            type: typeNameSchema.optional().describe('only subjects of this type'),
          }),
          response: { 200: pageOf(subjectSchema) },
        },
      },
      async (request) => ({ ...request.query, items: registry.listSubjects(request.query) }),
    );

    app.get(
      '/subjects/:id',
      { config: { access: { subjectParam: 'id' } }, schema: { tags, summary: 'Get a subject', params: idParams, response: { 200: subjectSchema, ...errors } } },
      async (request) => {
        return registry.getSubject(request.params.id) ?? Promise.reject(notFound('subject', request.params.id));
      },
    );

    app.post(
      '/subjects',
      { config: { access: 'write' }, schema: { tags, summary: 'Create a subject', body: subjectCreateSchema, response: created(subjectSchema) } },
      async (request, reply) => {
        const { record, created: isNew } = registry.createSubject(request.body);
        return reply.status(isNew ? 201 : 200).send(record);
      },
    );

    app.patch(
      '/subjects/:id',
      {
        config: { access: 'write' },
        schema: { tags, summary: 'Change a subject', params: idParams, body: subjectPatchSchema, response: { 200: subjectSchema, ...errors } },
      },
      async (request) => registry.updateSubject(request.params.id, request.body),
    );

    app.delete(
      '/subjects/:id',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Delete a subject',
          description: 'Refused (409) while memberships or assignments name the subject.',
          params: idParams,
          response: deleted,
        },
      },
      async (request, reply) => {
        registry.deleteSubject(request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/subjects/:id/as-of',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: 'A subject as of an instant',
          description: 'The subject as the registry held it at t: its members (or its collectives) and its devices.',
          params: idParams,
          querystring: z.object({ t: instantSchema.describe('the instant (ISO 8601)') }),
          response: {
            200: z.object({
              at: instantSchema.describe('the instant asked for'),
              subject: subjectSchema.describe('the subject'),
              memberships: z
                .array(membershipSchema.extend({ other: subjectSchema.describe('the member, or the collective') }))
                .describe('its memberships valid at t: of its members for a collective, in collectives for an individual'),
              devices: z
                .array(deviceSchema.extend({ assignment: assignmentSchema.describe('the assignment valid at t') }))
                .describe('the devices assigned to it at t'),
            }),
            ...errors,
          },
        },
      },
      async (request) => subjectAsOf(registry.snapshot(), request.params.id, request.query.t) ?? Promise.reject(notFound('subject', request.params.id)),
    );
  };
}
