import { z } from 'zod';
import { durationTextSchema } from './duration.js';
import { idSchema, typeNameSchema } from './ids.js';
import { instantSchema } from './time.js';

/**
 * Profiles from several sources (docs/profiles.md): the sources that know people, the external ids that
 * identify a person in each, and the attribute values they give, each with its provenance and the date it
 * holds from.
 */

export const sourceKindSchema = z.enum(['crm', 'web_analytics', 'loyalty', 'survey', 'declared']);

/** A kind of external id: `crm_id`, `loyalty_card`, `email_sha256`, `app_install_id`, … */
export const keyTypeSchema = typeNameSchema;

export const sourceSchema = z.object({
  id: idSchema.describe("the source's id, chosen by the client"),
  kind: sourceKindSchema.describe('what system it is'),
  name: z.string().min(1).max(200).describe('a name for people to read'),
  joinKeys: z.array(keyTypeSchema).min(1).max(16).describe('the kinds of external id its rows identify people by'),
  priority: z.number().int().min(0).max(1000).describe('trust: where two sources disagree on a value, the higher priority wins'),
  expectedFreshness: durationTextSchema.nullable().default(null).describe('how often its data should be imported again (e.g. `7d`); null: no expectation'),
});
export type Source = z.output<typeof sourceSchema>;
export type SourceCreate = z.input<typeof sourceSchema>;
/** What may change of a source: its trust and its expected freshness (its id, kind and keys stay). */
export const sourcePatchSchema = z.strictObject({
  name: sourceSchema.shape.name.optional(),
  priority: sourceSchema.shape.priority.optional(),
  expectedFreshness: durationTextSchema.nullable().optional().describe('how often its data should be imported again (e.g. `7d`); null: no expectation'),
});
export type SourcePatch = z.output<typeof sourcePatchSchema>;

/** As the API answers it: the freshness back as a duration in milliseconds, with the source's latest trait import. */
export const sourceViewSchema = sourceSchema.extend({
  expectedFreshness: z.number().int().nullable().describe('how often its data should be imported again, ms; null: no expectation'),
  lastImportAt: instantSchema.nullable().describe('when its traits were last imported; null: never'),
  overdue: z.boolean().describe('an expected freshness is set and its data is older than that (or was never imported)'),
});
export type SourceView = z.output<typeof sourceViewSchema>;

/** An email address is a key only as the SHA-256 of its trimmed, lower-cased form: addresses are never stored. */
export const emailKeyType = 'email_sha256';

export const identitySchema = z.object({
  individualId: idSchema.describe('the individual the external ids identify'),
  keys: z
    .record(keyTypeSchema, z.string().min(1).max(256))
    .refine((keys) => Object.keys(keys).length > 0, 'at least one key')
    .describe(
      'external ids by kind (`{ "crm_id": "C-1042", "email_sha256": "…" }`); a plain address, as `email` or as `email_sha256`, is stored only as its hash',
    ),
});
export type Identity = z.infer<typeof identitySchema>;

export const identityImportResultSchema = z.object({
  individuals: z.number().int().describe('individuals whose keys were set'),
  keys: z.number().int().describe('keys set'),
});
export type IdentityImportResult = z.infer<typeof identityImportResultSchema>;

/** An attribute value as a source gives it. */
export const attributeValueSchema = z.union([z.string().max(1024), z.number(), z.boolean()]).describe('the value: text, a number or a boolean');
export type AttributeValue = z.infer<typeof attributeValueSchema>;

const provenanceShape = {
  value: attributeValueSchema,
  source: idSchema.describe('the source that gave it'),
  validFrom: instantSchema.describe('the date from which it holds'),
  importedAt: instantSchema.describe('when it was imported'),
};

export const subjectAttributesSchema = z.object({
  subjectId: idSchema.describe('the subject'),
  at: instantSchema.describe('the date the attributes hold at'),
  attributes: z
    .record(
      z.string(),
      z.object({
        ...provenanceShape,
        overridden: z
          .array(z.object(provenanceShape))
          .describe('values of lower-priority sources that also hold at that date, most trusted first: kept and shown'),
      }),
    )
    .describe('each attribute: the value of the highest-priority source that holds at that date'),
});
export type SubjectAttributes = z.output<typeof subjectAttributesSchema>;
export type AttributeProvenance = SubjectAttributes['attributes'][string]['overridden'][number];

const rowRef = z.string().describe('where the row is: `rows[3]` or `traits.csv line 4`');
const count = z.number().int().describe('how many rows');
const listedRows = 'the first 1,000';

export const traitImportReportSchema = z.object({
  source: idSchema.describe('the source imported'),
  rows: z.number().int().describe('rows in the import'),
  matched: z.number().int().describe('rows whose keys identify exactly one individual: their values are stored'),
  unmatched: z.object({ count, rows: z.array(rowRef).describe(listedRows) }).describe('rows whose keys identify nobody'),
  ambiguous: z
    .object({
      count,
      rows: z
        .array(z.object({ row: rowRef, individuals: z.array(idSchema).describe('the individuals its keys name') }))
        .describe(`${listedRows}, with the individuals each names`),
    })
    .describe('rows whose keys identify several individuals (a shared family address): not stored'),
  conflicting: z
    .object({
      count: z.number().int().describe('matched rows with a value that contradicts a higher-priority source (each row once)'),
      rows: z
        .array(
          z.object({
            row: rowRef,
            individual: idSchema.describe('the individual the row names'),
            attribute: z.string().describe('the attribute'),
            value: attributeValueSchema,
            winning: z
              .object({ source: idSchema.describe('the higher-priority source'), value: attributeValueSchema })
              .describe('the value that wins at the row’s date'),
          }),
        )
        .describe(`${listedRows} contradictions, one per attribute`),
    })
    .describe('matched rows that contradict a higher-priority source at their date'),
  values: z.number().int().describe('attribute values stored (a conflicting one too: kept, and visible as overridden)'),
  unresolvedPlaces: z
    .object({
      count,
      rows: z
        .array(
          z.object({ row: rowRef, code: z.string().describe('the stable code of the refusal'), message: z.string().describe('what is wrong with the place') }),
        )
        .describe(listedRows),
    })
    .describe('matched rows whose postcode or commune code names no French place (their other values are stored)'),
  flaggedPlaces: z
    .object({
      count,
      rows: z
        .array(z.object({ row: rowRef, postcode: z.string().describe('the postcode'), communes: z.array(z.string()).describe('the INSEE codes it serves') }))
        .describe(listedRows),
    })
    .describe('matched rows whose postcode serves several communes and no commune code chose one: stored without `commune`'),
});
export type TraitImportReport = z.infer<typeof traitImportReportSchema>;
