import { z } from 'zod';
import { deviceTimestampSchema, instantSchema } from './time.js';
import { idSchema } from './ids.js';

/** `(deviceId, seq)` identifies a message; seq increases per device. */
const seqSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const metricNameSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'snake_case metric name');

export const telemetryPayloadSchema = z.strictObject({
  ts: deviceTimestampSchema,
  seq: seqSchema,
  metrics: z
    .record(metricNameSchema, z.union([z.number().finite(), z.boolean()]))
    .refine((m) => Object.keys(m).length > 0, 'at least one metric')
    // `seq` is the message's own field in the stored telemetry point.
    .refine((m) => !('seq' in m), 'seq is reserved and cannot be a metric name'),
});
export type TelemetryPayload = z.infer<typeof telemetryPayloadSchema>;
export type TelemetryPayloadInput = z.input<typeof telemetryPayloadSchema>;

/** The three core types, or any namespaced lower-case type such as `door.opened`. */
export const eventTypeSchema = z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$|^interaction$/, 'usage.start, usage.stop, interaction or a namespaced type');

export const eventPayloadSchema = z.strictObject({
  ts: deviceTimestampSchema,
  seq: seqSchema,
  type: eventTypeSchema,
  actor: idSchema.optional(),
  attrs: z.record(z.string().max(64), z.union([z.string().max(256), z.number().finite(), z.boolean(), z.null()])).optional(),
});
export type EventPayload = z.infer<typeof eventPayloadSchema>;
export type EventPayloadInput = z.input<typeof eventPayloadSchema>;

/** Status is plain text so that an MQTT last will can carry it. */
export const statusPayloadSchema = z.enum(['online', 'offline']);
export type StatusPayload = z.infer<typeof statusPayloadSchema>;

/** A device's presence (from its retained status and last will) and its latest changes, newest first. */
export const devicePresenceSchema = z.object({
  deviceId: z.string().describe('the device'),
  status: statusPayloadSchema.nullable().describe('null: the device never reported a status'),
  since: instantSchema.nullable().describe('when it took that status; null: never reported'),
  changes: z
    .array(z.object({ status: statusPayloadSchema.describe('the status it took'), at: instantSchema.describe('when') }))
    .describe('its latest changes of status, newest first'),
});
export type DevicePresence = z.output<typeof devicePresenceSchema>;
