import { errorCodes, ParcoursError } from '@parcours/contracts';
import { z } from 'zod';
import { studentQuantile } from './distributions.js';
import { linearizedVariance, replicateVariance } from './variance.js';
import type { Weighting } from './weighting.js';

/** How to estimate: the variance method and the confidence level. */
export const estimateOptionsSchema = z.object({
  /** `linearization` (Taylor, accounting for the weighting) or `jackknife` (the weighting's replicates). */
  variance: z.enum(['linearization', 'jackknife']).default('linearization'),
  level: z.number().gt(0).lt(1).default(0.95),
});
export type EstimateOptions = z.input<typeof estimateOptionsSchema>;

/** A weighted estimate with its uncertainty. */
export interface Estimate {
  estimate: number;
  standardError: number;
  /** At `level`: estimate ± z·SE (normal quantile), or the logit interval for a proportion. */
  lower: number;
  upper: number;
  level: number;
  variance: 'linearization' | 'JK1' | 'JKn';
  /** People with a weight other than 0. */
  n: number;
  /** Kish's design effect of the weights, 1 + CV². */
  designEffect: number;
  /** n divided by the design effect. */
  effectiveSize: number;
}

/** A proportion's estimate: its interval comes from the logit scale, with a Student t quantile. */
export interface ProportionEstimate extends Estimate {
  /** Of the t quantile: n − H (people less strata) by linearization and JKn, n − 1 by JK1. */
  degreesOfFreedom: number;
}

/** The weighted total Σ w_k y_k, as R's `svytotal`, with a normal confidence interval. */
export function estimateTotal(weighting: Weighting, values: ArrayLike<number>, options: EstimateOptions = {}): Estimate {
  const settings = estimateOptionsSchema.parse(options);
  const y = valuesOf(weighting, values);
  const total = (weights: Float64Array) => weights.reduce((sum, w, k) => sum + w * y[k]!, 0);
  const variance =
    settings.variance === 'jackknife'
      ? jackknifeVariance(weighting, total)
      : linearizedVariance(
          weighting,
          Float64Array.from(y, (value, k) => value * weighting.weights[k]!),
        );
  return normalInterval(weighting, total(weighting.weights), variance, settings);
}

/** The weighted mean Σ w_k y_k / Σ w_k, as R's `svymean`, with a normal confidence interval. */
export function estimateMean(weighting: Weighting, values: ArrayLike<number>, options: EstimateOptions = {}): Estimate {
  const settings = estimateOptionsSchema.parse(options);
  const y = valuesOf(weighting, values);
  const mean = meanOf(weighting.weights, y);
  const variance =
    settings.variance === 'jackknife'
      ? jackknifeVariance(weighting, (weights) => meanOf(weights, y))
      : linearizedVariance(weighting, meanInfluence(weighting.weights, y, mean));
  return normalInterval(weighting, mean, variance, settings);
}

/**
 * A proportion (the weighted mean of 0/1 values) as R's `svyciprop(method = "logit")`: the standard error is
 * the mean's, and the interval is expit(logit p̂ ± t·SE_logit), inside [0, 1]. By linearization SE_logit =
 * SE/(p̂(1 − p̂)); by jackknife it comes from the replicates' logits. A proportion of 0 or 1 gets the interval
 * [p̂, p̂], the logit being infinite.
 */
export function estimateProportion(weighting: Weighting, values: ArrayLike<number>, options: EstimateOptions = {}): ProportionEstimate {
  const settings = estimateOptionsSchema.parse(options);
  const y = valuesOf(weighting, values);
  if (y.some((value) => value !== 0 && value !== 1)) throw new ParcoursError(errorCodes.validation, 'a proportion needs values of 0 or 1');
  const p = meanOf(weighting.weights, y);
  const jackknife = settings.variance === 'jackknife';
  const variance = jackknife
    ? jackknifeVariance(weighting, (weights) => meanOf(weights, y))
    : linearizedVariance(weighting, meanInfluence(weighting.weights, y, p));
  const logit = (q: number) => Math.log(q / (1 - q));
  const logitError = jackknife ? Math.sqrt(jackknifeVariance(weighting, (weights) => logit(meanOf(weights, y)))) : Math.sqrt(variance) / (p * (1 - p));
  const degreesOfFreedom = jackknife ? weighting.replicates!.degreesOfFreedom : weighting.design.size - weighting.design.strata.length;
  const t = studentQuantile(1 - (1 - settings.level) / 2, degreesOfFreedom);
  const expit = (x: number) => 1 / (1 + Math.exp(-x));
  const inside = p > 0 && p < 1;
  return {
    ...spread(weighting, settings),
    estimate: p,
    standardError: Math.sqrt(variance),
    lower: inside ? expit(logit(p) - t * logitError) : p,
    upper: inside ? expit(logit(p) + t * logitError) : p,
    degreesOfFreedom,
  };
}

function valuesOf(weighting: Weighting, values: ArrayLike<number>): Float64Array {
  if (values.length !== weighting.weights.length) {
    throw new ParcoursError(errorCodes.validation, `${values.length} values for ${weighting.weights.length} people: one value per person`);
  }
  const y = Float64Array.from(values);
  if (!y.every(Number.isFinite)) throw new ParcoursError(errorCodes.validation, 'every value must be a finite number');
  return y;
}

function meanOf(weights: Float64Array, y: Float64Array): number {
  let total = 0;
  let sum = 0;
  for (let k = 0; k < y.length; k++) {
    total += weights[k]!;
    sum += weights[k]! * y[k]!;
  }
  return sum / total;
}

/** (y_k − ȳ)·w_k/Σw: the mean's influence values. */
function meanInfluence(weights: Float64Array, y: Float64Array, mean: number): Float64Array {
  const total = weights.reduce((sum, w) => sum + w, 0);
  return Float64Array.from(y, (value, k) => ((value - mean) * weights[k]!) / total);
}

function jackknifeVariance(weighting: Weighting, estimator: (weights: Float64Array) => number): number {
  const replicates = weighting.replicates;
  if (!replicates) throw new ParcoursError(errorCodes.validation, 'a jackknife variance needs a weighting made with replicates (JK1 or JKn)');
  return replicateVariance(Float64Array.from(replicates.weights, estimator), replicates.rscales, replicates.scale);
}

function spread(weighting: Weighting, settings: z.output<typeof estimateOptionsSchema>) {
  const { n, designEffect, effectiveSize } = weighting.report.weights;
  return {
    level: settings.level,
    variance: settings.variance === 'jackknife' ? weighting.replicates!.type : ('linearization' as const),
    n,
    designEffect,
    effectiveSize,
  };
}

function normalInterval(weighting: Weighting, estimate: number, variance: number, settings: z.output<typeof estimateOptionsSchema>): Estimate {
  const standardError = Math.sqrt(variance);
  const z = studentQuantile(1 - (1 - settings.level) / 2, Number.POSITIVE_INFINITY);
  return { ...spread(weighting, settings), estimate, standardError, lower: estimate - z * standardError, upper: estimate + z * standardError };
}
