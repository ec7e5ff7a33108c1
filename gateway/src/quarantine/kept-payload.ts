import { createHash } from 'node:crypto';

/** What the quarantine keeps of a payload: the bytes stored, and the whole payload's size and SHA-256 (hex). */
export interface KeptPayload {
  payload: Buffer;
  payloadSize: number;
  payloadSha256: string;
}

/**
 * All of a payload up to `maxPayloadBytes`, so that it can be replayed once its cause is fixed; of a larger
 * one (it can never be accepted, and the packet size lets it weigh a megabyte) only the first `prefixBytes`,
 * enough to see what it was, with what identifies the whole.
 */
export function keptPayload(payload: Buffer, limits: { maxPayloadBytes: number; prefixBytes: number } | null = null): KeptPayload {
  const kept = limits !== null && payload.length > limits.maxPayloadBytes ? Buffer.from(payload.subarray(0, limits.prefixBytes)) : payload;
  return { payload: kept, payloadSize: payload.length, payloadSha256: createHash('sha256').update(payload).digest('hex') };
}

/** Only a prefix of the payload is kept: the message cannot be replayed. */
export function isTruncated(entry: Pick<KeptPayload, 'payload' | 'payloadSize'>): boolean {
  return entry.payload.length < entry.payloadSize;
}
