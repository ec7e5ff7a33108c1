import { frenchAreas } from './french-areas.js';

/**
 * Population totals by area — the targets a weighting can calibrate a sample of residents to — summed from
 * the current communes' populations in the dataset (INSEE's legal populations; the few communes with no
 * population, such as the Terres australes, count 0).
 */

export type AreaLevel = 'region' | 'departement' | 'commune';

/** Inhabitants per area code of the level. */
export function populationBy(level: AreaLevel): Map<string, number> {
  const totals = new Map<string, number>();
  for (const c of frenchAreas().communes.values()) {
    const code = level === 'region' ? c.region : level === 'departement' ? c.departement : c.code;
    totals.set(code, (totals.get(code) ?? 0) + (c.population ?? 0));
  }
  return totals;
}
