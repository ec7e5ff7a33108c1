import { errorCodes, ParcoursError } from '@parcours/contracts';
import { z } from 'zod';
import { type Distance, type DistanceName, distanceOf, type GBounds } from './distances.js';
import { symmetricPseudoSolve, orthonormalBasis } from './linear-algebra.js';
import { type CodedMargins, cellLevels, cellTotals, codeMargins, label, type Margin } from './margins.js';
import { type ModelMatrix, modelMatrix } from './model-matrix.js';
import { jackknife, replicateBaseWeights, weightedReplicates } from './replicates.js';
import { designOf, type WeightingSample } from './sample.js';
import { reportOf, type Weighting } from './weighting.js';

/** How to calibrate: R's `calibrate(calfun, bounds, epsilon, maxit, force)`, and optional jackknife replicates. */
export const calibrationOptionsSchema = z.object({
  /** `linear` (chi-square, GREG), `raking` (multiplicative) or `logit` (bounded, needs both bounds). */
  distance: z.enum(['linear', 'raking', 'logit']).default('linear'),
  /** Bounds on the g-weights w_k/d_k; none when absent. */
  bounds: z.object({ lower: z.number().optional(), upper: z.number().optional() }).default({}),
  /** Converged when every |Σ w x_j − T_j| / (1 + |T_j|) < epsilon. */
  epsilon: z.number().positive().default(1e-7),
  maxit: z.number().int().positive().default(50),
  /** Keep the weights of a calibration that did not converge (its report says so) instead of refusing it. */
  force: z.boolean().default(false),
  /** Jackknife replicates, each calibrated afresh to the same totals. */
  replicates: z.enum(['JK1', 'JKn']).optional(),
});
export type CalibrationOptions = z.input<typeof calibrationOptionsSchema>;

/** What `survey`'s `grake` does when every population total is more than this many times the sample's. */
const rescaleThreshold = 20;

/**
 * Calibrates design weights to known totals (Deville & Särndal 1992), as R's `survey::calibrate` does: final
 * weights w_k = d_k·g_k, g_k = F(x_kᵀλ), with x_k the person's row of the margins' model matrix and λ found by
 * Newton's method so that Σ w_k x_k equals the population totals. Linear calibration without bounds is solved
 * in one step (the GREG weights). Infeasible problems are refused with a typed error naming the cell: one no
 * one in the sample is in, a level unknown to the margins or missing from the sample, or bounds that cannot
 * be met; so is a calibration that does not converge within `maxit`, unless `force`.
 */
export function calibrate(sample: WeightingSample, margins: readonly Margin[], options: CalibrationOptions = {}): Weighting {
  const settings = calibrationOptionsSchema.parse(options);
  const design = designOf(sample);
  const coded = codeMargins(sample, design, margins);
  const bounds: GBounds = { lower: settings.bounds.lower ?? Number.NEGATIVE_INFINITY, upper: settings.bounds.upper ?? Number.POSITIVE_INFINITY };
  if (!(bounds.lower < bounds.upper)) throw new ParcoursError(errorCodes.validation, `the g-weight bounds [${bounds.lower}, ${bounds.upper}] are empty`);
  const distance = distanceOf(settings.distance, bounds);
  const matrix = withoutEmptyColumns(modelMatrix(coded), design.baseWeights);
  const closedForm = settings.distance === 'linear' && bounds.lower === Number.NEGATIVE_INFINITY && bounds.upper === Number.POSITIVE_INFINITY;
  refuseUnreachableCells(coded, design.baseWeights, settings.distance, bounds, closedForm ? 1 : rescaling(matrix, design.baseWeights));
  const run = (weights: Float64Array) => (closedForm ? greg(matrix, weights) : newton(matrix, weights, distance, settings.epsilon, settings.maxit));
  const solved = run(design.baseWeights);
  const weights = Float64Array.from(design.baseWeights, (d, k) => d * solved.g[k]!);
  if (solved.achieved !== undefined && !settings.force) refuseNotConverged(coded, weights, bounds, solved);
  const plan = settings.replicates ? jackknife(design, settings.replicates) : undefined;
  const replicateWeights =
    plan &&
    Array.from(plan.deleted, (_, r) => {
      const base = replicateBaseWeights(design, plan, r);
      const { g } = run(base);
      return Float64Array.from(base, (d, k) => d * g[k]!);
    });
  // As `survey`: its closed-form (GREG) calibration recounts the degrees of freedom, its iterative one keeps the design's.
  const replicates = plan && replicateWeights && (closedForm ? weightedReplicates(plan, replicateWeights) : { ...plan, weights: replicateWeights });
  const columns = Array.from({ length: matrix.columns }, () => new Float64Array(design.size));
  for (let k = 0; k < design.size; k++) {
    const root = Math.sqrt(design.baseWeights[k]!);
    for (let j = 0; j < matrix.width; j++) {
      const column = matrix.active[k * matrix.width + j]!;
      if (column >= 0) columns[column]![k] = root;
    }
  }
  return {
    weights,
    design,
    adjustments: [
      { kind: 'calibration', basis: orthonormalBasis(columns), scale: Float64Array.from(design.baseWeights, (d, k) => solved.g[k]! * Math.sqrt(d)) },
    ],
    ...(replicates ? { replicates } : {}),
    margins: coded,
    report: reportOf(settings.distance, coded, design, weights, { converged: solved.achieved === undefined, iterations: solved.iterations }),
  };
}

interface Solution {
  g: Float64Array;
  iterations: number;
  /** The largest relative misfit left when the iterations ran out; absent once converged. */
  achieved?: number;
}

/** Σ_k d_k x_k, each person's active columns summed. */
function columnTotals(matrix: ModelMatrix, weights: Float64Array, factor?: (k: number) => number): Float64Array {
  const totals = new Float64Array(matrix.columns);
  for (let k = 0; k < weights.length; k++) {
    const w = factor ? weights[k]! * factor(k) : weights[k]!;
    for (let j = 0; j < matrix.width; j++) {
      const column = matrix.active[k * matrix.width + j]!;
      if (column >= 0) totals[column]! += w;
    }
  }
  return totals;
}

/** Σ_k c_k x_k x_kᵀ, p × p. */
function crossProduct(matrix: ModelMatrix, coefficient: (k: number) => number): Float64Array {
  const p = matrix.columns;
  const product = new Float64Array(p * p);
  const size = matrix.active.length / matrix.width;
  for (let k = 0; k < size; k++) {
    const c = coefficient(k);
    if (c === 0) continue;
    for (let i = 0; i < matrix.width; i++) {
      const a = matrix.active[k * matrix.width + i]!;
      if (a < 0) continue;
      for (let j = 0; j < matrix.width; j++) {
        const b = matrix.active[k * matrix.width + j]!;
        if (b >= 0) product[a * p + b]! += c;
      }
    }
  }
  return product;
}

/** x_kᵀλ. */
function linearPredictor(matrix: ModelMatrix, k: number, lambda: Float64Array): number {
  let sum = 0;
  for (let j = 0; j < matrix.width; j++) {
    const column = matrix.active[k * matrix.width + j]!;
    if (column >= 0) sum += lambda[column]!;
  }
  return sum;
}

/** GREG weights: g = 1 + xᵀ(Σ d x xᵀ)⁻¹(T − Σ d x), as `survey`'s `regcalibrate`. */
function greg(matrix: ModelMatrix, weights: Float64Array): Solution {
  const sampled = columnTotals(matrix, weights);
  const lambda = symmetricPseudoSolve(
    crossProduct(matrix, (k) => weights[k]!),
    matrix.columns,
    matrix.population.map((total, j) => total - sampled[j]!),
  );
  return { g: Float64Array.from(weights, (_, k) => 1 + linearPredictor(matrix, k, lambda)), iterations: 1 };
}

/** The factor `survey`'s `grake` scales the design weights by before iterating (1 when it does not). */
function rescaling(matrix: ModelMatrix, weights: Float64Array): number {
  const sampled = columnTotals(matrix, weights);
  const scales = Array.from(matrix.population, (total, j) => total / sampled[j]!);
  return Math.min(...scales) > rescaleThreshold ? scales.reduce((sum, scale) => sum + scale, 0) / scales.length : 1;
}

/** Newton's method on the calibration equations from λ = 0, step for step as `survey`'s `grake`. */
function newton(matrix: ModelMatrix, designWeights: Float64Array, distance: Distance, epsilon: number, maxit: number): Solution {
  const scale = rescaling(matrix, designWeights);
  const weights = designWeights.map((d) => d * scale);
  const sampled = columnTotals(matrix, weights);
  const size = weights.length;
  let lambda = new Float64Array(matrix.columns);
  const u = new Float64Array(size);
  const g = new Float64Array(size).fill(distance.g(0));
  const slope = new Float64Array(size).fill(distance.slope(0));
  const evaluate = () => {
    let finite = true;
    for (let k = 0; k < size; k++) {
      u[k] = linearPredictor(matrix, k, lambda);
      g[k] = distance.g(u[k]!);
      slope[k] = distance.slope(u[k]!);
      if (!Number.isFinite(g[k]!) || !Number.isFinite(slope[k]!)) finite = false;
    }
    return finite;
  };
  const misfit = () => {
    const moved = columnTotals(matrix, weights, (k) => g[k]! - 1);
    return matrix.population.map((total, j) => total - sampled[j]! - moved[j]!);
  };
  let iterations = 1;
  let achieved: number | undefined;
  for (;;) {
    const step = symmetricPseudoSolve(
      crossProduct(matrix, (k) => weights[k]! * slope[k]!),
      matrix.columns,
      misfit(),
    );
    lambda = lambda.map((value, j) => value + step[j]!);
    // A step too long for the distance (an overflowing exponential) is halved until it is not.
    while (!evaluate() && iterations < maxit) {
      iterations++;
      for (let j = 0; j < step.length; j++) {
        step[j]! /= 2;
        lambda[j]! -= step[j]!;
      }
    }
    const relative = misfit().map((miss, j) => Math.abs(miss) / (1 + Math.abs(matrix.population[j]!)));
    if (relative.every((miss) => miss < epsilon)) break;
    iterations++;
    if (iterations > maxit) {
      achieved = Math.max(...relative);
      break;
    }
  }
  return { g: g.map((value) => value * scale), iterations, ...(achieved === undefined ? {} : { achieved }) };
}

/** The model matrix without the columns no one in the sample has and whose total is 0, as `survey` drops them. */
function withoutEmptyColumns(matrix: ModelMatrix, weights: Float64Array): ModelMatrix {
  const sampled = columnTotals(matrix, weights);
  const kept: number[] = [];
  const renumbered = Int32Array.from(sampled, (total, j) => (total === 0 && matrix.population[j] === 0 ? -1 : kept.push(j) - 1));
  if (kept.length === matrix.columns) return matrix;
  return {
    columns: kept.length,
    names: kept.map((j) => matrix.names[j]!),
    population: Float64Array.from(kept, (j) => matrix.population[j]!),
    active: matrix.active.map((column) => (column >= 0 ? renumbered[column]! : -1)),
    width: matrix.width,
  };
}

/**
 * Refuses a cell that no g-weights within the bounds can bring to its total: its sampled people weigh s (design
 * weights, rescaled as `survey` does), so it can reach between lower·s and upper·s at most — strictly inside for
 * the logit distance, and above 0 for the raking one, whose g-weights are positive.
 */
function refuseUnreachableCells(coded: CodedMargins, weights: Float64Array, distance: DistanceName, bounds: GBounds, scale: number): void {
  if (distance === 'linear' && bounds.lower === Number.NEGATIVE_INFINITY && bounds.upper === Number.POSITIVE_INFINITY) return;
  const lower = scale * (distance === 'raking' ? Math.max(bounds.lower, 0) : bounds.lower);
  const upper = scale * bounds.upper;
  const strictLower = distance === 'logit' || (distance === 'raking' && bounds.lower <= 0);
  const strictUpper = distance === 'logit';
  for (const margin of coded.margins) {
    const sampled = cellTotals(margin, weights);
    margin.targets.forEach((target, cell) => {
      const s = sampled[cell]!;
      if (s === 0) return;
      const tooLow = strictLower ? target <= lower * s : target < lower * s;
      const tooHigh = strictUpper ? target >= upper * s : target > upper * s;
      if (tooLow || tooHigh) {
        throw new ParcoursError(
          errorCodes.weightingBounds,
          `the cell ${label(cellLevels(coded, margin, cell))} cannot reach its population total ${target}: its sampled people weigh ${s}, and g-weights within [${lower}, ${upper}] (${distance} distance) give it between ${lower * s} and ${upper * s}`,
        );
      }
    });
  }
}

/** Refuses a calibration that did not converge, naming the margin cell left farthest from its total. */
function refuseNotConverged(coded: CodedMargins, weights: Float64Array, bounds: GBounds, solved: Solution): never {
  let worst = { error: -1, name: '', target: 0, after: 0 };
  for (const margin of coded.margins) {
    const after = cellTotals(margin, weights);
    margin.targets.forEach((target, cell) => {
      const error = Math.abs(after[cell]! - target);
      if (error > worst.error) worst = { error, name: label(cellLevels(coded, margin, cell)), target, after: after[cell]! };
    });
  }
  const bounded = Number.isFinite(bounds.lower) || Number.isFinite(bounds.upper);
  throw new ParcoursError(
    bounded ? errorCodes.weightingBounds : errorCodes.weightingNotConverged,
    `calibration did not converge in ${solved.iterations} iterations (relative misfit ${solved.achieved}): the cell ${worst.name} weighs ${worst.after} against its total ${worst.target}${bounded ? `; the bounds [${bounds.lower}, ${bounds.upper}] may be too tight` : ''}`,
  );
}
