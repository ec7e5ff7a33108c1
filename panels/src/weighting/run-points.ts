import { measurements, type SchemeRun, tags } from '@parcours/contracts';
import type { InfluxPoint } from '@parcours/gateway';
import type { Logger } from 'pino';

/** A stored run, as InfluxDB receives it: the scheme's date, the report and every member's final weight. */
export type StoredSchemeRun = Pick<SchemeRun, 'schemeId' | 'version' | 'at' | 'ranAt' | 'report'> & { weights: ArrayLike<number> };

/**
 * The histogram's buckets of weight ÷ mean weight, symmetric on a log scale around 1 (0.8 and 1.25, 0.5 and 2,
 * 0.25 and 4), so that schemes of any size and total compare. Each holds [lower, next lower); the first holds
 * everything below 0.25, zero and negative weights included. The labels sort as the buckets do, which is the
 * order InfluxDB returns their series in.
 */
export const weightBuckets: readonly { label: string; lower: number }[] = [
  { label: '0.00–0.25', lower: Number.NEGATIVE_INFINITY },
  { label: '0.25–0.50', lower: 0.25 },
  { label: '0.50–0.80', lower: 0.5 },
  { label: '0.80–1.25', lower: 0.8 },
  { label: '1.25–2.00', lower: 1.25 },
  { label: '2.00–4.00', lower: 2 },
  { label: '4.00+', lower: 4 },
];

/** How many weights fall in each of `weightBuckets`, relative to `mean`. */
export function weightHistogram(weights: ArrayLike<number>, mean: number): number[] {
  const counts = weightBuckets.map(() => 0);
  for (let k = 0; k < weights.length; k += 1) {
    const relative = weights[k]! / mean;
    let bucket = weightBuckets.length - 1;
    while (bucket > 0 && relative < weightBuckets[bucket]!.lower) bucket -= 1;
    counts[bucket]! += 1;
  }
  return counts;
}

const crossed = (values: readonly string[]) => values.join('×');

/** The fields that have a value: line protocol has no NaN nor infinity (the figures of no weights at all). */
const finite = (fields: Record<string, number>) => Object.fromEntries(Object.entries(fields).filter(([, value]) => Number.isFinite(value)));

/**
 * The points of one run, all at its time: `weighting` (the report), `weighting_margin` (one per margin cell) and
 * `weighting_weights` (every bucket, empty ones too, so that the last value of each is the latest run's).
 */
export function schemeRunPoints(run: StoredSchemeRun): InfluxPoint[] {
  const { report } = run;
  const scheme = { [tags.scheme]: run.schemeId, [tags.version]: String(run.version), [tags.method]: report.method };
  const at = { timestampMs: run.ranAt };
  const summary: InfluxPoint = {
    measurement: measurements.weighting,
    tags: scheme,
    fields: finite({
      total: report.weights.total,
      min: report.weights.min,
      max: report.weights.max,
      mean: report.weights.mean,
      cv: report.weights.cv,
      design_effect: report.weights.designEffect,
      effective_size: report.weights.effectiveSize,
      largest_margin_error: report.largestMarginError,
    }),
    intFields: { n: report.weights.n, trimmed: report.trimmed, iterations: report.iterations, converged: report.converged ? 1 : 0 },
    ...at,
  };
  const margins = report.margins.map(
    ({ levels, target, before, after }): InfluxPoint => ({
      measurement: measurements.weightingMargin,
      tags: { ...scheme, [tags.variable]: crossed(Object.keys(levels)), [tags.level]: crossed(Object.values(levels)) },
      // A relative gap has no value where the target is 0: left out, as fields without a value are.
      fields: finite({ target, before, after, ...(target > 0 ? { before_gap: (before - target) / target, after_gap: (after - target) / target } : {}) }),
      ...at,
    }),
  );
  const people = run.weights.length;
  const histogram =
    report.weights.mean > 0 && people > 0
      ? weightHistogram(run.weights, report.weights.mean).map(
          (count, b): InfluxPoint => ({
            measurement: measurements.weightingWeights,
            tags: { ...scheme, [tags.bucket]: weightBuckets[b]!.label },
            fields: { share: count / people },
            intFields: { count },
            ...at,
          }),
        )
      : [];
  return [summary, ...margins, ...histogram];
}

/** Sends each stored run's points; a failed write is logged, never failing the run that was stored. */
export function schemeRunWriter(writePoints: (points: InfluxPoint[]) => Promise<void>, logger: Logger): (run: StoredSchemeRun) => void {
  return (run) => {
    Promise.resolve()
      .then(() => writePoints(schemeRunPoints(run)))
      .catch((error: unknown) => logger.warn({ err: error, scheme: run.schemeId, version: run.version }, 'could not write the weighting run to InfluxDB'));
  };
}
