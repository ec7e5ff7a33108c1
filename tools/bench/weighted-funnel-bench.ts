import type { Funnel } from '@parcours/contracts';
import { computeFunnel, type Occurrence, stepKey, WeightedFigures, weightedFunnel } from '@parcours/analytics';
import { seededRandom } from '@parcours/sampling';
import { rake } from '@parcours/weighting';
import { sampleAndMargins } from './raking-bench.js';

/**
 * A weighted funnel over a month of a city-scale panel: 10,000 members raked over 24 levels, each with a month
 * of mornings (a coffee, then a shower within the hour for some), drawn from a seed. The weighted funnel (every
 * step's total and conversion, each with its standard error by linearization) against the unweighted count of
 * the same occurrences; each the median of five runs after one to warm up.
 */
const day = 86_400_000;
const month = Date.UTC(2026, 2, 2);
const funnel: Funnel = {
  name: 'morning',
  countBy: 'individual',
  window: 3_600_000,
  steps: [{ deviceType: 'coffee_machine' }, { deviceType: 'water_heater' }, { eventType: 'door.opened' }],
};

function mornings(ids: readonly string[]): Occurrence[] {
  const random = seededRandom(30);
  const [coffee, shower, door] = funnel.steps.map(stepKey) as [string, string, string];
  const occurrences: Occurrence[] = [];
  ids.forEach((subjectId, k) => {
    // Habits differ by person: how often their mornings come, and how far they go.
    const often = 0.2 + (0.7 * ((k * 7919) % 1000)) / 1000;
    for (let d = 0; d < 30; d++) {
      if (random() >= often) continue;
      const ts = month + d * day + 6 * 3_600_000 + Math.floor(random() * 7_200_000);
      occurrences.push({ subjectId, ts, key: coffee });
      if (random() < 0.6) occurrences.push({ subjectId, ts: ts + 1_200_000, key: shower });
      if (random() < 0.4) occurrences.push({ subjectId, ts: ts + 2_400_000, key: door });
    }
  });
  return occurrences;
}

function medianMs(run: () => unknown): number {
  run();
  const times = Array.from({ length: 5 }, () => {
    const started = performance.now();
    run();
    return performance.now() - started;
  }).sort((a, b) => a - b);
  return times[2]!;
}

export function weightedFunnelTimes(): { members: number; occurrences: number; unweighted: number; weighted: number } {
  const { sample, margins } = sampleAndMargins();
  const size = sample.baseWeights!.length;
  const ids = Array.from({ length: size }, (_, k) => `m${String(k).padStart(5, '0')}`);
  const weighting = rake(sample, margins, { epsilon: 1e-6, maxit: 100 });
  const figures = new WeightedFigures({ schemeId: 'bench', version: 1, at: month, ranAt: month, ids, weighting });
  const occurrences = mornings(ids);
  const to = month + 30 * day;
  return {
    members: size,
    occurrences: occurrences.length,
    unweighted: medianMs(() => computeFunnel(funnel, month, to, occurrences)),
    weighted: medianMs(() => weightedFunnel(funnel, month, to, occurrences, figures)),
  };
}
