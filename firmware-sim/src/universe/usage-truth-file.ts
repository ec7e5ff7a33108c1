import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { instantSchema } from '@parcours/contracts';
import { z } from 'zod';
import { dayMs } from '../timeline/time.js';
import { type CustomerUsage, usageDeviceTypes, usageFunnelWindowMs } from './usage.js';
import { funnelTruth, usageTruth } from './usage-truth.js';

/**
 * The usage truth of a whole base as a file, beside its ground truth: what weighted panel figures should find,
 * each figure named as the routes name theirs — people active per day and ISO week (any device type), weekly
 * cohorts' retention and each week's lifecycle (`/retention?kind=individual`), and each week's entries into the
 * funnel first device → second device counted by individual (`/funnels/{name}` for a funnel of those steps).
 */

export const usageTruthFile = 'usage-truth.json';

const count = z.number().int().nonnegative();
const share = z.number().min(0).max(1);
const activeSchema = z.object({ start: instantSchema, active: count, share: share.describe('of the whole base') });

export const baseUsageTruthSchema = z.object({
  seed: z.number().int(),
  from: instantSchema.describe('a Monday, 00:00 UTC: the first ISO week'),
  to: instantSchema.describe('the Monday after the last week'),
  people: count.describe('customers of the base, every one counted, whether they ever used a device or not'),
  deviceTypes: z.array(z.enum(usageDeviceTypes)),
  days: z.array(activeSchema).describe('customers with a session starting that day'),
  weeks: z.array(activeSchema).describe('customers with a session starting that week'),
  cohorts: z
    .array(
      z.object({
        week: instantSchema.describe('the week of their first session'),
        size: count,
        retained: z.array(z.object({ weekOffset: count, active: count, share: share.describe('of the cohort') })),
      }),
    )
    .describe('weekly cohorts, as `/retention?kind=individual` counts them'),
  lifecycle: z.array(z.object({ week: instantSchema, new: count, returning: count, resurrecting: count, dormant: count })),
  funnel: z.object({
    steps: z.array(z.enum(usageDeviceTypes)),
    windowS: z.number().positive().describe('a step must follow the entry within this many seconds, as the API gives funnel windows'),
    countBy: z.literal('individual'),
    weeks: z
      .array(z.object({ from: instantSchema, to: instantSchema, entered: count, converted: count, conversion: share.nullable() }))
      .describe('customers entering in each week, and those of them converting'),
  }),
});
export type BaseUsageTruth = z.output<typeof baseUsageTruthSchema>;

const weekMs = 7 * dayMs;

export function baseUsageTruth(usage: CustomerUsage, seed: number): BaseUsageTruth {
  const truth = usageTruth(usage);
  const to = usage.from + usage.weeks * weekMs;
  return {
    seed,
    from: usage.from,
    to,
    people: truth.people,
    deviceTypes: [...usageDeviceTypes],
    days: truth.days,
    weeks: truth.weeks,
    cohorts: truth.cohorts,
    lifecycle: truth.lifecycle,
    funnel: {
      steps: [...usageDeviceTypes],
      windowS: usageFunnelWindowMs / 1000,
      countBy: 'individual',
      weeks: truth.weeks.map(({ start }) => ({ from: start, to: start + weekMs, ...funnelTruth(usage, start, start + weekMs) })),
    },
  };
}

/** Writes the truth to `dir`; answers the file's path. */
export async function writeBaseUsageTruth(truth: BaseUsageTruth, dir: string): Promise<string> {
  const path = join(dir, usageTruthFile);
  await writeFile(path, `${JSON.stringify(z.encode(baseUsageTruthSchema, truth), null, 2)}\n`);
  return path;
}
