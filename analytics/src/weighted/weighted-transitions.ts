import type { WeightedTransition } from '@parcours/contracts';
import { compare, type SubjectJourneySteps } from '../aggregates/transitions.js';
import type { WeightedFigures } from './weighted-figures.js';

/**
 * Transitions between the steps of people's journeys, for the population: how many times each pair of
 * consecutive device types occurred, and how many people (and what share) went through it. Most frequent first.
 */
export function weightedTransitions(journeys: Iterable<SubjectJourneySteps>, figures: WeightedFigures): WeightedTransition[] {
  const pairs = new Map<string, { fromType: string; toType: string; counts: Float64Array }>();
  for (const { subjectId, steps } of journeys) {
    const k = figures.position(subjectId);
    if (k === undefined) continue;
    for (let i = 1; i < steps.length; i++) {
      const [fromType, toType] = [steps[i - 1]!.deviceType, steps[i]!.deviceType];
      const key = `${fromType}\u0000${toType}`;
      let pair = pairs.get(key);
      if (!pair) pairs.set(key, (pair = { fromType, toType, counts: figures.zeros() }));
      pair.counts[k]! += 1;
    }
  }
  return [...pairs.values()]
    .map(({ fromType, toType, counts }) => {
      const people = counts.map((count) => (count > 0 ? 1 : 0));
      return { fromType, toType, count: figures.total(counts), people: figures.total(people), share: figures.share(people)! };
    })
    .sort((a, b) => b.count.estimate - a.count.estimate || compare(a.fromType, b.fromType) || compare(a.toType, b.toType));
}
