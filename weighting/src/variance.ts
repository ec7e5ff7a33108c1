import { errorCodes, ParcoursError } from '@parcours/contracts';
import { projectOff } from './linear-algebra.js';
import type { Adjustment, Weighting } from './weighting.js';

/** How many times raking's cell means are removed in turn, as `survey` does (an alternating projection). */
const rakingPasses = 10;

/**
 * The variance by linearization of an estimate whose influence values (one per person: w_k·y_k for a total) are
 * given, as R's `svyrecvar` computes it for a one-stage stratified design: first the weighting's adjustments
 * replace each influence value by its residual (calibration: g_k·d_k times the residual of the d-weighted
 * regression of y on the auxiliary variables), then Σ_h (1 − n_h/N_h)·n_h/(n_h − 1)·Σ_{k∈h} (z_k − z̄_h)².
 */
export function linearizedVariance(weighting: Weighting, influence: Float64Array): number {
  const z = Float64Array.from(influence);
  for (const adjustment of weighting.adjustments) residualize(adjustment, z);
  const { stratumOf, strata, stratumCounts, stratumSizes } = weighting.design;
  const sums = new Float64Array(strata.length);
  for (let k = 0; k < z.length; k++) sums[stratumOf[k]!]! += z[k]!;
  const squares = new Float64Array(strata.length);
  for (let k = 0; k < z.length; k++) {
    const h = stratumOf[k]!;
    squares[h]! += (z[k]! - sums[h]! / stratumCounts[h]!) ** 2;
  }
  let variance = 0;
  strata.forEach((name, h) => {
    const n = stratumCounts[h]!;
    const f = Number.isFinite(stratumSizes[h]!) ? (stratumSizes[h]! - n) / stratumSizes[h]! : 1;
    // A stratum taken whole adds nothing; one of a single person has no variance to estimate.
    if (f < 1e-7) return;
    if (n < 2) throw new ParcoursError(errorCodes.weightingLonelyUnit, `stratum '${name}' has a single person: its variance cannot be estimated`);
    variance += ((f * n) / (n - 1)) * squares[h]!;
  });
  return variance;
}

function residualize(adjustment: Adjustment, z: Float64Array): void {
  if (adjustment.kind === 'calibration') {
    const { basis, scale } = adjustment;
    for (let k = 0; k < z.length; k++) z[k] = scale[k]! === 0 ? 0 : z[k]! / scale[k]!;
    projectOff(z, basis);
    for (let k = 0; k < z.length; k++) z[k]! *= scale[k]!;
    return;
  }
  for (let pass = 0; pass < rakingPasses; pass++) {
    for (const { cellOf, cells, weights } of adjustment.margins) {
      const sums = new Float64Array(cells);
      const counts = new Float64Array(cells);
      for (let k = 0; k < z.length; k++) {
        sums[cellOf[k]!]! += z[k]! / weights[k]!;
        counts[cellOf[k]!]!++;
      }
      for (let k = 0; k < z.length; k++) z[k]! -= weights[k]! * (sums[cellOf[k]!]! / counts[cellOf[k]!]!);
    }
  }
}

/** The jackknife variance of replicate estimates θ_r: scale·Σ rscale_r (θ_r − θ̄)², θ̄ over positive rscales. */
export function replicateVariance(estimates: Float64Array, rscales: Float64Array, scale: number): number {
  let sum = 0;
  let count = 0;
  estimates.forEach((estimate, r) => {
    if (rscales[r]! > 0) {
      sum += estimate;
      count++;
    }
  });
  const mean = sum / count;
  let variance = 0;
  estimates.forEach((estimate, r) => {
    variance += rscales[r]! * (estimate - mean) ** 2;
  });
  return variance * scale;
}
