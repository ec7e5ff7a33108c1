import type { Funnel, WeightedFunnel } from '@parcours/contracts';
import { funnelPaths, type Occurrence } from '../funnels/funnel-counter.js';
import { requireIndividuals, type WeightedFigures } from './weighted-figures.js';

/**
 * The funnel for the population: people entering, and reaching each step — as the funnel counts its subjects,
 * each at the furthest step any of their entries reached — with the conversions as shares of those entering
 * (or reaching the previous step), estimated within that group.
 */
export function weightedFunnel(funnel: Funnel, from: number, to: number, occurrences: readonly Occurrence[], figures: WeightedFigures): WeightedFunnel {
  requireIndividuals(funnel.countBy, `funnel "${funnel.name}" (declare one with countBy: individual)`);
  const reached = funnel.steps.map(() => figures.zeros());
  for (const [subjectId, times] of funnelPaths(funnel, from, to, occurrences)) {
    const k = figures.position(subjectId);
    if (k === undefined) continue;
    for (let step = 0; step < times.length; step++) reached[step]![k] = 1;
  }
  const entered = reached[0]!;
  const last = reached.at(-1)!;
  return {
    entered: figures.total(entered),
    enteredShare: figures.share(entered)!,
    converted: figures.total(last),
    conversion: figures.share(last, entered),
    steps: reached.map((values, step) => ({
      step: step + 1,
      reached: figures.total(values),
      conversionFromPrevious: figures.share(values, reached[Math.max(0, step - 1)]),
      conversionFromStart: figures.share(values, entered),
    })),
  };
}
