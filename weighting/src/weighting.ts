import { type CodedMargins, cellLevels, cellTotals } from './margins.js';
import { type Jackknife, type JackknifeType, jackknife, replicateBaseWeights } from './replicates.js';
import { type Design, designOf, type WeightingSample } from './sample.js';

/**
 * What a weighting did to the weights, kept for the variance by linearization (applied in order, as R's
 * `svyrecvar` applies a design's `postStrata`): a calibration projects the influence values off the span of
 * the auxiliary variables; a raking removes each margin cell's mean, iterated.
 */
export type Adjustment =
  | {
      kind: 'calibration';
      /** An orthonormal basis of the columns of X·√d (d the design weights). */
      basis: Float64Array[];
      /** g_k·√d_k: influence values are divided by it before the projection and multiplied after. */
      scale: Float64Array;
    }
  | {
      kind: 'raking';
      /** For each margin: each person's cell, and the weights right after that margin was last matched. */
      margins: { cellOf: Int32Array; cells: number; weights: Float64Array }[];
    };

/** Jackknife replicates carried along a weighting: each replicate's weights went through the same steps. */
export interface ReplicateWeights extends Jackknife {
  weights: Float64Array[];
}

/** The weights' spread: Kish's design effect 1 + CV² and the effective sample size n/deff. */
export interface WeightSummary {
  /** People with a weight other than 0. */
  n: number;
  total: number;
  min: number;
  max: number;
  mean: number;
  /** Standard deviation over mean (the standard deviation divided by n, so that deff = 1 + CV²). */
  cv: number;
  /** Kish's design effect due to unequal weights, n·Σw²/(Σw)². */
  designEffect: number;
  /** (Σw)²/Σw²: how many people with equal weights would give the same precision. */
  effectiveSize: number;
}

/** A margin cell's population total against the sample's total before weighting (design weights) and after. */
export interface MarginReport {
  levels: Record<string, string>;
  target: number;
  before: number;
  after: number;
}

/** What a weighting run did, for a report to store and show. */
export interface WeightingReport {
  method: 'design' | 'rake' | 'linear' | 'raking' | 'logit';
  converged: boolean;
  iterations: number;
  /** The largest |after − target| over every margin cell, in people. */
  largestMarginError: number;
  weights: WeightSummary;
  /** How many people's weights trimming moved to a bound. */
  trimmed: number;
  /** Every cell of every margin, in the order of the margins and of their cells. */
  margins: MarginReport[];
}

/** A weighted sample: one final weight per person, and what variances need to account for how they were made. */
export interface Weighting {
  weights: Float64Array;
  design: Design;
  adjustments: readonly Adjustment[];
  replicates?: ReplicateWeights;
  /** The margins weighted to, coded against the sample (none for design weights alone). */
  margins?: CodedMargins;
  report: WeightingReport;
}

/** A weighting scheme's stored run, as weighted figures read it: the members it weighted, in order, and their weighting. */
export interface SchemeWeighting {
  schemeId: string;
  version: number;
  /** The date of its sample and targets. */
  at: number;
  ranAt: number;
  ids: readonly string[];
  weighting: Weighting;
}

/**
 * The sample with its design weights alone, as `svydesign(ids = ~1, strata, weights, fpc)` takes it: for
 * estimates without calibration, and the start of every weighting. `replicates` adds jackknife replicates.
 */
export function designWeighting(sample: WeightingSample, options: { replicates?: JackknifeType } = {}): Weighting {
  const design = designOf(sample);
  const weights = Float64Array.from(design.baseWeights);
  const plan = options.replicates ? jackknife(design, options.replicates) : undefined;
  return {
    weights,
    design,
    adjustments: [],
    ...(plan ? { replicates: { ...plan, weights: Array.from(plan.deleted, (_, r) => replicateBaseWeights(design, plan, r)) } } : {}),
    report: { method: 'design', converged: true, iterations: 0, largestMarginError: 0, weights: summarizeWeights(weights), trimmed: 0, margins: [] },
  };
}

/** Min, max, CV, Kish design effect and effective size of the weights other than 0. */
export function summarizeWeights(weights: Float64Array): WeightSummary {
  let n = 0;
  let total = 0;
  let squares = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const weight of weights) {
    if (weight === 0) continue;
    n++;
    total += weight;
    squares += weight * weight;
    min = Math.min(min, weight);
    max = Math.max(max, weight);
  }
  const mean = total / n;
  const designEffect = (n * squares) / (total * total);
  return { n, total, min, max, mean, cv: Math.sqrt(Math.max(0, designEffect - 1)), designEffect, effectiveSize: (total * total) / squares };
}

/** Every margin cell with a target or a sampled person: target, before (design weights) and after. */
export function marginReports(coded: CodedMargins, before: Float64Array, after: Float64Array): MarginReport[] {
  return coded.margins.flatMap((margin) => {
    const was = cellTotals(margin, before);
    const is = cellTotals(margin, after);
    const reports: MarginReport[] = [];
    margin.targets.forEach((target, cell) => {
      if (target > 0 || was[cell]! > 0) reports.push({ levels: cellLevels(coded, margin, cell), target, before: was[cell]!, after: is[cell]! });
    });
    return reports;
  });
}

/** The report of final weights against the margins. */
export function reportOf(
  method: WeightingReport['method'],
  coded: CodedMargins,
  design: Design,
  weights: Float64Array,
  run: { converged: boolean; iterations: number; trimmed?: number },
): WeightingReport {
  const margins = marginReports(coded, design.baseWeights, weights);
  const largestMarginError = margins.reduce((worst, { target, after }) => Math.max(worst, Math.abs(after - target)), 0);
  return {
    method,
    converged: run.converged,
    iterations: run.iterations,
    largestMarginError,
    weights: summarizeWeights(weights),
    trimmed: run.trimmed ?? 0,
    margins,
  };
}
