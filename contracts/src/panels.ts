import { z } from 'zod';
import { durationTextSchema, parseDuration } from './duration.js';
import { idSchema, typeNameSchema } from './ids.js';
import { instantSchema } from './time.js';

/**
 * Panels and communities (docs/panels.md): who, of the customer base as of a date, can be drawn (the
 * universe), how a panel is drawn, how it is kept representative, and what consent allows.
 */

/** What a person agreed to be part of; an opt-out ends their memberships of that purpose at once. */
export const consentPurposeSchema = z.enum(['panel', 'surveys']);
export type ConsentPurpose = z.infer<typeof consentPurposeSchema>;

export const consentChangeSchema = z.object({
  granted: z.boolean().describe('true: agreed; false: opted out'),
  at: instantSchema.optional().describe('when it was given or withdrawn (ISO 8601); default now'),
});

export const consentSchema = z.object({
  individualId: idSchema.describe('the person'),
  purpose: consentPurposeSchema.describe('`panel`: being drawn into panels and communities; `surveys`: being asked questions'),
  granted: z.boolean().describe('true: agreed; false: opted out'),
  at: instantSchema.describe('when it was given or withdrawn'),
});
export type Consent = z.output<typeof consentSchema>;

/** A draw's seed: any 32-bit unsigned integer. */
const seedSchema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);

const conditionValueSchema = z.union([z.string().max(1024), z.number(), z.boolean()]);

/** One condition on a profile attribute as of the universe's date; several fields all have to hold. */
export const attributeConditionSchema = z
  .strictObject({
    name: z.string().min(1).max(64).describe('the attribute (`region`, `age_band`, …)'),
    in: z.array(conditionValueSchema).min(1).max(1000).optional().describe('its value is one of these'),
    notIn: z.array(conditionValueSchema).min(1).max(1000).optional().describe('its value is none of these'),
    min: z.number().optional().describe('its value, as a number, is at least this'),
    max: z.number().optional().describe('its value, as a number, is at most this'),
    present: z.boolean().optional().describe('true: it has a value; false: it has none'),
  })
  .refine((c) => c.in || c.notIn || c.min !== undefined || c.max !== undefined || c.present !== undefined, 'give in, notIn, min, max or present');
export type AttributeCondition = z.output<typeof attributeConditionSchema>;

/** Observed usage: a connected device of the type, the person's own or a collective's they belong to, was used. */
export const usageConditionSchema = z.strictObject({
  deviceType: typeNameSchema.describe('coffee_machine, ebike, …'),
  activeWithin: durationTextSchema.prefault('30d').describe('the window before the universe date (e.g. `30d`)'),
  minActiveDays: z.number().int().min(1).max(366).default(1).describe('days of that window with at least one event'),
});
export type UsageCondition = z.output<typeof usageConditionSchema>;

export const universeFilterSchema = z.strictObject({
  type: typeNameSchema.nullable().default(null).describe("the individuals' type (`person`); null: every individual"),
  attributes: z.array(attributeConditionSchema).max(50).default([]).describe('conditions on profile attributes, all of them'),
  usage: z.array(usageConditionSchema).max(20).default([]).describe('conditions on observed usage, all of them'),
});
export type UniverseFilter = z.output<typeof universeFilterSchema>;

/** A balancing variable: each level of an attribute (one total per level), or a usage measure. */
export const balancingVariableSchema = z.union([
  z.strictObject({ attribute: z.string().min(1).max(64).describe('one balancing total per level of this attribute') }),
  z.strictObject({
    usage: typeNameSchema.describe('a device type: the days its devices were active in the window'),
    activeWithin: durationTextSchema.prefault('30d'),
  }),
]);
export type BalancingVariable = z.output<typeof balancingVariableSchema>;

export const panelDesignSchema = z.discriminatedUnion('method', [
  z.strictObject({
    method: z.literal('stratified'),
    strata: z.array(z.string().min(1).max(64)).min(1).max(6).describe('attributes crossed into interlocked quota cells'),
    allocation: z
      .union([z.literal('proportional'), z.strictObject({ given: z.record(z.string(), z.number().int().min(0)) })])
      .default('proportional')
      .describe('`proportional` to the universe, or the size of each cell by its key (`region=84|age_band=25-34`)'),
  }),
  z.strictObject({
    method: z.literal('balanced'),
    balanceOn: z.array(balancingVariableSchema).min(1).max(20).describe('totals matched without crossing them into cells'),
  }),
]);
export type PanelDesign = z.output<typeof panelDesignSchema>;

export const panelDrawSchema = z.strictObject({
  id: idSchema.optional().describe("the panel's id; generated when absent"),
  name: z.string().min(1).max(200).describe('a name for people to read'),
  at: instantSchema.optional().describe('the date of the universe and the start of the memberships; default now'),
  universe: universeFilterSchema.default({ type: null, attributes: [], usage: [] }).describe('who may be drawn, as of `at`'),
  size: z.number().int().min(1).max(1_000_000).describe('members to draw'),
  seed: seedSchema.describe('the same seed on the same universe draws the same people'),
  design: panelDesignSchema.describe('`stratified` by interlocked quota cells, or `balanced` by the cube method'),
  rotationGroups: z.number().int().min(1).max(24).default(1).describe('members are spread over this many groups, rotated out one at a time'),
  cooldown: durationTextSchema.prefault('180d').describe('how long someone who left stays out before being drawn again'),
  dryRun: z.boolean().default(false).describe('answer the allocation and expected margins; write nothing'),
});
export type PanelDraw = z.output<typeof panelDrawSchema>;
export type PanelDrawInput = z.input<typeof panelDrawSchema>;

const marginSchema = z.object({
  variable: z.string().describe('the attribute'),
  level: z.string().describe('the level as text; `(none)` for those without a value'),
  universeCount: z.number().int().describe('people of the universe at that level'),
  panelCount: z.number().int().describe('members at that level'),
  universeShare: z.number().describe("the level's share of the universe, 0–1"),
  panelShare: z.number().describe("the level's share of the panel, 0–1"),
  differencePoints: z.number().describe('panel share minus universe share, in percentage points'),
});

/** What a draw would do, or did: the universe, each quota cell's allocation, and the margins expected. */
export const drawPlanSchema = z.object({
  method: z.enum(['stratified', 'balanced']).describe('how it is drawn'),
  at: instantSchema.describe('the date of the universe, and the start of the memberships'),
  universeSize: z.number().int().describe('individuals the universe holds'),
  excluded: z
    .object({ noStratum: z.number().int().describe('individuals of the universe without a value for a stratification attribute') })
    .describe('who the universe holds but the draw cannot use'),
  size: z.number().int().describe('members drawn'),
  cells: z
    .array(
      z.object({
        stratum: z.string().describe('the cell: each stratification attribute with its level (`region=84|age_band=25-34`)'),
        universe: z.number().int().describe('people of the universe in the cell'),
        quota: z.number().int().describe('members the cell gives the panel'),
        proportionalQuota: z.number().describe('its exact proportional share, size × universe / universe size'),
      }),
    )
    .describe('stratified: every interlocked cell'),
  expectedMargins: z.array(marginSchema).describe('the panel as drawn against the universe'),
});
export type DrawPlan = z.infer<typeof drawPlanSchema>;

export const panelViewSchema = z.object({
  id: idSchema.describe("the panel's id (a collective of type `panel`)"),
  name: z.string().describe('a name for people to read'),
  definition: z.record(z.string(), z.unknown()).describe('the draw request it was made with (durations in ms)'),
  createdAt: instantSchema.describe('when it was drawn'),
  members: z.number().int().describe('members now'),
});

export const panelRefreshSchema = z.strictObject({
  at: instantSchema.optional().describe('default now'),
  seed: seedSchema.default(1).describe('chooses among equally good replacements'),
  inactiveAfter: durationTextSchema
    .nullable()
    .default(null)
    .describe("a member none of whose devices of the panel's usage types sent anything for this long leaves (e.g. `30d`); null: no such rule"),
  rotateGroup: z.number().int().min(0).nullable().default(null).describe('rotate this group out: its members leave and are replaced'),
});
export type PanelRefresh = z.output<typeof panelRefreshSchema>;

export const panelRefreshResultSchema = z.object({
  at: instantSchema.describe('the date of the refresh'),
  left: z
    .record(z.string(), z.number().int())
    .describe('members who left, by reason: `opted_out`, `membership_ended`, `inactive`, `left_universe`, `rotated`, `rebalanced`'),
  joined: z.number().int().describe('members who joined'),
  shortfall: z
    .array(z.object({ stratum: z.string().describe('the cell'), missing: z.number().int().describe('members it still lacks') }))
    .describe('cells the universe could not fill (everyone left is a member, cooling down, or opted out)'),
  size: z.number().int().describe('members after the refresh'),
});

export const representativenessSchema = z.object({
  panelId: idSchema.describe('the panel'),
  at: instantSchema.describe('the date it is judged at'),
  size: z.number().int().describe('members at that date'),
  universeSize: z.number().int().describe('individuals of its universe at that date'),
  margins: z.array(marginSchema).describe("each level of each of the panel's variables, panel against universe"),
  maxDifferencePoints: z.number().describe('the largest margin gap, in points (absolute)'),
  rIndicator: z
    .number()
    .nullable()
    .describe('1 − 2·S(ρ̂), ρ̂ the propensity of being a member given the variables (logistic regression); 1: representative; null when it cannot be estimated'),
  churn: z
    .object({
      window: z.string().describe('the window the churn is counted over'),
      left: z.number().int().describe('members who left in the window'),
      joined: z.number().int().describe('members who joined in the window (the draw included)'),
      rate: z.number().describe('left / members at the start of the window'),
    })
    .describe('arrivals and departures over the last 30 days'),
  cells: z
    .array(
      z.object({
        stratum: z.string().describe('the cell'),
        members: z.number().int().describe('its members now (by their attributes now)'),
        quota: z.number().int().describe('its quota of the universe now'),
      }),
    )
    .describe('stratified: size by cell against its quota now'),
});
export type Representativeness = z.infer<typeof representativenessSchema>;

const weekMs = 7 * 86_400_000;
/** Most weeks a retention condition looks back over (as many as a retention request covers). */
const maxRetainedWeeks = 520;

/** A window of whole ISO weeks: `8w`, or a duration that is a whole number of weeks (`56d`); decoded to the number of weeks. */
const weeksWindowSchema = z.string().transform((value, ctx) => {
  const weeks = /^\s*(\d+)w\s*$/.exec(value);
  const ms = weeks ? Number(weeks[1]) * weekMs : parseDuration(value);
  if (ms === null || ms <= 0 || ms % weekMs !== 0 || ms / weekMs > maxRetainedWeeks) {
    ctx.addIssue({ code: 'custom', message: `not a whole number of weeks from 1w to ${maxRetainedWeeks}w (such as 8w or 56d)` });
    return z.NEVER;
  }
  return ms / weekMs;
});

/** A funnel step reached: the member entered the funnel in the window and got to the step before the date. */
const funnelConditionSchema = z.strictObject({
  funnel: idSchema.describe('a funnel declared in `analytics.funnels`, counted by individual'),
  step: z.number().int().min(1).describe('the step reached, 1 being the entry; at most its last'),
  within: durationTextSchema
    .prefault('30d')
    .describe('the window before the date in which the member entered the funnel (e.g. `30d`); the step counts when reached before the date'),
});

/** Weeks retained: counted sessions, as retention counts them, in at least `weeks` of the window's ISO weeks. */
const retainedConditionSchema = z
  .strictObject({
    weeks: z.number().int().min(1).max(maxRetainedWeeks).describe('ISO weeks of the window with at least one counted session, at least this many'),
    within: weeksWindowSchema
      .prefault('8w')
      .describe('whole weeks (`8w`, `56d`): that many ISO weeks (Monday to Sunday, UTC) before the week of the date, which is not over'),
  })
  .refine((r) => r.weeks <= r.within, { message: 'weeks cannot exceed the weeks of within', path: ['weeks'] });

/** Who a community recruits among a panel's members: all conditions must hold, on attributes and on behaviour. */
export const communityRecruitSchema = z
  .strictObject({
    id: idSchema.optional().describe("the community's id; generated when absent"),
    name: z.string().min(1).max(200).describe('a name for people to read'),
    panelId: idSchema.describe('the panel it is recruited in'),
    at: instantSchema.optional().describe('default now'),
    attributes: z.array(attributeConditionSchema).max(50).default([]).describe('conditions on profile attributes, all of them'),
    usage: z.array(usageConditionSchema).max(20).default([]).describe('behaviour: days active with a device type in a window'),
    sessions: z
      .array(
        z.strictObject({
          deviceType: typeNameSchema.describe('the device type'),
          within: durationTextSchema.prefault('30d').describe('the window before the date (e.g. `30d`)'),
          min: z.number().int().min(1).describe('usage sessions of that device type, by the person or on their own device'),
        }),
      )
      .max(20)
      .default([])
      .describe('behaviour: usage sessions in a window'),
    funnels: z
      .array(funnelConditionSchema)
      .max(20)
      .default([])
      .describe('behaviour: funnel steps reached in a window, counted as `GET /funnels/{name}` counts them (without what came after the date)'),
    retained: retainedConditionSchema
      .nullable()
      .default(null)
      .describe('behaviour: weeks with a counted session (as `GET /retention` counts them) among the last whole weeks; null: no such condition'),
    size: z.number().int().min(1).max(10_000).default(100).describe('members to recruit (all the eligible when fewer), between minSize and maxSize'),
    minSize: z.number().int().min(1).default(50).describe('fewer eligible members than this is a refusal'),
    maxSize: z.number().int().min(1).max(10_000).default(300).describe('the most members the community may have'),
    quotas: z
      .strictObject({ strata: z.array(z.string().min(1).max(64)).min(1).max(4).describe('attributes crossed into quota cells') })
      .nullable()
      .default(null)
      .describe('recruit proportionally to the eligible members over these attributes'),
    validTo: instantSchema.nullable().default(null).describe('a temporary community ends then; null: permanent'),
    seed: seedSchema.default(1).describe('the same seed on the same members recruits the same people'),
    dryRun: z.boolean().default(false).describe('count the eligible; write nothing'),
  })
  .refine((r) => r.minSize <= r.size && r.size <= r.maxSize, {
    message: 'size must lie between minSize (50 by default) and maxSize (300 by default)',
    path: ['size'],
  });
export type CommunityRecruit = z.output<typeof communityRecruitSchema>;

export const communityResultSchema = z.object({
  id: idSchema.describe("the community's id (a collective of type `community`)"),
  panelId: idSchema.describe('the panel it was recruited in'),
  eligible: z.number().int().describe('current members meeting every condition'),
  recruited: z.number().int().describe('members recruited (or that would be, in a dry run)'),
  dryRun: z.boolean().describe('true: nothing was written'),
});
