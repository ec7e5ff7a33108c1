export { calibrate, calibrationOptionsSchema, type CalibrationOptions } from './calibrate.js';
export type { DistanceName, GBounds } from './distances.js';
export { normalQuantile, studentQuantile } from './distributions.js';
export {
  estimateMean,
  estimateOptionsSchema,
  estimateProportion,
  estimateTotal,
  type Estimate,
  type EstimateOptions,
  type ProportionEstimate,
} from './estimates.js';
export { marginSchema, type Margin } from './margins.js';
export { rake, rakeOptionsSchema, type RakeOptions } from './rake.js';
export type { Jackknife, JackknifeType } from './replicates.js';
export type { Design, WeightingSample } from './sample.js';
export { trimOptionsSchema, trimWeights, type TrimOptions } from './trim.js';
export {
  designWeighting,
  type Adjustment,
  type MarginReport,
  type ReplicateWeights,
  type SchemeWeighting,
  type WeightingReport,
  type WeightSummary,
  type Weighting,
} from './weighting.js';
