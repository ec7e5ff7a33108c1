import { idSchema, instantSchema, quarantineReasons } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { QuarantineFilter, QuarantineStore } from '../../quarantine/quarantine-store.js';
import { pageOf, pageQuerySchema } from '../pagination.js';

const quarantineEntrySchema = z.object({
  id: z.number().int(),
  receivedAt: instantSchema,
  topic: z.string(),
  deviceId: z.string().nullable(),
  clientId: z.string().nullable(),
  username: z.string().nullable().describe('who sent it: the authenticated MQTT user name (a device id), when there was one'),
  reason: z.enum(quarantineReasons),
  detail: z.string(),
  payload: z.string().describe('the raw payload, base64'),
});

type Replay = (filter: QuarantineFilter, limit: number) => Promise<{ replayed: number; stored: number; duplicate: number; quarantined: number }>;

/** `GET /quarantine`: rejected messages with their reason, newest first; `POST /quarantine/replay`: try them again. */
export function quarantineRoutes(quarantine: QuarantineStore, replay: Replay): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/quarantine',
      {
        config: { access: 'read' },
        schema: {
          tags: ['quarantine'],
          querystring: pageQuerySchema.extend({ reason: z.enum(quarantineReasons).optional(), deviceId: idSchema.optional() }),
          response: { 200: pageOf(quarantineEntrySchema).extend({ countsByReason: z.record(z.string(), z.number().int()) }) },
        },
      },
      async (request) => ({
        ...request.query,
        items: quarantine.list(request.query).map((entry) => ({ ...entry, payload: entry.payload.toString('base64') })),
        countsByReason: quarantine.countByReason(),
      }),
    );
    app.post(
      '/quarantine/replay',
      {
        config: { access: 'write' },
        schema: {
          tags: ['quarantine'],
          description:
            'Runs the matching quarantined messages (oldest first) through the pipeline again, once their cause is fixed; those that still fail are quarantined anew.',
          body: z.strictObject({
            ids: z.array(z.number().int()).max(10_000).optional(),
            reason: z.enum(quarantineReasons).optional(),
            deviceId: idSchema.optional(),
            limit: z.number().int().min(1).max(100_000).default(10_000),
          }),
          response: { 200: z.object({ replayed: z.number().int(), stored: z.number().int(), duplicate: z.number().int(), quarantined: z.number().int() }) },
        },
      },
      async (request) => replay(request.body, request.body.limit),
    );
  };
}
