/** A row of a source file, with what its import should make of it, as planted. */

export type RowOutcome = 'matched' | 'unmatched' | 'ambiguous';

export interface SourceRow {
  /** Value by column; an empty string: the source says nothing. */
  cells: Readonly<Record<string, string>>;
  outcome: RowOutcome;
  /** The attributes whose value differs from a higher-priority source's at the row's valid_from. */
  conflicts: readonly string[];
  /** Its postcode serves several communes and it gives no commune code: the import flags it. */
  flaggedPlace?: boolean;
}

export const dayMs = 86_400_000;

export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const isoInstant = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
/** Midnight UTC of the day of `ms`. */
export const dayOf = (ms: number): number => Math.floor(ms / dayMs) * dayMs;

/** The first `count` of a random permutation of `pool` (which it reorders): a draw without replacement. */
export function drawDistinct(rng: () => number, pool: Int32Array, count: number): Int32Array {
  const n = Math.min(count, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng() * (pool.length - i));
    const swap = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = swap;
  }
  return pool.subarray(0, n);
}
