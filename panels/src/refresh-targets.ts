/** A quota cell as a refresh sees it: its levels, its exact proportional quota, and the bounds it may take. */
export interface TargetCell {
  key: string;
  levels: Readonly<Record<string, string>>;
  /** The exact proportional quota n·N_h/N (for a given allocation: the given count). */
  quota: number;
  lo: number;
  hi: number;
}

/**
 * Each cell's size after a refresh, moving as few members as possible: a cell keeps its members while
 * their count lies between the floor and the ceiling of its quota of the universe now; one below is filled
 * to its floor, one above brought down to its ceiling. The panel is then brought back to its size one member
 * at a time, each time in the cell whose change best brings every one-way margin to its own quota, so
 * that rounding alone makes nobody leave, and margins stay where a fresh allocation would put them.
 */
export function refreshTargets(cells: readonly TargetCell[], current: ReadonlyMap<string, number>, size: number): Map<string, number> {
  const target = new Map(cells.map((c) => [c.key, Math.min(c.hi, Math.max(c.lo, current.get(c.key) ?? 0))]));
  const marginKey = (variable: string, level: string) => `${variable}\u0000${level}`;
  const wanted = new Map<string, number>();
  const margin = new Map<string, number>();
  for (const c of cells) {
    for (const [variable, level] of Object.entries(c.levels)) {
      const key = marginKey(variable, level);
      wanted.set(key, (wanted.get(key) ?? 0) + c.quota);
      margin.set(key, (margin.get(key) ?? 0) + target.get(c.key)!);
    }
  }
  const gap = (c: TargetCell, step: 1 | -1) =>
    Object.entries(c.levels).reduce((sum, [variable, level]) => {
      const key = marginKey(variable, level);
      return sum + 2 * step * (margin.get(key)! - wanted.get(key)!) + 1;
    }, 0);
  let total = [...target.values()].reduce((a, b) => a + b, 0);
  while (total !== size) {
    const step: 1 | -1 = total < size ? 1 : -1;
    let best: TargetCell | null = null;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const c of cells) {
      const t = target.get(c.key)!;
      if (step === 1 ? t >= c.hi : t <= c.lo) continue;
      // Margins first; then the cell furthest from its quota in the direction of the step.
      const score = gap(c, step) - 1e-6 * step * (c.quota - t);
      if (score < bestScore) [best, bestScore] = [c, score];
    }
    if (best === null) break;
    target.set(best.key, target.get(best.key)! + step);
    for (const [variable, level] of Object.entries(best.levels)) margin.set(marginKey(variable, level), margin.get(marginKey(variable, level))! + step);
    total += step;
  }
  return target;
}
