import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { importKinds, importRecords, type ImportRow } from '../../registry/bulk-import.js';
import { csvRows } from '../../registry/csv-import.js';
import type { RegistryStore } from '../../registry/registry-store.js';
import { utf8TextParser } from '../utf8-bodies.js';
import { errors } from './registry-schemas.js';

const counts = z.object(Object.fromEntries(importKinds.map((k) => [k, z.number().int()])) as Record<(typeof importKinds)[number], z.ZodNumber>);
const resultSchema = z.object({ created: counts, unchanged: counts });
/** An import takes a whole CRM export; the API's other bodies keep fastify's 1 MiB. */
const bodyLimit = 50 * 1024 * 1024;
const description = 'All or nothing: on any problem nothing is written and every problem is listed with its row.';

/** `POST /import` (JSON, every kind at once) and `POST /import/{kind}` (one CSV file, as a CRM exports it). */
export function importRoutes(registry: RegistryStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.addContentTypeParser('text/csv', { parseAs: 'buffer' }, utf8TextParser);

    app.post(
      '/import',
      {
        config: { access: 'write' },
        schema: {
          tags: ['registry'],
          description,
          body: z.strictObject(
            Object.fromEntries(importKinds.map((k) => [k, z.array(z.unknown()).default([])])) as Record<
              (typeof importKinds)[number],
              z.ZodDefault<z.ZodArray<z.ZodUnknown>>
            >,
          ),
          response: { 200: resultSchema, ...errors },
        },
        bodyLimit,
      },
      async (request) => {
        const rows: ImportRow[] = importKinds.flatMap((kind) => request.body[kind].map((value, i) => ({ kind, where: `${kind}[${i}]`, value })));
        return importRecords(registry, rows);
      },
    );

    app.post(
      '/import/:kind',
      {
        config: { access: 'write' },
        schema: {
          tags: ['registry'],
          description: `${description} Body: text/csv with a header row.`,
          params: z.object({ kind: z.enum(importKinds) }),
          body: z.string(),
          response: { 200: resultSchema, ...errors },
        },
        bodyLimit,
      },
      async (request) => importRecords(registry, csvRows(request.params.kind, request.body)),
    );
  };
}
