import { z } from 'zod';
import { idSchema } from './ids.js';
import { universeFilterSchema } from './panels.js';
import { instantSchema } from './time.js';

/**
 * Weighting schemes (docs/weighting.md, "Schemes"): who is weighted, from which base weights, to which known
 * population tables and by which method. Every change makes a new version; running a version stores one weight
 * per member for it.
 */

const attributeNameSchema = z.string().min(1).max(64);

/** Who is weighted: a panel's or a community's members as of the scheme's date, or the individuals of a universe. */
export const schemeSampleSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('panel').describe("the panel's members as of the scheme's date"),
    panelId: idSchema.describe('the panel'),
  }),
  z.strictObject({
    kind: z.literal('community').describe("the community's members as of the scheme's date"),
    communityId: idSchema.describe('the community'),
  }),
  z.strictObject({
    kind: z.literal('universe').describe('every individual matching the filter as of the scheme’s date'),
    universe: universeFilterSchema.describe('who is in the sample'),
  }),
]);
export type SchemeSample = z.output<typeof schemeSampleSchema>;

/** Where a margin's population totals come from. */
export const targetSourceSchema = z.discriminatedUnion('from', [
  z.strictObject({
    from: z.literal('universe').describe("the registry's individuals as of the scheme's date, counted by the margin's levels"),
    universe: universeFilterSchema
      .optional()
      .describe("whom to count; default the panel's universe (a community's: its panel's; a universe sample's: its own)"),
  }),
  z.strictObject({
    from: z.literal('file').describe('totals given here, as counts or shares'),
    cells: z
      .array(
        z.strictObject({
          levels: z.record(attributeNameSchema, z.string().max(256)).describe("the cell's level of each of the margin's variables"),
          value: z.number().finite().nonnegative().describe('its count (or share, when the scheme weights to shares)'),
        }),
      )
      .min(1)
      .max(10_000)
      .describe('the cells; a combination not listed counts 0'),
  }),
  z.strictObject({
    from: z.literal('population').describe('inhabitants per area (INSEE legal populations); the margin has one variable holding area codes'),
    level: z.enum(['region', 'departement', 'commune']).describe('the kind of area the variable holds'),
    areas: z.array(z.string().min(1).max(16)).min(1).max(40_000).optional().describe('the area codes to keep; default every area'),
  }),
]);
export type TargetSource = z.output<typeof targetSourceSchema>;

/** A known population table: one variable, or several crossed (a joint table); margins may share variables. */
export const schemeMarginSchema = z.strictObject({
  variables: z.array(attributeNameSchema).min(1).max(4).describe('profile attributes, crossed when several (`[region, sex]`)'),
  targets: targetSourceSchema.describe('where its population totals come from'),
});
export type SchemeMargin = z.output<typeof schemeMarginSchema>;

export const weightingMethodSchema = z.enum(['rake', 'linear', 'raking', 'logit']);

const schemeFields = z.strictObject({
  name: z.string().min(1).max(200).describe('a name for people to read'),
  at: instantSchema.optional().describe('the date of the sample and of the targets; default when the version is made'),
  sample: schemeSampleSchema.describe('who is weighted'),
  respondentsOf: idSchema
    .optional()
    .describe(
      "a survey: weight only the sample's people who answered one of its prompts by the scheme's date, from their base weights to the same targets, so that the weights also stand for those who did not answer",
    ),
  baseWeights: z
    .enum(['inclusion', 'equal'])
    .default('inclusion')
    .describe('`inclusion`: 1/inclusion probability of the membership’s draw (1 where none); `equal`: 1 for everyone'),
  margins: z.array(schemeMarginSchema).min(1).max(20).describe('the population tables the weights must meet'),
  targetsAs: z
    .enum(['counts', 'shares'])
    .default('counts')
    .describe('`counts`: totals as their sources give them (margins must agree); `shares`: each margin scaled to `total`'),
  total: z
    .number()
    .positive()
    .finite()
    .optional()
    .describe('with shares: what the weights add up to; default the sum of the base weights (the sample size when equal)'),
  method: weightingMethodSchema
    .default('rake')
    .describe('`rake` (iterative proportional fitting) or calibration with the `linear`, `raking` or `logit` distance'),
  bounds: z
    .strictObject({
      lower: z.number().finite().optional().describe('least g-weight (final over base weight)'),
      upper: z.number().finite().optional().describe('largest g-weight'),
    })
    .optional()
    .describe('bounds on the g-weights, for calibration; `logit` needs both'),
  convergence: z
    .strictObject({
      maxit: z.number().int().min(1).max(1000).optional().describe('most sweeps (rake, default 10) or Newton steps (calibration, default 50)'),
      epsilon: z.number().positive().optional().describe('tolerance (rake: in people, default 1; calibration: relative, default 1e-7)'),
      force: z.boolean().default(false).describe('keep weights that did not converge (the report says so) instead of refusing them'),
    })
    .default({ force: false })
    .describe('when the iterations stop'),
  trimming: z
    .strictObject({
      lower: z.number().finite().optional().describe('least weight'),
      upper: z.number().finite().optional().describe('largest weight'),
      strict: z.boolean().default(false).describe('trim again until no weight is past a bound'),
    })
    .optional()
    .describe('weights past a bound set to it, the mass moved spread over the others'),
  cap: z
    .number()
    .gt(1)
    .finite()
    .optional()
    .describe('largest weight as a multiple of the mean weight, trimmed as an upper bound (the tighter of it and `trimming.upper`)'),
  variance: z
    .enum(['linearization', 'jackknife'])
    .default('linearization')
    .describe(
      'how weighted figures get their standard errors: by linearization, accounting for the weighting; or from jackknife replicates weighted the same way (one per member: for samples of a few thousand)',
    ),
  strata: z
    .enum(['draw', 'none'])
    .default('draw')
    .describe("`draw`: variances by the strata of the panel's draw (a stratum left with a single member cannot be estimated); `none`: one stratum"),
});

/** What the fields alone cannot say: which options go with which method. */
function withRules<T extends z.ZodType<z.output<typeof schemeFields>>>(schema: T) {
  return schema
    .refine((s) => !s.bounds || s.method !== 'rake', { message: 'bounds apply to calibration (linear, raking, logit), not to rake', path: ['bounds'] })
    .refine((s) => s.method !== 'logit' || (s.bounds?.lower !== undefined && s.bounds.upper !== undefined), {
      message: 'the logit distance needs both bounds',
      path: ['bounds'],
    })
    .refine((s) => s.total === undefined || s.targetsAs === 'shares', { message: 'total applies when weighting to shares', path: ['total'] });
}

/** A scheme's content, as a new version (PUT) takes it. */
export const weightingSchemeSchema = withRules(schemeFields);
export type WeightingScheme = z.output<typeof weightingSchemeSchema>;
export type WeightingSchemeInput = z.input<typeof weightingSchemeSchema>;

/** A new scheme: its version 1. */
export const weightingSchemeCreateSchema = withRules(schemeFields.extend({ id: idSchema.optional().describe("the scheme's id; generated when absent") }));

export const schemeVersionSchema = z.object({
  version: z.number().int().describe('1, 2, …: every change makes the next'),
  createdAt: instantSchema.describe('when the version was made'),
  ranAt: instantSchema.nullable().describe('when its weights were last computed; null if never'),
});

export const weightingSchemeViewSchema = z.object({
  id: idSchema.describe("the scheme's id"),
  version: z.number().int().describe('the version shown'),
  createdAt: instantSchema.describe('when that version was made'),
  scheme: z.record(z.string(), z.unknown()).describe('the scheme as that version holds it (its date resolved, durations in ms)'),
  versions: z.array(schemeVersionSchema).describe('every version, oldest first'),
});

export const schemeRunRequestSchema = z.strictObject({
  version: z.number().int().min(1).optional().describe('the version to run; default the latest'),
  dryRun: z.boolean().default(false).describe('compute and report, store nothing'),
});

const marginCellReportSchema = z.object({
  levels: z.record(z.string(), z.string()).describe("the cell's level of each of its margin's variables"),
  target: z.number().describe('its population total'),
  before: z.number().describe('the sample’s total in it under the base weights'),
  after: z.number().describe('its total under the final weights'),
});

export const weightingReportSchema = z.object({
  method: z.enum(['design', 'rake', 'linear', 'raking', 'logit']).describe('how the weights were made'),
  converged: z.boolean().describe('false only when forced past maxit'),
  iterations: z.number().int().describe('sweeps (rake) or Newton steps (calibration)'),
  largestMarginError: z.number().describe('the largest |after − target| over every margin cell, in people'),
  weights: z
    .object({
      n: z.number().int().describe('people with a weight other than 0'),
      total: z.number().describe('the sum of the weights'),
      min: z.number().describe('the smallest weight'),
      max: z.number().describe('the largest weight'),
      mean: z.number().describe('the mean weight'),
      cv: z.number().describe("the weights' coefficient of variation"),
      designEffect: z.number().describe("Kish's design effect due to unequal weights, 1 + CV²"),
      effectiveSize: z.number().describe('n / design effect'),
    })
    .describe("the final weights' spread"),
  trimmed: z.number().int().describe('weights trimming moved to a bound'),
  margins: z.array(marginCellReportSchema).describe('every margin cell: target, before and after'),
});
export type WeightingReportView = z.infer<typeof weightingReportSchema>;

export const schemeRunSchema = z.object({
  schemeId: idSchema.describe('the scheme'),
  version: z.number().int().describe('the version run'),
  at: instantSchema.describe('the date of its sample and targets'),
  ranAt: instantSchema.describe('when the weights were computed'),
  stored: z.boolean().describe('false for a dry run'),
  size: z.number().int().describe('members weighted'),
  report: weightingReportSchema.describe('what the weighting did'),
});
export type SchemeRun = z.infer<typeof schemeRunSchema>;

export const memberWeightSchema = z.object({
  individualId: idSchema.describe('the member'),
  baseWeight: z.number().describe('the base weight, 1/inclusion probability or 1'),
  weight: z.number().describe('the final weight'),
});
export type MemberWeight = z.infer<typeof memberWeightSchema>;
