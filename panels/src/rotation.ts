import { createHash } from 'node:crypto';

/** A member's rotation group: a hash of the draw's seed and the id, so that groups are even and never depend on the order of a draw. */
export function rotationGroupOf(individualId: string, seed: number, groups: number): number {
  if (groups <= 1) return 0;
  return createHash('sha256').update(`${seed}:${individualId}`).digest().readUInt32BE(0) % groups;
}
