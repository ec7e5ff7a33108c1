import { z } from 'zod';
import { durationTextSchema } from './duration.js';
import { idSchema, typeNameSchema } from './ids.js';
import { eventTypeSchema } from './payloads.js';
import { subjectKindSchema } from './registry.js';
import { instantSchema } from './time.js';

/**
 * Funnels declared in `analytics.funnels`, counted like PostHog's ordered funnels: a subject
 * enters with an occurrence of the first step and reaches step k when steps 2..k follow it, each strictly
 * after the previous, within the window of the entry.
 */
export const funnelStepSchema = z
  .strictObject({
    deviceType: typeNameSchema.optional().describe('a usage session on a device of this type, counted as journeys count it'),
    eventType: eventTypeSchema.optional().describe('a device event of this type attributed to the subject'),
  })
  .refine((step) => (step.deviceType === undefined) !== (step.eventType === undefined), 'a step is either { "deviceType": … } or { "eventType": … }');
export type FunnelStep = z.output<typeof funnelStepSchema>;

export const funnelSchema = z.strictObject({
  name: idSchema.describe('unique; the last segment of /api/v1/funnels/{name}'),
  steps: z.array(funnelStepSchema).min(2, 'a funnel has at least 2 steps'),
  window: durationTextSchema.refine((ms) => ms > 0, 'the window must be longer than 0').describe('every step must follow the entry within this time'),
  countBy: subjectKindSchema.describe('the subjects counted: individuals, or collectives (households, workplaces, …)'),
});
export type Funnel = z.output<typeof funnelSchema>;

export const funnelsSchema = z.array(funnelSchema).superRefine((funnels, ctx) => {
  const seen = new Set<string>();
  funnels.forEach((funnel, index) => {
    if (seen.has(funnel.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `funnel name "${funnel.name}" is declared twice` });
    seen.add(funnel.name);
  });
});
export type FunnelsInput = z.input<typeof funnelsSchema>;

/**
 * The funnel declared until `analytics.funnels` is set: a household's coffee machine, then its water heater
 * within the hour, which the mornings of the built-in fleet go through, so that funnel routes and the
 * dashboard show counts from the first minute.
 */
export const exampleFunnels: FunnelsInput = [
  { name: 'morning', countBy: 'collective', window: '1h', steps: [{ deviceType: 'coffee_machine' }, { deviceType: 'water_heater' }] },
];

/** A declared funnel as the API serves it (the window in seconds). */
export const funnelDefinitionSchema = z.object({
  name: idSchema.describe('its name, as declared'),
  steps: z
    .array(
      z.object({
        deviceType: typeNameSchema.optional().describe('a usage session on a device of this type'),
        eventType: z.string().optional().describe('a device event of this type'),
      }),
    )
    .describe('its steps, in order'),
  windowS: z.number().positive().describe('every step must follow the entry within this many seconds'),
  countBy: subjectKindSchema.describe('the subjects counted'),
});
export type FunnelDefinition = z.output<typeof funnelDefinitionSchema>;

export const funnelQuerySchema = z.object({
  from: instantSchema.describe('subjects entering (first step) at or after (ISO 8601)'),
  to: instantSchema.describe('subjects entering before (ISO 8601); later steps may follow up to the window after'),
});

const share = z.number().min(0).max(1).nullable();

export const funnelStepResultSchema = z.object({
  step: z.number().int().positive().describe('1 for the entry'),
  deviceType: typeNameSchema.optional().describe('the step, when it is a usage session on a device of this type'),
  eventType: z.string().optional().describe('the step, when it is a device event of this type'),
  reached: z.number().int().nonnegative().describe('subjects whose furthest step is this one or a later one'),
  conversionFromPrevious: share.describe('reached / reached at the previous step (1 for the first step); null when nobody reached the previous one'),
  conversionFromStart: share.describe('reached / entered; null when nobody entered'),
  medianSecondsFromPrevious: z
    .number()
    .nonnegative()
    .nullable()
    .describe('median time from the previous step, over the subjects that reached this one; null for the first step or when nobody did'),
});

export const funnelResultSchema = z.object({
  name: idSchema.describe("the funnel's name"),
  countBy: subjectKindSchema.describe('the subjects counted'),
  from: instantSchema.describe('entries at or after'),
  to: instantSchema.describe('entries before'),
  windowS: z.number().positive().describe('every step must follow the entry within this many seconds'),
  entered: z.number().int().nonnegative().describe('subjects that entered (reached step 1) in the range'),
  converted: z.number().int().nonnegative().describe('subjects that reached the last step'),
  conversion: share.describe('converted / entered; null when nobody entered'),
  medianSecondsToConvert: z.number().nonnegative().nullable().describe('median time from the entry to the last step, over the converted subjects'),
  steps: z.array(funnelStepResultSchema).describe('each step, in order'),
});
export type FunnelResult = z.output<typeof funnelResultSchema>;
