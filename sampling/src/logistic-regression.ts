import { errorCodes, ParcoursError } from '@parcours/contracts';

export interface LogisticRegressionOptions {
  /** Prior weights, one per unit (design weights for a survey's propensities); all 1 when absent. */
  weights?: Float64Array;
  /** Stop once the deviance changes by less than this, relative to itself (R's glm criterion, tighter by default). */
  tolerance?: number;
  maxIterations?: number;
}

export interface LogisticRegression {
  /** The intercept first, then one coefficient per covariate, in the order of `covariates`. */
  coefficients: Float64Array;
  /** Each unit's fitted probability (its propensity). */
  fitted: Float64Array;
  deviance: number;
  iterations: number;
  converged: boolean;
  /**
   * Complete or quasi-complete separation: some fitted probabilities are numerically 0 or 1, so the
   * likelihood has no finite maximum and the coefficients diverge. Reported, not thrown: the propensities are
   * still meaningful, the coefficients of the separating covariates are not.
   */
  separation: { detected: boolean; units: number };
}

/** Fitted probabilities this close to 0 or 1 mean separation (R's glm warns at 10·machine epsilon too). */
const separationEpsilon = 10 * Number.EPSILON;

/**
 * Logistic regression P(y = 1) = 1 / (1 + e^−(β0 + Σ_j β_j·x_j)) by iteratively reweighted least squares: from
 * R's starting point (μ = (w·y + ½)/(w + 1)), each step solves the weighted normal equations (XᵀWX) β = XᵀWz by
 * Cholesky, with W = w·μ(1 − μ) and the working response z = η + (y − μ)/(μ(1 − μ)), halving the step when the
 * deviance would grow. The maximum it reaches is glm(family = binomial)'s.
 *
 * @param covariates one array of N values per covariate (the intercept is added).
 * @param y the outcome of each unit, 0 or 1.
 */
export function logisticRegression(covariates: readonly Float64Array[], y: Float64Array, options: LogisticRegressionOptions = {}): LogisticRegression {
  const size = y.length;
  const { tolerance = 1e-12, maxIterations = 100 } = options;
  const weights = options.weights ?? new Float64Array(size).fill(1);
  if (weights.length !== size) throw new ParcoursError(errorCodes.validation, `${weights.length} weights for ${size} units`);
  for (let k = 0; k < size; k++) {
    if (y[k] !== 0 && y[k] !== 1) throw new ParcoursError(errorCodes.validation, `an outcome is 0 or 1, not ${y[k]}`);
    if (!(weights[k]! >= 0 && Number.isFinite(weights[k]!)))
      throw new ParcoursError(errorCodes.validation, `a weight is finite and not negative, not ${weights[k]}`);
  }
  covariates.forEach((values, j) => {
    if (values.length !== size) throw new ParcoursError(errorCodes.validation, `covariate ${j} has ${values.length} values for ${size} units`);
  });
  const columns = [new Float64Array(size).fill(1), ...covariates];
  const q = columns.length;

  const eta = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    const start = (weights[k]! * y[k]! + 0.5) / (weights[k]! + 1);
    eta[k] = Math.log(start / (1 - start));
  }
  let beta: Float64Array = new Float64Array(q);
  let deviance = Number.POSITIVE_INFINITY;
  let iterations = 0;
  let converged = false;
  const working = new Float64Array(size);
  const irlsWeight = new Float64Array(size);
  while (iterations < maxIterations && !converged) {
    iterations++;
    for (let k = 0; k < size; k++) {
      const mu = logistic(eta[k]!);
      const variance = Math.max(mu * (1 - mu), Number.MIN_VALUE);
      irlsWeight[k] = weights[k]! * variance;
      working[k] = eta[k]! + (y[k]! - mu) / variance;
    }
    const target = weightedLeastSquares(columns, irlsWeight, working);
    // Step halving: the full Newton step, or half of it, and so on, until the deviance does not grow.
    let step = 1;
    let candidate = target;
    let candidateDeviance = devianceAt(columns, candidate, y, weights, eta);
    while (iterations > 1 && !(candidateDeviance <= deviance) && step > 1e-10) {
      step /= 2;
      candidate = beta.map((value, j) => value + step * (target[j]! - value));
      candidateDeviance = devianceAt(columns, candidate, y, weights, eta);
    }
    converged = Math.abs(candidateDeviance - deviance) / (Math.abs(candidateDeviance) + 0.1) < tolerance;
    beta = candidate;
    deviance = candidateDeviance;
  }
  const fitted = eta.map(logistic);
  let separated = 0;
  for (let k = 0; k < size; k++) if (weights[k]! > 0 && (fitted[k]! < separationEpsilon || fitted[k]! > 1 - separationEpsilon)) separated++;
  return { coefficients: beta, fitted, deviance, iterations, converged, separation: { detected: separated > 0, units: separated } };
}

function logistic(eta: number): number {
  return eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta));
}

/** −2·log-likelihood at β, leaving η = Xβ in `eta`; computed from η directly so that it stays finite. */
function devianceAt(columns: readonly Float64Array[], beta: Float64Array, y: Float64Array, weights: Float64Array, eta: Float64Array): number {
  eta.fill(0);
  columns.forEach((values, j) => {
    const coefficient = beta[j]!;
    for (let k = 0; k < eta.length; k++) eta[k]! += coefficient * values[k]!;
  });
  let deviance = 0;
  for (let k = 0; k < eta.length; k++) {
    // −log P(y_k) = log(1 + e^η) − y·η, written to avoid overflow for large |η|.
    const value = eta[k]!;
    const softplus = value > 0 ? value + Math.log1p(Math.exp(-value)) : Math.log1p(Math.exp(value));
    deviance += 2 * weights[k]! * (softplus - y[k]! * value);
  }
  return deviance;
}

/** β minimising Σ w_k (z_k − x_k·β)², by the Cholesky factorisation of XᵀWX. */
function weightedLeastSquares(columns: readonly Float64Array[], w: Float64Array, z: Float64Array): Float64Array {
  const q = columns.length;
  const gram = new Float64Array(q * q);
  const right = new Float64Array(q);
  const weighted = new Float64Array(w.length);
  for (let i = 0; i < q; i++) {
    const xi = columns[i]!;
    for (let k = 0; k < w.length; k++) weighted[k] = w[k]! * xi[k]!;
    for (let j = 0; j <= i; j++) {
      const xj = columns[j]!;
      let sum = 0;
      for (let k = 0; k < w.length; k++) sum += weighted[k]! * xj[k]!;
      gram[i * q + j] = sum;
    }
    let sum = 0;
    for (let k = 0; k < w.length; k++) sum += weighted[k]! * z[k]!;
    right[i] = sum;
  }
  // Cholesky: gram = L·Lᵀ, L in the lower triangle.
  for (let i = 0; i < q; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = gram[i * q + j]!;
      for (let s = 0; s < j; s++) sum -= gram[i * q + s]! * gram[j * q + s]!;
      if (i === j) {
        if (!(sum > 1e-12 * gram[i * q + i]!)) {
          throw new ParcoursError(errorCodes.validation, `the covariates are collinear (covariate ${i - 1} depends on the others and the intercept)`);
        }
        gram[i * q + i] = Math.sqrt(sum);
      } else gram[i * q + j] = sum / gram[j * q + j]!;
    }
  }
  const beta = new Float64Array(q);
  for (let i = 0; i < q; i++) {
    let sum = right[i]!;
    for (let s = 0; s < i; s++) sum -= gram[i * q + s]! * beta[s]!;
    beta[i] = sum / gram[i * q + i]!;
  }
  for (let i = q - 1; i >= 0; i--) {
    let sum = beta[i]!;
    for (let s = i + 1; s < q; s++) sum -= gram[s * q + i]! * beta[s]!;
    beta[i] = sum / gram[i * q + i]!;
  }
  return beta;
}
