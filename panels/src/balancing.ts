import type { BalancingVariable } from '@parcours/contracts';
import { levelOf } from './margins.js';
import { type UniverseMember, usageKey } from './universe.js';

/**
 * The cube method's inputs for a panel of `size` drawn with equal probabilities: π = size/N for everyone,
 * and one column per balancing total, written x = π·z so that the sample's counts (Σ_s z) match their
 * expectations (Σ_U π·z): a level's count for an attribute (one column per level), the days active for a
 * usage measure. The attributes' names are returned as the variables to report margins on.
 */
export function balancingColumns(
  universe: readonly UniverseMember[],
  balanceOn: readonly BalancingVariable[],
  size: number,
): { pi: Float64Array; columns: Float64Array[]; variables: string[] } {
  const n = universe.length;
  const p = n === 0 ? 0 : Math.min(1, size / n);
  const pi = new Float64Array(n).fill(p);
  const columns: Float64Array[] = [];
  const variables: string[] = [];
  for (const variable of balanceOn) {
    if ('attribute' in variable) {
      variables.push(variable.attribute);
      // Each member's level read once, its column then set in one pass (not one pass per level).
      const memberLevels = universe.map((m) => levelOf(m, variable.attribute));
      const byLevel = new Map([...new Set(memberLevels)].sort().map((level) => [level, new Float64Array(n)]));
      memberLevels.forEach((level, k) => {
        byLevel.get(level)![k] = p;
      });
      columns.push(...byLevel.values());
    } else {
      const key = usageKey(variable.usage, variable.activeWithin);
      columns.push(Float64Array.from(universe, (m) => p * (m.usage[key] ?? 0)));
    }
  }
  // Without an attribute (whose levels sum to π), the sample size is balanced on π itself.
  if (!balanceOn.some((v) => 'attribute' in v)) columns.unshift(Float64Array.from(pi));
  return { pi, columns, variables };
}
