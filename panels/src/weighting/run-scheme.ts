import type { WeightingScheme } from '@parcours/contracts';
import { calibrate, rake, trimWeights, type Weighting } from '@parcours/weighting';
import type { WeightingInputs } from './scheme-inputs.js';

/**
 * Weights the inputs as the scheme says: raking or calibration with its convergence settings (the weighting
 * functions' defaults where it gives none) and jackknife replicates if its variance asks for them, then trimming, its upper bound tightened to `cap` times the mean
 * weight. Infeasible problems throw the weighting functions' typed errors, naming the cell or variable.
 */
export function runScheme(scheme: WeightingScheme, inputs: WeightingInputs): Weighting {
  const { maxit, epsilon, force } = scheme.convergence;
  const convergence = {
    force,
    ...(maxit === undefined ? {} : { maxit }),
    ...(epsilon === undefined ? {} : { epsilon }),
    // A replicate leaves out one member (JK1), or one of its stratum's (JKn).
    ...(scheme.variance === 'jackknife' ? { replicates: inputs.sample.strata ? ('JKn' as const) : ('JK1' as const) } : {}),
  };
  const weighted =
    scheme.method === 'rake'
      ? rake(inputs.sample, inputs.margins, convergence)
      : calibrate(inputs.sample, inputs.margins, { ...convergence, distance: scheme.method, bounds: scheme.bounds ?? {} });
  if (!scheme.trimming && scheme.cap === undefined) return weighted;
  const mean = weighted.report.weights.mean;
  const upper = Math.min(scheme.trimming?.upper ?? Number.POSITIVE_INFINITY, scheme.cap === undefined ? Number.POSITIVE_INFINITY : scheme.cap * mean);
  return trimWeights(weighted, {
    ...(scheme.trimming?.lower === undefined ? {} : { lower: scheme.trimming.lower }),
    ...(Number.isFinite(upper) ? { upper } : {}),
    strict: scheme.trimming?.strict ?? false,
  });
}
