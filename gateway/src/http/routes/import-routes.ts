import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { importKinds, importRecords, type ImportRow } from '../../registry/bulk-import.js';
import { csvRows } from '../../registry/csv-import.js';
import type { RegistryStore } from '../../registry/registry-store.js';
import { utf8TextParser, importBodyLimit } from '../utf8-bodies.js';
import { errors } from './registry-schemas.js';

const counts = z.object(
  Object.fromEntries(importKinds.map((k) => [k, z.number().int().describe(`the ${k}`)])) as Record<(typeof importKinds)[number], z.ZodNumber>,
);
const resultSchema = z.object({
  created: counts.describe('records created, by kind'),
  unchanged: counts.describe('records already there, identical, by kind'),
});
/** An import takes a whole CRM export; the API's other bodies keep fastify's 1 MiB. */
const description = 'All or nothing: on any problem nothing is written and every problem is listed with its row.';

/** `POST /import` (JSON, every kind at once) and `POST /import/{kind}` (one CSV file, as a CRM exports it). */
export function importRoutes(registry: RegistryStore): FastifyPluginAsync {
  return async (app) => {
    // Each in a context of its own, so that each reads its own content type only (415 for the other).
    await app.register(jsonImportRoute(registry));
    await app.register(csvImportRoute(registry));
  };
}

function jsonImportRoute(registry: RegistryStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.post(
      '/import',
      {
        config: { access: 'write' },
        schema: {
          tags: ['registry'],
          summary: 'Import a registry export (JSON)',
          description,
          body: z.strictObject(
            Object.fromEntries(importKinds.map((k) => [k, z.array(z.unknown()).default([]).describe(`the ${k} to import, as their POST bodies`)])) as Record<
              (typeof importKinds)[number],
              z.ZodDefault<z.ZodArray<z.ZodUnknown>>
            >,
          ),
          response: { 200: resultSchema, ...errors },
        },
        bodyLimit: importBodyLimit,
      },
      async (request) => {
        const rows: ImportRow[] = importKinds.flatMap((kind) => request.body[kind].map((value, i) => ({ kind, where: `${kind}[${i}]`, value })));
        return importRecords(registry, rows);
      },
    );
  };
}

function csvImportRoute(registry: RegistryStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('text/csv', { parseAs: 'buffer' }, utf8TextParser);
    app.post(
      '/import/:kind',
      {
        config: { access: 'write' },
        schema: {
          tags: ['registry'],
          summary: 'Import one kind of records (CSV)',
          description: `${description} Body: text/csv with a header row and at least one record.`,
          params: z.object({ kind: z.enum(importKinds).describe('what the file holds') }),
          body: z.string().describe('the CSV file'),
          response: { 200: resultSchema, ...errors },
        },
        bodyLimit: importBodyLimit,
      },
      async (request) => importRecords(registry, csvRows(request.params.kind, request.body)),
    );
  };
}
