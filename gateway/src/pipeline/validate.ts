import { errorCodes, eventPayloadSchema, statusPayloadSchema, telemetryPayloadSchema } from '@parcours/contracts';
import type { z } from 'zod';
import { type Decoded, Rejection, type Valid } from './message.js';

/** `metrics.power_w: expected number, received string; seq: …` — every issue with its path. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ');
}

/** Checks the payload against the channel's contract schema (zod is the source of truth). */
export function validate(decoded: Decoded): Valid | Rejection {
  const { message, deviceId } = decoded;
  if (decoded.channel === 'status') {
    const result = statusPayloadSchema.safeParse(decoded.text.trim());
    if (!result.success) return new Rejection(errorCodes.schema, 'status must be "online" or "offline"', deviceId, 'status');
    return { message, deviceId, body: { channel: 'status', payload: result.data } };
  }
  if (decoded.channel === 'telemetry') {
    const result = telemetryPayloadSchema.safeParse(decoded.json);
    if (!result.success) return new Rejection(errorCodes.schema, formatIssues(result.error), deviceId, 'telemetry');
    if (namesProto(decoded.json, 'metrics'))
      return new Rejection(errorCodes.schema, 'metrics.__proto__: __proto__ is not a metric name', deviceId, 'telemetry');
    return { message, deviceId, body: { channel: 'telemetry', payload: result.data } };
  }
  const result = eventPayloadSchema.safeParse(decoded.json);
  if (!result.success) return new Rejection(errorCodes.schema, formatIssues(result.error), deviceId, 'events');
  if (namesProto(decoded.json, 'attrs')) return new Rejection(errorCodes.schema, 'attrs.__proto__: __proto__ is not an attribute name', deviceId, 'events');
  return { message, deviceId, body: { channel: 'events', payload: result.data } };
}

/**
 * Whether the payload's record (telemetry metrics, event attributes) has a key `__proto__`. JSON gives it as
 * an own key, but zod leaves it out of the parsed record (a plain object would take it as its prototype), so
 * the value would vanish without a word: it is refused instead, counted with the schema errors.
 */
function namesProto(json: unknown, field: 'metrics' | 'attrs'): boolean {
  const record = (json as Record<string, unknown>)[field];
  return typeof record === 'object' && record !== null && Object.hasOwn(record, '__proto__');
}
