export {
  allocate,
  allocationRequestSchema,
  QuotaShortfallError,
  quotaCellSchema,
  roundKeepingMargins,
  type Allocation,
  type AllocationRequest,
  type CellAllocation,
  type QuotaCell,
  type QuotaShortfall,
} from './allocation.js';
export { cubeDraw } from './cube.js';
export { inclusionProbabilities } from './inclusion-probabilities.js';
export { logisticRegression, type LogisticRegression, type LogisticRegressionOptions } from './logistic-regression.js';
export { compareMargins, levelsSchema, marginCounts, type LevelCount, type Levels, type MarginComparison } from './margins.js';
export { nearestTwin, type Twin, type TwinCandidate } from './nearest-twin.js';
export { rIndicator } from './r-indicator.js';
export { derivedSeed, seededRandom } from './random.js';
export { stratifiedDraw, type DrawnUnit, type SamplingUnit } from './stratified-draw.js';
export { independentColumns } from './independent-columns.js';
