import { errorCodes, instantSchema, ParcoursError } from '@parcours/contracts';
import { problemResponse } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ReattributeResult } from './reattribute.js';

const resultSchema = z.object({
  changed: z.number().int().describe('stored events whose attribution changed'),
  devices: z.array(z.string()).describe('the devices of those events, whose results were re-derived'),
  sessions: z.number().int().describe('sessions of those devices starting in the interval, re-derived'),
});

/** `POST /reattribute`: the running server takes a registry correction itself (`parcours reattribute` refuses beside it). */
export function reattributeRoutes(reattribute: (from: number, to: number) => Promise<ReattributeResult>): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.post(
      '/reattribute',
      {
        config: { access: 'write' },
        schema: {
          tags: ['registry'],
          summary: 'Attribute a past interval again',
          description:
            'After correcting the registry for a past interval: attributes its stored events again and replaces what was derived from them (InfluxDB points, sessions, open ones included, journeys), without stopping ingestion; integrators are told of what moved. Answers once done; running it again changes nothing.',
          body: z.strictObject({
            from: instantSchema.describe('start of the corrected interval (ISO 8601)'),
            to: instantSchema.describe('its end, excluded (ISO 8601)'),
          }),
          response: { 200: resultSchema, 400: problemResponse('the interval ends before it starts') },
        },
      },
      async (request) => {
        const { from, to } = request.body;
        if (to <= from) throw new ParcoursError(errorCodes.badInterval, '`to` must be after `from`');
        return reattribute(from, to);
      },
    );
  };
}
