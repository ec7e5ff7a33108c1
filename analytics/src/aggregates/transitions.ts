import type { Transition } from '@parcours/contracts';

/** What a journey's transitions need: its subject's type and its steps in start order. */
export interface JourneySteps {
  subjectType: string | null;
  steps: readonly { deviceType: string; start: number; end: number }[];
}

/** A journey's steps with its subject, for figures per person. */
export interface SubjectJourneySteps extends JourneySteps {
  subjectId: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Each pair of consecutive steps of the journeys, counted by subject type and device types, with the
 * median gap (next start − previous end, clamped at 0: steps of one journey may overlap). Most frequent
 * first; ties in a fixed order, so that a recomputation gives the same list.
 */
export function aggregateTransitions(journeys: Iterable<JourneySteps>): Transition[] {
  const groups = new Map<string, { subjectType: string | null; fromType: string; toType: string; gaps: number[] }>();
  for (const { subjectType, steps } of journeys) {
    for (let i = 1; i < steps.length; i++) {
      const [previous, next] = [steps[i - 1]!, steps[i]!];
      const key = JSON.stringify([subjectType, previous.deviceType, next.deviceType]);
      const group = groups.get(key) ?? { subjectType, fromType: previous.deviceType, toType: next.deviceType, gaps: [] };
      group.gaps.push(Math.max(0, next.start - previous.end) / 1000);
      groups.set(key, group);
    }
  }
  return [...groups.values()]
    .map(({ gaps, ...pair }) => ({ ...pair, count: gaps.length, medianGapS: median(gaps) }))
    .sort((a, b) => b.count - a.count || compare(a.subjectType ?? '', b.subjectType ?? '') || compare(a.fromType, b.fromType) || compare(a.toType, b.toType));
}

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
