import { errorCodes, ParcoursError } from '@parcours/contracts';
import { z } from 'zod';
import { studentQuantile } from './distributions.js';
import { linearizedVariance, replicateVariance } from './variance.js';
import { summarizeWeights, type Weighting } from './weighting.js';

/** How to estimate: the variance method, the confidence level and the subpopulation. */
export const estimateOptionsSchema = z.object({
  /** `linearization` (Taylor, accounting for the weighting) or `jackknife` (the weighting's replicates). */
  variance: z.enum(['linearization', 'jackknife']).default('linearization'),
  level: z.number().gt(0).lt(1).default(0.95),
  /**
   * The subpopulation (domain) to estimate for: 1 for each person in it, 0 for the others, one entry per person;
   * everyone when absent. The others stay in the design with a weight of 0, as R's `subset(design, …)` keeps
   * them, so the variance still sees the whole sample, its strata and its weighting.
   */
  domain: z
    .custom<ArrayLike<number>>((value) => typeof value === 'object' && value !== null && typeof (value as ArrayLike<number>).length === 'number', {
      message: 'domain must be an array of 0 and 1, one entry per person',
    })
    .optional(),
});
export type EstimateOptions = z.input<typeof estimateOptionsSchema>;
type Settings = z.output<typeof estimateOptionsSchema>;

/** A weighted estimate with its uncertainty. */
export interface Estimate {
  estimate: number;
  standardError: number;
  /** At `level`: estimate ± z·SE (normal quantile), or the logit interval for a proportion. */
  lower: number;
  upper: number;
  level: number;
  variance: 'linearization' | 'JK1' | 'JKn';
  /** People with a weight other than 0: of the domain when one is given. */
  n: number;
  /** Kish's design effect of the weights, 1 + CV²: of the domain's weights when one is given. */
  designEffect: number;
  /** n divided by the design effect. */
  effectiveSize: number;
}

/** A proportion's estimate: its interval comes from the logit scale, with a Student t quantile. */
export interface ProportionEstimate extends Estimate {
  /**
   * Of the t quantile, as `survey`'s `degf` counts them. By linearization n − H, people of weight other than 0
   * less the strata they are in (of the domain: its people less the strata holding some). By jackknife n − 1
   * (JK1) or n − H (JKn); of a domain that leaves someone out, n_D − 1 (the rank of its replicate weights, less 1).
   */
  degreesOfFreedom: number;
}

/** The weighted total Σ_D w_k y_k, as R's `svytotal`, with a normal confidence interval. */
export function estimateTotal(weighting: Weighting, values: ArrayLike<number>, options: EstimateOptions = {}): Estimate {
  const settings = estimateOptionsSchema.parse(options);
  const y = valuesOf(weighting, values);
  const domain = domainOf(weighting, settings.domain);
  const total = (weights: Float64Array) => weights.reduce((sum, w, k) => sum + w * domain[k]! * y[k]!, 0);
  const variance =
    settings.variance === 'jackknife'
      ? jackknifeVariance(weighting, total)
      : linearizedVariance(
          weighting,
          Float64Array.from(y, (value, k) => value * weighting.weights[k]! * domain[k]!),
        );
  return normalInterval(weighting, domain, total(weighting.weights), variance, settings);
}

/** The weighted mean Σ_D w_k y_k / Σ_D w_k, as R's `svymean`, with a normal confidence interval. */
export function estimateMean(weighting: Weighting, values: ArrayLike<number>, options: EstimateOptions = {}): Estimate {
  const settings = estimateOptionsSchema.parse(options);
  const y = valuesOf(weighting, values);
  const domain = domainOf(weighting, settings.domain);
  const mean = meanOf(weighting.weights, y, domain);
  const variance =
    settings.variance === 'jackknife'
      ? jackknifeVariance(weighting, (weights) => meanOf(weights, y, domain))
      : linearizedVariance(weighting, meanInfluence(weighting.weights, y, domain, mean));
  return normalInterval(weighting, domain, mean, variance, settings);
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
  const domain = domainOf(weighting, settings.domain);
  const p = meanOf(weighting.weights, y, domain);
  const jackknife = settings.variance === 'jackknife';
  const variance = jackknife
    ? jackknifeVariance(weighting, (weights) => meanOf(weights, y, domain))
    : linearizedVariance(weighting, meanInfluence(weighting.weights, y, domain, p));
  const logit = (q: number) => Math.log(q / (1 - q));
  const logitError = jackknife ? Math.sqrt(jackknifeVariance(weighting, (weights) => logit(meanOf(weights, y, domain)))) : Math.sqrt(variance) / (p * (1 - p));
  const degreesOfFreedom = jackknife ? jackknifeDegreesOfFreedom(weighting, domain) : linearizedDegreesOfFreedom(weighting, domain);
  const t = studentQuantile(1 - (1 - settings.level) / 2, degreesOfFreedom);
  const expit = (x: number) => 1 / (1 + Math.exp(-x));
  const inside = p > 0 && p < 1;
  return {
    ...spread(weighting, domain, settings),
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

/**
 * The domain as a 0/1 factor per person (everyone's 1 when none is given), once it is one entry per person and
 * holds someone of weight other than 0.
 */
function domainOf(weighting: Weighting, mask: ArrayLike<number> | undefined): Float64Array {
  const size = weighting.weights.length;
  if (mask === undefined) return new Float64Array(size).fill(1);
  if (mask.length !== size) throw new ParcoursError(errorCodes.validation, `a domain of ${mask.length} entries for ${size} people: one entry per person`);
  const domain = Float64Array.from(mask);
  if (domain.some((entry) => entry !== 0 && entry !== 1))
    throw new ParcoursError(errorCodes.validation, 'a domain is 1 for each person in it, 0 for the others');
  const people = domain.reduce((count, entry) => count + entry, 0);
  if (people === 0) throw new ParcoursError(errorCodes.weightingEmptyDomain, 'the domain holds no one');
  if (weighting.weights.reduce((sum, w, k) => sum + w * domain[k]!, 0) === 0)
    throw new ParcoursError(errorCodes.weightingEmptyDomain, `the domain's ${people} people have a total weight of 0`);
  return domain;
}

/** Σ_D w y / Σ_D w; a replicate that leaves out a domain's only person has no such mean. */
function meanOf(weights: Float64Array, y: Float64Array, domain: Float64Array): number {
  let total = 0;
  let sum = 0;
  for (let k = 0; k < y.length; k++) {
    total += weights[k]! * domain[k]!;
    sum += weights[k]! * domain[k]! * y[k]!;
  }
  if (total === 0)
    throw new ParcoursError(errorCodes.weightingEmptyDomain, 'a jackknife replicate leaves no weight in the domain: it needs two people or more');
  return sum / total;
}

/** (y_k − ȳ_D)·w_k·1_D(k)/Σ_D w: the mean's influence values, 0 outside the domain. */
function meanInfluence(weights: Float64Array, y: Float64Array, domain: Float64Array, mean: number): Float64Array {
  const total = weights.reduce((sum, w, k) => sum + w * domain[k]!, 0);
  return Float64Array.from(y, (value, k) => ((value - mean) * weights[k]! * domain[k]!) / total);
}

function jackknifeVariance(weighting: Weighting, estimator: (weights: Float64Array) => number): number {
  const replicates = weighting.replicates;
  if (!replicates) throw new ParcoursError(errorCodes.validation, 'a jackknife variance needs a weighting made with replicates (JK1 or JKn)');
  return replicateVariance(Float64Array.from(replicates.weights, estimator), replicates.rscales, replicates.scale);
}

/** n − H over the domain's people of weight other than 0, H the strata they are in: `degf` of a `survey.design2`. */
function linearizedDegreesOfFreedom(weighting: Weighting, domain: Float64Array): number {
  const strata = new Set<number>();
  let people = 0;
  weighting.weights.forEach((w, k) => {
    if (w === 0 || domain[k] === 0) return;
    people++;
    strata.add(weighting.design.stratumOf[k]!);
  });
  return people - strata.size;
}

/**
 * The replicates' n − 1 or n − H; of a domain that leaves someone out, n_D − 1: `survey` counts the rank of the
 * domain's replicate weights, which is then its number of people.
 */
function jackknifeDegreesOfFreedom(weighting: Weighting, domain: Float64Array): number {
  const people = domain.reduce((count, entry) => count + entry, 0);
  return people < domain.length ? people - 1 : weighting.replicates!.degreesOfFreedom;
}

/** The level, the variance method, and n, design effect and n_eff of the domain's weights. */
function spread(weighting: Weighting, domain: Float64Array, settings: Settings) {
  const { n, designEffect, effectiveSize } = summarizeWeights(Float64Array.from(weighting.weights, (w, k) => w * domain[k]!));
  return {
    level: settings.level,
    variance: settings.variance === 'jackknife' ? weighting.replicates!.type : ('linearization' as const),
    n,
    designEffect,
    effectiveSize,
  };
}

function normalInterval(weighting: Weighting, domain: Float64Array, estimate: number, variance: number, settings: Settings): Estimate {
  const standardError = Math.sqrt(variance);
  const z = studentQuantile(1 - (1 - settings.level) / 2, Number.POSITIVE_INFINITY);
  return { ...spread(weighting, domain, settings), estimate, standardError, lower: estimate - z * standardError, upper: estimate + z * standardError };
}
