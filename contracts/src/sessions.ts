import { z } from 'zod';
import { idSchema, typeNameSchema } from './ids.js';
import { instantSchema } from './time.js';
import { subjectKindSchema } from './registry.js';

/** `threshold`: the telemetry fell back past its per-type threshold. */
export const sessionCloseReasons = ['stop', 'idle_timeout', 'max_length', 'threshold'] as const;

/** A usage session of one device, as served by the API and published on `subjects/{id}/sessions`. */
export const usageSessionSchema = z.object({
  id: z.string().describe('stable: the device and the start time, so a re-derivation replaces it'),
  deviceId: idSchema.describe('the device used'),
  deviceType: typeNameSchema.describe("the device's type"),
  subjectId: idSchema.nullable().describe('the subject the device was assigned to at the start; null: none'),
  subjectKind: subjectKindSchema.nullable().describe("that subject's kind"),
  subjectType: typeNameSchema.nullable().describe("that subject's type"),
  actor: idSchema.nullable().describe('the individual named by the device, when a member at the time'),
  inferredActor: idSchema
    .nullable()
    .describe('INFERRED, not reported: the member whose personal devices were active nearest the start of a shared-device session with no actor'),
  inferenceConfidence: z.number().min(0).max(1).nullable().describe('how sure the inference is (0–1); null when nothing was inferred'),
  start: instantSchema.describe('its first message, by device time (ISO 8601)'),
  end: instantSchema.describe('its end, by device time (ISO 8601)'),
  durationS: z.number().nonnegative().describe('end − start, in seconds'),
  events: z.number().int().nonnegative().describe('messages it is made of'),
  closedBy: z.enum(sessionCloseReasons).describe('what closed it'),
});
export type UsageSession = z.output<typeof usageSessionSchema>;

export function sessionId(deviceId: string, startMs: number): string {
  return `${deviceId}@${startMs}`;
}
