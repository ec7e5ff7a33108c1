import { errorCodes, ParcoursError } from '@parcours/contracts';
import { QuotaShortfallError, type QuotaShortfall } from './allocation.js';
import { compareIds } from './order.js';
import { derivedSeed, seededRandom } from './random.js';

/** A person of the universe and the interlocked cell they belong to. */
export interface SamplingUnit {
  id: string;
  cell: string;
}

/** A drawn person, with the probability they had of being drawn (n_h/N_h) and their stratum. */
export interface DrawnUnit {
  id: string;
  cell: string;
  inclusionProbability: number;
}

/**
 * Draws each cell's allocated count by simple random sampling without replacement (SRSWOR), independently in
 * every cell: each cell's units sorted by id, then a partial Fisher–Yates shuffle from a stream seeded by the
 * draw's seed and the cell's key. So the result depends on neither the order of the units nor that of the
 * cells, and changing one cell's allocation leaves the other cells' draws as they were.
 *
 * @param allocation each cell's count (an {@link Allocation}'s cells will do); every unit's cell must be in it (with 0 to draw nobody there).
 * @returns the drawn units, cell by cell in key order, by id within a cell.
 */
export function stratifiedDraw(
  units: readonly SamplingUnit[],
  allocation: { cells: readonly { key: string; allocated: number }[] },
  seed: number,
): DrawnUnit[] {
  const byCell = new Map<string, string[]>();
  for (const { key, allocated } of allocation.cells) {
    if (!(Number.isInteger(allocated) && allocated >= 0)) throw new ParcoursError(errorCodes.validation, `the cell ${key} is allocated ${allocated}`);
    if (byCell.has(key)) throw new ParcoursError(errorCodes.validation, `the cell ${key} is allocated twice`);
    byCell.set(key, []);
  }
  const seen = new Set<string>();
  for (const { id, cell } of units) {
    if (seen.has(id)) throw new ParcoursError(errorCodes.validation, `the unit ${id} is given twice`);
    seen.add(id);
    const ids = byCell.get(cell);
    if (!ids) throw new ParcoursError(errorCodes.validation, `the unit ${id} is in the cell ${cell}, which the allocation does not have`);
    ids.push(id);
  }
  const shortfalls: QuotaShortfall[] = [];
  for (const { key, allocated } of allocation.cells) {
    const available = byCell.get(key)!.length;
    if (allocated > available) shortfalls.push({ key, requested: allocated, available, shortfall: allocated - available });
  }
  if (shortfalls.length > 0) throw new QuotaShortfallError(shortfalls);

  const drawn: DrawnUnit[] = [];
  for (const { key, allocated } of [...allocation.cells].sort((a, b) => compareIds(a.key, b.key))) {
    const ids = byCell.get(key)!.sort(compareIds);
    const random = seededRandom(derivedSeed(seed, key));
    for (let i = 0; i < allocated; i++) {
      const j = i + Math.floor(random() * (ids.length - i));
      [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    }
    const inclusionProbability = allocated / ids.length;
    for (const id of ids.slice(0, allocated).sort(compareIds)) drawn.push({ id, cell: key, inclusionProbability });
  }
  return drawn;
}
