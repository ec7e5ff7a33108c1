import {
  assignmentCreateSchema,
  assignmentSchema,
  deviceCreateSchema,
  deviceCredentialsSchema,
  deviceSchema,
  idSchema,
  instantSchema,
  membershipCreateSchema,
  problemSchema,
  membershipSchema,
  subjectCreateSchema,
  subjectKindSchema,
  subjectSchema,
  typeNameSchema,
} from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { subjectAsOf } from '../../registry/as-of.js';
import type { RegistryStore } from '../../registry/registry-store.js';
import { notFound } from '../errors.js';
import { pageOf, pageQuerySchema } from '../pagination.js';

const idParams = z.object({ id: idSchema });
const errors = { 400: problemSchema, 404: problemSchema, 409: problemSchema };

/** Created (201) or already there, identical (200): creating with a client-chosen id is safe to retry. */
function created<T extends z.ZodType>(schema: T) {
  return { 200: schema, 201: schema, ...errors };
}

/** `/subjects`, `/memberships`, `/devices`, `/devices/{id}/assignments`, `/devices/{id}/credentials`. */
export function registryRoutes(registry: RegistryStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();

    app.get('/subjects', {
      schema: { tags: ['registry'], querystring: pageQuerySchema.extend({ kind: subjectKindSchema.optional(), type: typeNameSchema.optional() }), response: { 200: pageOf(subjectSchema) } },
    }, async (request) => ({ ...request.query, items: registry.listSubjects(request.query) }));

    app.get('/subjects/:id', { schema: { tags: ['registry'], params: idParams, response: { 200: subjectSchema, ...errors } } }, async (request) => {
      return registry.getSubject(request.params.id) ?? Promise.reject(notFound('subject', request.params.id));
    });

    app.get('/subjects/:id/as-of', {
      schema: {
        tags: ['registry'],
        description: "The subject as the registry held it at t: its members (or its collectives) and its devices.",
        params: idParams,
        querystring: z.object({ t: instantSchema.describe('the instant (ISO 8601)') }),
        response: {
          200: z.object({
            at: instantSchema,
            subject: subjectSchema,
            memberships: z.array(membershipSchema.extend({ other: subjectSchema.describe('the member, or the collective') })),
            devices: z.array(deviceSchema.extend({ assignment: assignmentSchema })),
          }),
          ...errors,
        },
      },
    }, async (request) => subjectAsOf(registry.snapshot(), request.params.id, request.query.t) ?? Promise.reject(notFound('subject', request.params.id)));

    app.post('/subjects', { schema: { tags: ['registry'], body: subjectCreateSchema, response: created(subjectSchema) } }, async (request, reply) => {
      const { record, created: isNew } = registry.createSubject(request.body);
      return reply.status(isNew ? 201 : 200).send(record);
    });

    app.get('/memberships', {
      schema: { tags: ['registry'], querystring: pageQuerySchema.extend({ individualId: idSchema.optional(), collectiveId: idSchema.optional() }), response: { 200: pageOf(membershipSchema) } },
    }, async (request) => ({ ...request.query, items: registry.listMemberships(request.query) }));

    app.post('/memberships', { schema: { tags: ['registry'], body: membershipCreateSchema, response: created(membershipSchema) } }, async (request, reply) => {
      const { record, created: isNew } = registry.createMembership(request.body);
      return reply.status(isNew ? 201 : 200).send(record);
    });

    app.get('/devices', {
      schema: { tags: ['registry'], querystring: pageQuerySchema.extend({ type: typeNameSchema.optional() }), response: { 200: pageOf(deviceSchema) } },
    }, async (request) => ({ ...request.query, items: registry.listDevices(request.query) }));

    app.get('/devices/:id', { schema: { tags: ['registry'], params: idParams, response: { 200: deviceSchema, ...errors } } }, async (request) => {
      return registry.getDevice(request.params.id) ?? Promise.reject(notFound('device', request.params.id));
    });

    app.post('/devices', { schema: { tags: ['registry'], body: deviceCreateSchema, response: created(deviceSchema) } }, async (request, reply) => {
      const { record, created: isNew } = registry.createDevice(request.body);
      return reply.status(isNew ? 201 : 200).send(record);
    });

    app.post('/devices/:id/credentials', {
      schema: { tags: ['registry'], description: 'Issues a new MQTT secret (shown once); the previous one stops working.', params: idParams, response: { 201: deviceCredentialsSchema, ...errors } },
    }, async (request, reply) => reply.status(201).send(await registry.issueCredentials(request.params.id)));

    app.get('/devices/:id/assignments', {
      schema: { tags: ['registry'], params: idParams, querystring: pageQuerySchema, response: { 200: pageOf(assignmentSchema), ...errors } },
    }, async (request) => {
      if (!registry.getDevice(request.params.id)) throw notFound('device', request.params.id);
      return { ...request.query, items: registry.listAssignments({ deviceId: request.params.id, ...request.query }) };
    });

    app.post('/devices/:id/assignments', {
      schema: { tags: ['registry'], params: idParams, body: assignmentCreateSchema, response: created(assignmentSchema) },
    }, async (request, reply) => {
      const { record, created: isNew } = registry.createAssignment({ ...request.body, deviceId: request.params.id });
      return reply.status(isNew ? 201 : 200).send(record);
    });
  };
}
