import { z } from 'zod';
import { idSchema, typeNameSchema } from './ids.js';
import { instantSchema } from './time.js';

/**
 * Aggregates of the stored sessions and journeys, as served by the API. They are pure
 * functions of the store, so the streaming and batch results agree by construction.
 */

/** A pair of consecutive steps of journeys: the data of a Sankey (path) view. */
export const transitionSchema = z.object({
  subjectType: typeNameSchema.nullable().describe("the journeys' subject type"),
  fromType: typeNameSchema.describe('device type of the earlier step'),
  toType: typeNameSchema.describe('device type of the next step'),
  count: z.number().int().positive().describe('how many times the one step followed the other'),
  medianGapS: z.number().nonnegative().describe('median of next start − previous end, clamped at 0, in seconds'),
});
export type Transition = z.output<typeof transitionSchema>;

export const activityPeriods = ['day', 'week'] as const;
export type ActivityPeriod = (typeof activityPeriods)[number];

/** Activity of one UTC day, or ISO week (from Monday 00:00 UTC), for one subject type and device type. */
export const activitySchema = z.object({
  period: z.enum(activityPeriods).describe('a UTC day, or an ISO week'),
  start: instantSchema.describe('start of the day or week (UTC)'),
  subjectType: typeNameSchema.nullable().describe('null: devices assigned to no subject'),
  deviceType: typeNameSchema.describe('the devices counted'),
  activeSubjects: z.number().int().nonnegative().describe("distinct subjects: the owners of the sessions, and their reported actors under the actor's type"),
  activeDevices: z.number().int().nonnegative().describe('distinct devices with a session'),
  sessions: z.number().int().nonnegative().describe('sessions starting in the period'),
});
export type Activity = z.output<typeof activitySchema>;

/** Where a share's actor comes from: reported by the device, inferred by Parcours, or nobody. */
export const shareSources = ['reported', 'inferred', 'none'] as const;
export type ShareSource = (typeof shareSources)[number];

export const usageShareSchema = z.object({
  sessions: z.number().int().nonnegative().describe('sessions counted here'),
  durationS: z.number().nonnegative().describe('their total duration, in seconds'),
  share: z.number().min(0).max(1).describe("of the device's use: its duration, or its sessions when the device's duration is 0"),
});
export type UsageShare = z.output<typeof usageShareSchema>;

export const memberShareSchema = usageShareSchema.extend({ actor: idSchema.describe('the member') });
export type MemberShare = z.output<typeof memberShareSchema>;

/** How the members of a collective shared one of its devices. */
export const sharedUsageSchema = z.object({
  deviceId: idSchema.describe('the shared device'),
  deviceType: typeNameSchema.describe("the device's type"),
  subjectId: idSchema.describe('the collective the device was assigned to'),
  sessions: z.number().int().nonnegative().describe('its sessions starting in the range'),
  durationS: z.number().nonnegative().describe('their total duration, in seconds'),
  reported: z.array(memberShareSchema).describe('by the actor the device reported'),
  inferred: z.array(memberShareSchema).describe('INFERRED, not reported: sessions without an actor, by the member Parcours inferred'),
  unattributed: usageShareSchema.describe('sessions with neither'),
});
export type SharedUsage = z.output<typeof sharedUsageSchema>;
