import { errorCodes, ParcoursError } from '@parcours/contracts';
import { compareIds } from './order.js';

/** A panel member or candidate: their cell and their usage features by name. */
export interface TwinCandidate {
  id: string;
  cell: string;
  features: Readonly<Record<string, number>>;
}

export interface Twin {
  id: string;
  /** Euclidean distance on the standardised features. */
  distance: number;
}

/**
 * The replacement for a member who left: among the candidates of the member's cell (the member excluded),
 * the one nearest on the named usage features, each standardised (centred, divided by its standard deviation
 * over all the candidates given) so that no feature's unit outweighs the others; a feature constant over the
 * candidates counts for nothing. On equal distances the smallest id wins. Undefined when the cell has no
 * candidate left.
 */
export function nearestTwin(candidates: readonly TwinCandidate[], target: TwinCandidate, features: readonly string[]): Twin | undefined {
  const value = (unit: TwinCandidate, feature: string): number => {
    const v = unit.features[feature];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new ParcoursError(errorCodes.validation, `${unit.id} has no finite value for the feature ${feature}`);
    return v;
  };
  const scales = features.map((feature) => {
    const values = candidates.map((candidate) => value(candidate, feature));
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    const spread = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / Math.max(1, values.length - 1));
    return spread > 0 ? 1 / spread : 0;
  });
  const targetValues = features.map((feature) => value(target, feature));
  let best: Twin | undefined;
  for (const candidate of candidates) {
    if (candidate.cell !== target.cell || candidate.id === target.id) continue;
    let squares = 0;
    features.forEach((feature, j) => {
      squares += ((value(candidate, feature) - targetValues[j]!) * scales[j]!) ** 2;
    });
    const distance = Math.sqrt(squares);
    if (!best || distance < best.distance || (distance === best.distance && compareIds(candidate.id, best.id) < 0)) best = { id: candidate.id, distance };
  }
  return best;
}
