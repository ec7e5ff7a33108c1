import {
  assignmentCreateSchema,
  assignmentPatchSchema,
  assignmentSchema,
  deviceCreateSchema,
  deviceCredentialsSchema,
  devicePatchSchema,
  devicePresenceSchema,
  deviceSchema,
  idSchema,
  typeNameSchema,
} from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PresenceStore } from '../../pipeline/presence-store.js';
import type { RegistryStore } from '../../registry/registry-store.js';
import { notFound } from '../errors.js';
import { pageOf, pageQuerySchema } from '../pagination.js';
import { created, deleted, errors, idParams } from './registry-schemas.js';

const assignmentParams = z.object({ id: idSchema.describe('the device'), assignmentId: idSchema.describe('the assignment') });

/** `/devices`, their MQTT credentials, and their assignments to subjects over time. */
export function deviceRoutes(registry: RegistryStore, presence: PresenceStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['devices'];
    const assignmentOf = (deviceId: string, assignmentId: string) => {
      const assignment = registry.getAssignment(assignmentId);
      if (!assignment || assignment.deviceId !== deviceId) throw notFound('assignment', `${deviceId}/${assignmentId}`);
      return assignment;
    };

    app.get(
      '/devices',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: 'List devices',
          querystring: pageQuerySchema.extend({ type: typeNameSchema.optional().describe('only devices of this type') }),
          response: { 200: pageOf(deviceSchema) },
        },
      },
      async (request) => ({ ...request.query, items: registry.listDevices(request.query) }),
    );

    app.get(
      '/devices/:id',
      { config: { access: 'read' }, schema: { tags, summary: 'Get a device', params: idParams, response: { 200: deviceSchema, ...errors } } },
      async (request) => {
        return registry.getDevice(request.params.id) ?? Promise.reject(notFound('device', request.params.id));
      },
    );

    app.get(
      '/devices/:id/status',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: "A device's presence",
          description: 'Online or offline (from the retained status and the last will), since when, and the latest changes, newest first.',
          params: idParams,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50).describe('at most this many changes') }),
          response: { 200: devicePresenceSchema, ...errors },
        },
      },
      async (request) => {
        if (!registry.getDevice(request.params.id)) throw notFound('device', request.params.id);
        return presence.get(request.params.id, request.query.limit);
      },
    );

    app.post(
      '/devices',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Register a device',
          description: 'A new device (201) comes with its MQTT credentials, shown this once; an identical existing one (200) without.',
          body: deviceCreateSchema,
          response: created(deviceSchema.extend({ credentials: deviceCredentialsSchema.optional().describe('its MQTT credentials, for a new device only') })),
        },
      },
      async (request, reply) => {
        const { record, created: isNew } = registry.createDevice(request.body);
        if (!isNew) return reply.status(200).send(record);
        return reply.status(201).send({ ...record, credentials: await registry.issueCredentials(record.id) });
      },
    );

    app.patch(
      '/devices/:id',
      {
        config: { access: 'write' },
        schema: { tags, summary: 'Change a device', params: idParams, body: devicePatchSchema, response: { 200: deviceSchema, ...errors } },
      },
      async (request) => registry.updateDevice(request.params.id, request.body),
    );

    app.delete(
      '/devices/:id',
      {
        config: { access: 'write' },
        schema: { tags, summary: 'Delete a device', description: 'Refused (409) while the device has assignments.', params: idParams, response: deleted },
      },
      async (request, reply) => {
        registry.deleteDevice(request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/devices/:id/credentials',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: "Renew a device's MQTT secret",
          description: 'Issues a new MQTT secret (shown once); the previous one stops working.',
          params: idParams,
          response: { 201: deviceCredentialsSchema, ...errors },
        },
      },
      async (request, reply) => reply.status(201).send(await registry.issueCredentials(request.params.id)),
    );

    app.get(
      '/devices/:id/assignments',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: "List a device's assignments",
          params: idParams,
          querystring: pageQuerySchema,
          response: { 200: pageOf(assignmentSchema), ...errors },
        },
      },
      async (request) => {
        if (!registry.getDevice(request.params.id)) throw notFound('device', request.params.id);
        return { ...request.query, items: registry.listAssignments({ deviceId: request.params.id, ...request.query }) };
      },
    );

    app.get(
      '/devices/:id/assignments/:assignmentId',
      { config: { access: 'read' }, schema: { tags, summary: 'Get an assignment', params: assignmentParams, response: { 200: assignmentSchema, ...errors } } },
      async (request) => assignmentOf(request.params.id, request.params.assignmentId),
    );

    app.post(
      '/devices/:id/assignments',
      {
        config: { access: 'write' },
        schema: { tags, summary: 'Assign a device to a subject', params: idParams, body: assignmentCreateSchema, response: created(assignmentSchema) },
      },
      async (request, reply) => {
        const { record, created: isNew } = registry.createAssignment({ ...request.body, deviceId: request.params.id });
        return reply.status(isNew ? 201 : 200).send(record);
      },
    );

    app.patch(
      '/devices/:id/assignments/:assignmentId',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Change an assignment',
          description: 'Corrects the subject or the interval; the same overlap rules apply.',
          params: assignmentParams,
          body: assignmentPatchSchema,
          response: { 200: assignmentSchema, ...errors },
        },
      },
      async (request) => {
        assignmentOf(request.params.id, request.params.assignmentId);
        return registry.updateAssignment(request.params.assignmentId, request.body);
      },
    );

    app.delete(
      '/devices/:id/assignments/:assignmentId',
      { config: { access: 'write' }, schema: { tags, summary: 'Delete an assignment', params: assignmentParams, response: deleted } },
      async (request, reply) => {
        assignmentOf(request.params.id, request.params.assignmentId);
        registry.deleteAssignment(request.params.assignmentId);
        return reply.status(204).send(null);
      },
    );
  };
}
