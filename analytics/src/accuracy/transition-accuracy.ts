/**
 * Transitions (from device type → to device type, per subject type): the consecutive steps of each
 * journey's path, counted on both sides and compared. The error is the sum of the absolute differences
 * over the truth's total (an L1 relative error), so a missed and a spurious transition both count.
 */

export interface JourneyLike {
  subjectId: string;
  /** Device types in order, joined by ">". */
  path: string;
}

export interface TransitionRow {
  subjectType: string;
  from: string;
  to: string;
  truth: number;
  derived: number;
}

export interface TransitionAccuracy {
  rows: TransitionRow[];
  truthTotal: number;
  derivedTotal: number;
  absoluteError: number;
  /** absoluteError / truthTotal; 0 when both sides are empty. */
  relativeError: number;
}

const keyOf = (subjectType: string, from: string, to: string) => JSON.stringify([subjectType, from, to]);

export function countTransitions(journeys: readonly JourneyLike[], typeOf: (subjectId: string) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { subjectId, path } of journeys) {
    const steps = path.split('>');
    for (let i = 1; i < steps.length; i++) {
      const key = keyOf(typeOf(subjectId), steps[i - 1]!, steps[i]!);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

export function compareTransitions(truth: readonly JourneyLike[], derived: readonly JourneyLike[], typeOf: (subjectId: string) => string): TransitionAccuracy {
  const t = countTransitions(truth, typeOf);
  const d = countTransitions(derived, typeOf);
  const rows = [...new Set([...t.keys(), ...d.keys()])].sort().map((key) => {
    const [subjectType, from, to] = JSON.parse(key) as [string, string, string];
    return { subjectType, from, to, truth: t.get(key) ?? 0, derived: d.get(key) ?? 0 };
  });
  const truthTotal = rows.reduce((sum, r) => sum + r.truth, 0);
  const derivedTotal = rows.reduce((sum, r) => sum + r.derived, 0);
  const absoluteError = rows.reduce((sum, r) => sum + Math.abs(r.derived - r.truth), 0);
  const relativeError = truthTotal === 0 ? (absoluteError === 0 ? 0 : 1) : absoluteError / truthTotal;
  return { rows, truthTotal, derivedTotal, absoluteError, relativeError };
}
