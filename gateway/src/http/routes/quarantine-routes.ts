import { idSchema, instantSchema, quarantineReasons } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { QuarantineStore } from '../../quarantine/quarantine-store.js';
import { pageOf, pageQuerySchema } from '../pagination.js';

const quarantineEntrySchema = z.object({
  id: z.number().int(),
  receivedAt: instantSchema,
  topic: z.string(),
  deviceId: z.string().nullable(),
  clientId: z.string().nullable(),
  reason: z.enum(quarantineReasons),
  detail: z.string(),
  payload: z.string().describe('the raw payload, base64'),
});

/** `GET /quarantine`: rejected messages with their reason, newest first. */
export function quarantineRoutes(quarantine: QuarantineStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get('/quarantine', {
      schema: {
        tags: ['quarantine'],
        querystring: pageQuerySchema.extend({ reason: z.enum(quarantineReasons).optional(), deviceId: idSchema.optional() }),
        response: { 200: pageOf(quarantineEntrySchema).extend({ countsByReason: z.record(z.string(), z.number().int()) }) },
      },
    }, async (request) => ({
      ...request.query,
      items: quarantine.list(request.query).map((entry) => ({ ...entry, payload: entry.payload.toString('base64') })),
      countsByReason: quarantine.countByReason(),
    }));
  };
}
