import { errorCodes, ParcoursError } from '@parcours/contracts';
import { z } from 'zod';
import { reportOf, summarizeWeights, type Weighting } from './weighting.js';

/** Bounds on the weights themselves (not the g-weights); `strict` repeats until every weight is within them. */
export const trimOptionsSchema = z.object({
  lower: z.number().optional(),
  upper: z.number().optional(),
  strict: z.boolean().default(false),
});
export type TrimOptions = z.input<typeof trimOptionsSchema>;

/**
 * Trims extreme weights as R's `survey::trimWeights`: weights below `lower` or above `upper` are set to the
 * bound, and the mass so removed (or added) is spread in equal parts over the weights that were within them,
 * so the total stays the same. The spread may push a weight past a bound again; `strict` trims again until
 * none is. The variance keeps accounting for the calibration the weights came from, as `survey` does.
 * Jackknife replicates are trimmed each in the same way (a replicate's left-out person stays at 0).
 */
export function trimWeights(weighting: Weighting, options: TrimOptions): Weighting {
  const settings = trimOptionsSchema.parse(options);
  const lower = settings.lower ?? Number.NEGATIVE_INFINITY;
  const upper = settings.upper ?? Number.POSITIVE_INFINITY;
  if (!(lower < upper)) throw new ParcoursError(errorCodes.validation, `the trimming bounds [${lower}, ${upper}] are empty`);
  const { weights, trimmed } = trim(weighting.weights, lower, upper, settings.strict);
  const replicates = weighting.replicates && {
    ...weighting.replicates,
    weights: weighting.replicates.weights.map((replicate) => trim(replicate, lower, upper, settings.strict).weights),
  };
  const count = trimmed.reduce((sum, moved) => sum + moved, 0);
  const { report } = weighting;
  return {
    ...weighting,
    weights,
    ...(replicates ? { replicates } : {}),
    report: weighting.margins
      ? { ...reportOf(report.method, weighting.margins, weighting.design, weights, report), trimmed: report.trimmed + count }
      : { ...report, weights: summarizeWeights(weights), trimmed: report.trimmed + count },
  };
}

/** Strict trimming gives up after this many passes: spreading the trimmed mass keeps pushing weights over. */
const strictPasses = 1000;

/** One trimming, or trimmings until none is needed; people of weight 0 (left out of a replicate) stay out. */
function trim(original: Float64Array, lower: number, upper: number, strict: boolean): { weights: Float64Array; trimmed: Uint8Array } {
  const weights = Float64Array.from(original);
  const trimmed = new Uint8Array(weights.length);
  let total = 0;
  let people = 0;
  for (const weight of weights) {
    if (weight === 0) continue;
    total += weight;
    people++;
  }
  if ((strict && upper * people < total) || (strict && lower * people > total)) {
    throw new ParcoursError(errorCodes.weightingBounds, `${people} weights totalling ${total} cannot all lie within [${lower}, ${upper}]`);
  }
  for (let pass = 1; ; pass++) {
    let removed = 0;
    let within = 0;
    const outside = new Uint8Array(weights.length);
    weights.forEach((weight, k) => {
      if (weight === 0) return;
      if (weight < lower || weight > upper) {
        const bound = weight < lower ? lower : upper;
        removed += weight - bound;
        weights[k] = bound;
        outside[k] = trimmed[k] = 1;
      } else within++;
    });
    if (!outside.includes(1)) break;
    if (within === 0)
      throw new ParcoursError(errorCodes.weightingBounds, `every weight lies outside [${lower}, ${upper}]: none is left to take the trimmed mass`);
    const share = removed / within;
    weights.forEach((weight, k) => {
      if (weight !== 0 && !outside[k]) weights[k] = weight + share;
    });
    if (!strict) break;
    if (pass === strictPasses) {
      throw new ParcoursError(
        errorCodes.weightingBounds,
        `strict trimming to [${lower}, ${upper}] still moves weights past a bound after ${strictPasses} passes: widen the bounds`,
      );
    }
  }
  return { weights, trimmed };
}
