export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 200, capMs: 30_000 };

/**
 * Exponential backoff with full jitter (a random delay up to base·2^attempt, capped), so that many
 * writers recovering from the same outage do not retry in step. A server's Retry-After wins when longer.
 */
export function backoffDelay(attempt: number, random: () => number, policy = defaultBackoff, retryAfterMs: number | null = null): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
  return Math.max(Math.round(random() * ceiling), retryAfterMs ?? 0);
}
