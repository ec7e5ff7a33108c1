import { attributedCollectives, idSchema, instantSchema, subjectKindSchema, type RegistryAsOf } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EventLog } from '../../log/event-log.js';

const storedEventSchema = z.object({
  offset: z.number().int(),
  deviceId: z.string(),
  seq: z.number().int(),
  channel: z.enum(['telemetry', 'events']),
  ts: instantSchema,
  deviceTs: instantSchema.nullable().describe('what the device sent, when its clock was wrong and ts is the receive time'),
  receivedAt: instantSchema,
  deviceType: z.string(),
  subjectId: z.string().nullable(),
  subjectKind: subjectKindSchema.nullable(),
  subjectType: z.string().nullable(),
  actor: z.string().nullable(),
  collectives: z
    .array(z.string())
    .describe(
      'the collectives it was attributed to as of its time: the collective owning its device, and those its person (the actor, or the individual owning the device) belonged to then',
    ),
  actorRejected: z.boolean(),
  actorHint: z.string().nullable(),
  type: z.string().nullable(),
  metrics: z.record(z.string(), z.union([z.number(), z.boolean()])).nullable(),
  attrs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).nullable(),
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
          params: z.object({ id: idSchema }),
          querystring: z.object({ from: instantSchema, to: instantSchema, limit: z.coerce.number().int().min(1).max(10_000).default(1000) }),
          response: { 200: z.object({ items: z.array(storedEventSchema) }) },
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
