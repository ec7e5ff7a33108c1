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
    return { message, deviceId, body: { channel: 'telemetry', payload: result.data } };
  }
  const result = eventPayloadSchema.safeParse(decoded.json);
  if (!result.success) return new Rejection(errorCodes.schema, formatIssues(result.error), deviceId, 'events');
  return { message, deviceId, body: { channel: 'events', payload: result.data } };
}
