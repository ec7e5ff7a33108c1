import { z } from 'zod';

/** Who holds the ingest lease: the holder writes it into the lease (a Redis value, a retained MQTT message). */
export const leaseClaimSchema = z.object({
  nodeId: z.string(),
  host: z.string(),
  pid: z.number().int(),
  /** The store the holder derives from (`store-id` in its data folder). */
  storeId: z.string(),
  /** When the holder took the lease (ISO 8601). */
  since: z.string(),
  /** Unique to one taking of the lease: a restarted node, or a node named like another, never matches it. */
  token: z.string(),
  /** External mode: the client id whose broker session holds the shared subscription and its queued share. */
  session: z.string().optional(),
});
export type LeaseClaim = z.infer<typeof leaseClaimSchema>;

/** The claim in a lease's text; null when the text is not one (another format, another program). */
export function parseClaim(text: string): LeaseClaim | null {
  try {
    const parsed = leaseClaimSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A lease whose text is not a claim still counts as held, by an unknown node. */
export function unknownClaim(text: string): LeaseClaim {
  return { nodeId: 'an unknown node', host: '?', pid: 0, storeId: '?', since: '', token: text };
}

/** `node-7f3a on host x, since 2026-01-05 10:02 UTC`, for the one-line refusals. */
export function describeHolder(claim: LeaseClaim): string {
  const since = Number.isNaN(Date.parse(claim.since)) ? '' : `, since ${new Date(claim.since).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `${claim.nodeId} on host ${claim.host}${since}`;
}
