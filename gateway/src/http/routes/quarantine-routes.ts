import { idSchema, instantSchema, quarantineReasons } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isTruncated } from '../../quarantine/kept-payload.js';
import type { QuarantineFilter, QuarantineStore, StoredQuarantineEntry } from '../../quarantine/quarantine-store.js';
import { budgetedPageOf, fillPage, pageQuerySchema } from '../pagination.js';

const quarantineEntrySchema = z.object({
  id: z.number().int().describe("the message's id in the quarantine, for a replay"),
  receivedAt: instantSchema.describe('when Parcours received it'),
  topic: z.string().describe('the MQTT topic it was published on'),
  deviceId: z.string().nullable().describe('the device its topic names; null when the topic names none'),
  clientId: z.string().nullable().describe('the MQTT client id that sent it'),
  username: z.string().nullable().describe('who sent it: the authenticated MQTT user name (a device id), when there was one'),
  reason: z.enum(quarantineReasons).describe('why it was refused: a stable code'),
  detail: z.string().describe('what was wrong with it'),
  payload: z.string().describe('the raw payload, base64: all of it, or only its first bytes when `payloadTruncated`'),
  payloadSize: z.number().int().describe('bytes of the whole payload'),
  payloadSha256: z.string().describe('SHA-256 of the whole payload, hex'),
  payloadTruncated: z
    .boolean()
    .describe('the payload was larger than `gateway.maxPayloadBytes`: only its first `gateway.quarantinePrefixBytes` are kept, and it cannot be replayed'),
});

const toItem = (entry: StoredQuarantineEntry) => ({ ...entry, payload: entry.payload.toString('base64'), payloadTruncated: isTruncated(entry) });

type Replay = (filter: QuarantineFilter, limit: number) => Promise<{ replayed: number; stored: number; duplicate: number; quarantined: number }>;

/**
 * `GET /quarantine`: rejected messages with their reason, newest first, in pages of at most `pageBytes` of
 * JSON; `POST /quarantine/replay`: try them again.
 */
export function quarantineRoutes(quarantine: QuarantineStore, replay: Replay, pageBytes: number): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/quarantine',
      {
        config: { access: 'read' },
        schema: {
          tags: ['quarantine'],
          summary: 'List quarantined messages',
          description: `The refused messages, newest first. A page holds at most \`limit\` messages and ${pageBytes} bytes of them (\`gateway.quarantinePageBytes\`); \`nextOffset\` is where the next starts.`,
          querystring: pageQuerySchema.extend({
            reason: z.enum(quarantineReasons).optional().describe('only those refused for this reason'),
            deviceId: idSchema.optional().describe('only those of this device'),
          }),
          response: {
            200: budgetedPageOf(quarantineEntrySchema).extend({
              countsByReason: z.record(z.string(), z.number().int()).describe('how many messages the whole quarantine holds, by reason'),
            }),
          },
        },
      },
      async (request) => {
        const { limit, offset } = request.query;
        // One row past the limit tells whether a next page exists.
        const page = fillPage(quarantine.list({ ...request.query, limit: limit + 1 }), toItem, { limit, offset, maxBytes: pageBytes });
        return { ...request.query, ...page, countsByReason: quarantine.countByReason() };
      },
    );
    app.post(
      '/quarantine/replay',
      {
        config: { access: 'write' },
        schema: {
          tags: ['quarantine'],
          summary: 'Replay quarantined messages',
          description:
            'Runs the matching quarantined messages (oldest first) through the pipeline again, once their cause is fixed; those that still fail are quarantined anew.',
          body: z.strictObject({
            ids: z.array(z.number().int()).max(10_000).optional().describe('these messages (their `id`)'),
            reason: z.enum(quarantineReasons).optional().describe('the messages refused for this reason'),
            deviceId: idSchema.optional().describe('the messages of this device'),
            limit: z.number().int().min(1).max(100_000).default(10_000).describe('at most this many messages'),
          }),
          response: {
            200: z.object({
              replayed: z.number().int().describe('messages run through the pipeline again'),
              stored: z.number().int().describe('of those, accepted and stored'),
              duplicate: z.number().int().describe('of those, already stored (the same device and seq)'),
              quarantined: z.number().int().describe('of those, refused again'),
            }),
          },
        },
      },
      async (request) => replay(request.body, request.body.limit),
    );
  };
}
