import { errorCodes, ParcoursError } from '@parcours/contracts';
import { orthonormalBasis } from './linear-algebra.js';
import type { Design } from './sample.js';

/** JK1 deletes one person at a time from an unstratified sample; JKn one person at a time within each stratum. */
export type JackknifeType = 'JK1' | 'JKn';

/**
 * Delete-one jackknife replicates as R's `as.svrepdesign(type = "JK1" | "JKn")` builds them: replicate r leaves
 * out person r and multiplies the others of r's stratum by n_h/(n_h − 1) (everyone's for JK1). The variance is
 * scale · Σ_r rscale_r (θ_r − θ̄)², θ̄ the mean of the replicates with a positive rscale.
 */
export interface Jackknife {
  type: JackknifeType;
  /** The person each replicate leaves out. */
  deleted: Int32Array;
  /** Each replicate's factor: f_h (n_h − 1)/n_h for JKn, 1 for JK1 (whose factor is in `scale`). */
  rscales: Float64Array;
  scale: number;
  /** n − 1 for JK1, n − H for JKn: the rank of the replicate weights less one, as `survey` counts them (see `weightedReplicates`). */
  degreesOfFreedom: number;
}

/** The jackknife of a design: one replicate per person; a stratum of one person is refused, as `survey` does. */
export function jackknife(design: Design, type: JackknifeType): Jackknife {
  const { size, strata, stratumCounts, stratumSizes, stratumOf } = design;
  const fpc = (h: number) => (Number.isFinite(stratumSizes[h]!) ? (stratumSizes[h]! - stratumCounts[h]!) / stratumSizes[h]! : 1);
  if (type === 'JK1') {
    if (strata.length > 1)
      throw new ParcoursError(errorCodes.validation, `JK1 replicates need an unstratified sample, and this one has ${strata.length} strata: use JKn`);
    if (size < 2) throw new ParcoursError(errorCodes.weightingLonelyUnit, 'a jackknife needs at least two people');
    return {
      type,
      deleted: Int32Array.from({ length: size }, (_, k) => k),
      rscales: new Float64Array(size).fill(1),
      scale: (fpc(0) * (size - 1)) / size,
      degreesOfFreedom: size - 1,
    };
  }
  stratumCounts.forEach((count, h) => {
    if (count < 2)
      throw new ParcoursError(errorCodes.weightingLonelyUnit, `stratum '${strata[h]}' has a single person: a jackknife needs two or more in every stratum`);
  });
  const deleted = new Int32Array(size);
  const rscales = new Float64Array(size);
  // Replicates grouped by stratum, in order of first appearance, as `survey` lists them.
  let r = 0;
  strata.forEach((_, h) => {
    for (let k = 0; k < size; k++) {
      if (stratumOf[k] !== h) continue;
      deleted[r] = k;
      rscales[r++] = (fpc(h) * (stratumCounts[h]! - 1)) / stratumCounts[h]!;
    }
  });
  return { type, deleted, rscales, scale: 1, degreesOfFreedom: size - strata.length };
}

/** The design weights of replicate r: person r's set to 0, the others of its stratum (everyone, for JK1) scaled up. */
export function replicateBaseWeights(design: Design, plan: Jackknife, r: number): Float64Array {
  const out = plan.deleted[r]!;
  const h = design.stratumOf[out]!;
  const weights = Float64Array.from(design.baseWeights);
  const n = plan.type === 'JK1' ? design.size : design.stratumCounts[h]!;
  const factor = n / (n - 1);
  for (let k = 0; k < design.size; k++) {
    if (plan.type === 'JK1' || design.stratumOf[k] === h) weights[k]! *= factor;
  }
  weights[out] = 0;
  return weights;
}

/** Above this many people, counting the rank of the replicate weights (cubic in their number) costs seconds. */
const rankedUpTo = 1000;

/**
 * The replicates once weighted (raked or calibrated each): their degrees of freedom are then, as R recomputes them,
 * the rank of the replicate weights (QR at tolerance 1e-5) less one — replicates that all meet the margins leave
 * fewer of them free. Beyond a thousand people the design's are kept: they differ from R's by a few units, which
 * moves a t quantile on so many degrees of freedom by less than 1e-4.
 */
export function weightedReplicates(plan: Jackknife, weights: Float64Array[]): Jackknife & { weights: Float64Array[] } {
  const degreesOfFreedom = weights.length <= rankedUpTo ? orthonormalBasis(weights, 1e-5).length - 1 : plan.degreesOfFreedom;
  return { ...plan, degreesOfFreedom, weights };
}
