import { errorCodes, ParcoursError } from '@parcours/contracts';

/**
 * The R-indicator of Schouten, Cobben & Bethlehem (2009): R(ρ) = 1 − 2·S(ρ̂), S the standard deviation of the
 * response propensities ρ̂ (from {@link logisticRegression} on who responded, or stayed). 1 when everyone is as
 * likely to respond, and so the respondents as representative as the sample; 0 at the widest spread possible.
 * With design weights d_k: N̂ = Σ d_k, ρ̄ = Σ d_k·ρ_k / N̂ and S² = Σ d_k·(ρ_k − ρ̄)² / (N̂ − 1); without, every
 * d_k is 1 and S is the ordinary sample standard deviation.
 */
export function rIndicator(propensities: Float64Array, weights?: Float64Array): number {
  const size = propensities.length;
  if (weights && weights.length !== size) throw new ParcoursError(errorCodes.validation, `${weights.length} weights for ${size} propensities`);
  let total = 0;
  let weightedSum = 0;
  for (let k = 0; k < size; k++) {
    const rho = propensities[k]!;
    const d = weights ? weights[k]! : 1;
    if (!(rho >= 0 && rho <= 1)) throw new ParcoursError(errorCodes.validation, `a propensity is in [0, 1], not ${rho}`);
    if (!(d >= 0 && Number.isFinite(d))) throw new ParcoursError(errorCodes.validation, `a weight is finite and not negative, not ${d}`);
    total += d;
    weightedSum += d * rho;
  }
  if (!(total > 1)) throw new ParcoursError(errorCodes.validation, 'the R-indicator needs a population of more than one');
  const mean = weightedSum / total;
  let squares = 0;
  for (let k = 0; k < size; k++) squares += (weights ? weights[k]! : 1) * (propensities[k]! - mean) ** 2;
  return 1 - 2 * Math.sqrt(squares / (total - 1));
}
