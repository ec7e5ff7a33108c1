import type { Funnel } from '@parcours/contracts';
import { computeFunnel, type Occurrence, stepKey, WeightedFigures, weightedFunnel } from '@parcours/analytics';
import { customerId, generateCustomerBase, generateUsage, usageDeviceTypes, usageFunnelWindowMs } from '@parcours/firmware-sim';
import { seededRandom } from '@parcours/sampling';
import { type Margin, rake } from '@parcours/weighting';

/**
 * A weighted funnel over a simulated month of a city-scale panel: the simulator's customer base and its usage
 * over four weeks; its members who answer (the young less often, as panels find) raked to the base's age bands and
 * household sizes. The weighted funnel (every step's total and conversion, each with its standard error by
 * linearization) against the unweighted count of the same occurrences; each the median of five runs after one.
 */
const size = 12_000;
const month = Date.UTC(2026, 2, 2); // a Monday
const response = [0.6, 0.7, 0.8, 0.85, 0.9, 0.9];
const ageBands = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'];
const funnel: Funnel = {
  name: 'morning',
  countBy: 'individual',
  window: usageFunnelWindowMs,
  steps: usageDeviceTypes.map((deviceType) => ({ deviceType })),
};

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
  const base = generateCustomerBase({ size, seed: 31, startsAt: month - 365 * 86_400_000 });
  const { customers } = base;
  const usage = generateUsage(base, { seed: 31, from: month, weeks: 4 });
  const random = seededRandom(31);
  const members = Array.from({ length: customers.count }, (_, i) => i).filter((i) => random() < response[customers.ageBand[i]!]!);
  const ageOf = (i: number) => ageBands[customers.ageBand[i]!]!;
  const sizeOf = (i: number) => String(customers.householdSize[i]);
  const counted = (variable: string, level: (i: number) => string): Margin => {
    const totals = new Map<string, number>();
    for (let i = 0; i < customers.count; i++) totals.set(level(i), (totals.get(level(i)) ?? 0) + 1);
    return { variables: [variable], cells: [...totals].map(([value, total]) => ({ levels: { [variable]: value }, total })) };
  };
  const weighting = rake(
    { levels: { age_band: members.map(ageOf), household_size: members.map(sizeOf) } },
    [counted('age_band', ageOf), counted('household_size', sizeOf)],
    { epsilon: 1e-6, maxit: 100 },
  );
  const ids = members.map((i) => customerId(customers, i));
  const figures = new WeightedFigures({ schemeId: 'bench', version: 1, at: month, ranAt: month, ids, weighting });
  const occurrences: Occurrence[] = [];
  members.forEach((i, k) => {
    for (let s = usage.first[i]!; s < usage.first[i + 1]!; s++) {
      occurrences.push({ subjectId: ids[k]!, ts: usage.start[s]!, key: stepKey({ deviceType: usageDeviceTypes[usage.deviceType[s]!]! }) });
    }
  });
  const to = month + 28 * 86_400_000;
  return {
    members: members.length,
    occurrences: occurrences.length,
    unweighted: medianMs(() => computeFunnel(funnel, month, to, occurrences)),
    weighted: medianMs(() => weightedFunnel(funnel, month, to, occurrences, figures)),
  };
}
