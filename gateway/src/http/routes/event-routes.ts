import { attributedCollectives, idSchema, instantSchema, subjectKindSchema, type RegistryAsOf } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EventLog } from '../../log/event-log.js';

const storedEventSchema = z.object({
  offset: z.number().int().describe('its place in the durable log'),
  deviceId: z.string().describe('the device that sent it'),
  seq: z.number().int().describe("the device's sequence number of the message"),
  channel: z.enum(['telemetry', 'events']).describe('the topic it came on'),
  ts: instantSchema.describe('its device time'),
  deviceTs: instantSchema.nullable().describe('what the device sent, when its clock was wrong and ts is the receive time'),
  receivedAt: instantSchema.describe('when Parcours received it'),
  deviceType: z.string().describe("the device's type"),
  subjectId: z.string().nullable().describe('the subject the device was assigned to at its time; null: none'),
  subjectKind: subjectKindSchema.nullable().describe("that subject's kind"),
  subjectType: z.string().nullable().describe("that subject's type"),
  actor: z.string().nullable().describe('the individual it names as actor, when that held at its time'),
  collectives: z
    .array(z.string())
    .describe(
      'the collectives it was attributed to as of its time: the collective owning its device, and those its person (the actor, or the individual owning the device) belonged to then',
    ),
  actorRejected: z.boolean().describe('the actor it named did not hold at its time (neither the owner nor a member then): kept as a hint only'),
  actorHint: z.string().nullable().describe('the actor it named, as sent'),
  type: z.string().nullable().describe("an event's type (usage.start, door.opened, …); null for telemetry"),
  metrics: z
    .record(z.string(), z.union([z.number(), z.boolean()]))
    .nullable()
    .describe("telemetry's metrics; null for an event"),
  attrs: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .nullable()
    .describe("an event's attributes; null for telemetry"),
});

/** `GET /subjects/{id}/events?from&to`: the stored, attributed messages of a subject (its devices', and those naming it as actor) by device time. */
export function eventRoutes(log: EventLog, registry: Pick<RegistryAsOf, 'collectivesAt'>): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/subjects/:id/events',
      {
        config: { access: 'read' },
        schema: {
          tags: ['events'],
          summary: "A subject's stored messages",
          description: "The accepted messages attributed to the subject (its devices', and those naming it as actor), by device time in [from, to).",
          params: z.object({ id: idSchema.describe('the subject') }),
          querystring: z.object({
            from: instantSchema.describe('messages at or after this device time (ISO 8601)'),
            to: instantSchema.describe('messages before this device time (ISO 8601)'),
            limit: z.coerce.number().int().min(1).max(10_000).default(1000).describe('at most this many messages, the earliest first'),
          }),
          response: { 200: z.object({ items: z.array(storedEventSchema).describe('the messages, by device time') }) },
        },
      },
      async (request) => ({
        items: log
          .listForSubject(request.params.id, request.query.from, request.query.to, request.query.limit)
          .map((record) => ({ ...record, collectives: attributedCollectives(record, record.ts, (id, t) => registry.collectivesAt(id, t)) })),
      }),
    );
  };
}
