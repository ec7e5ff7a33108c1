import { errorCodes, eventPayloadSchema, statusPayloadSchema, telemetryPayloadSchema } from '@parcours/contracts';
import type { z } from 'zod';
import { reject, type Draft, type Rejection } from './draft.js';

/** `metrics.power_w: expected number, received string; seq: …` — every issue with its path. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ');
}

/** Checks the payload against the channel's contract schema (zod is the source of truth). */
export function validate(draft: Draft): Rejection | void {
  const channel = draft.topic!.channel;
  if (channel === 'status') {
    const result = statusPayloadSchema.safeParse(draft.text!.trim());
    if (!result.success) return reject(errorCodes.schema, 'status must be "online" or "offline"');
    draft.body = { channel, payload: result.data };
    return;
  }
  if (channel === 'telemetry') {
    const result = telemetryPayloadSchema.safeParse(draft.json);
    if (!result.success) return reject(errorCodes.schema, formatIssues(result.error));
    draft.body = { channel, payload: result.data };
    return;
  }
  const result = eventPayloadSchema.safeParse(draft.json);
  if (!result.success) return reject(errorCodes.schema, formatIssues(result.error));
  draft.body = { channel, payload: result.data };
}
