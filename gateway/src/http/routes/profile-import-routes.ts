import { identityImportResultSchema, idSchema, queryInstantSchema, traitImportReportSchema, type TraitImportReport } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ProfileStore } from '../../profiles/profile-store.js';
import { utf8TextParser, importBodyLimit } from '../utf8-bodies.js';
import { errors } from './registry-schemas.js';

/** A customer file, like a registry export, may be large; the API's other bodies keep fastify's 1 MiB. */

/** The body of an import: a CSV file (text/csv) or a JSON array of rows. */
const importBody = <T extends z.ZodType>(row: T) =>
  z.union([z.string().describe('the CSV file (text/csv), a header row first'), z.array(row).describe('the rows (application/json)')]);
const input = (body: string | readonly unknown[]) => (typeof body === 'string' ? { csv: body } : { json: body });

export interface ProfileImportCounts {
  traits: (report: TraitImportReport) => void;
  identityKeys: (keys: number) => void;
}

/** `POST /import/identities` and `POST /import/traits`: each reads CSV or JSON, all or nothing. */
export function profileImportRoutes(profiles: ProfileStore, count: ProfileImportCounts): FastifyPluginAsync {
  return async (plain) => {
    // JSON (the API's parser) and CSV both, in this context only.
    plain.addContentTypeParser('text/csv', { parseAs: 'buffer' }, utf8TextParser);
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['profiles'];

    app.post(
      '/import/identities',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Import the external ids of individuals',
          description:
            'CSV: `individual_id` then one column per key type (an empty cell: no key); JSON: `{ individualId, keys }` objects. An `email` is stored only as `email_sha256`. Each row sets its keys; the individual’s keys of other types stay. All or nothing: every bad row is listed.',
          body: importBody(z.unknown()),
          response: { 200: identityImportResultSchema, ...errors },
        },
        bodyLimit: importBodyLimit,
      },
      async (request) => {
        const result = profiles.importIdentities(input(request.body));
        count.identityKeys(result.keys);
        return result;
      },
    );

    app.post(
      '/import/traits',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: "Import a source's attribute values",
          description:
            'CSV or a JSON array of flat objects: key columns (the source’s join keys), `valid_from`, `postcode` and `commune_code`, and attributes. Malformed rows refuse the import, every one listed; rows that match nobody or several people are reported, not stored. See docs/profiles.md.',
          querystring: z.object({
            source: idSchema.describe('the source the rows come from'),
            validFrom: queryInstantSchema.optional().describe('the date of rows without `valid_from` (default: the import time)'),
          }),
          body: importBody(z.record(z.string(), z.unknown())),
          response: { 200: traitImportReportSchema, ...errors },
        },
        bodyLimit: importBodyLimit,
      },
      async (request) => {
        const report = profiles.importTraits(request.query.source, input(request.body), request.query.validFrom);
        count.traits(report);
        return report;
      },
    );
  };
}
