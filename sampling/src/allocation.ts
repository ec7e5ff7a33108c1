import { errorCodes, ParcoursError } from '@parcours/contracts';
import { z } from 'zod';
import { compareMargins, levelsSchema, type MarginComparison } from './margins.js';
import { compareIds } from './order.js';

/** An interlocked cell: one combination of the stratification variables' levels, and how many people it holds. */
export const quotaCellSchema = z.object({
  key: z.string().min(1),
  levels: levelsSchema,
  size: z.number().int().nonnegative(),
});
export type QuotaCell = z.infer<typeof quotaCellSchema>;

/**
 * What to allocate: `proportional` spreads `n` over the cells in proportion to their sizes; `given` takes each
 * cell's requested count as it is, once checked against the people the cell holds.
 */
export const allocationRequestSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('proportional'), n: z.number().int().positive(), cells: z.array(quotaCellSchema).min(1) }),
  z.object({ mode: z.literal('given'), cells: z.array(quotaCellSchema.extend({ given: z.number().int().nonnegative() })).min(1) }),
]);
export type AllocationRequest = z.input<typeof allocationRequestSchema>;

export interface CellAllocation extends QuotaCell {
  /** The cell's proportional quota n·N_h/N, a fraction. */
  quota: number;
  /** How many people the cell gives the panel. */
  allocated: number;
}

export interface Allocation {
  mode: 'proportional' | 'given';
  /** The panel's size, the sum of the cells' allocations. */
  n: number;
  cells: CellAllocation[];
  /** Each variable's level, universe share against allocated share: what a dry run shows. */
  margins: MarginComparison[];
}

/** One cell that cannot give what was asked of it. */
export interface QuotaShortfall {
  key: string;
  requested: number;
  available: number;
  shortfall: number;
}

/** A quota the universe cannot fill, naming each cell short of people and by how many. */
export class QuotaShortfallError extends ParcoursError {
  constructor(readonly shortfalls: QuotaShortfall[]) {
    super(
      errorCodes.quotaShortfall,
      `${shortfalls.length} cell(s) cannot be filled: ${shortfalls
        .map(({ key, requested, available, shortfall }) => `${key} (${requested} asked, ${available} available, ${shortfall} short)`)
        .join('; ')}`,
    );
    this.name = 'QuotaShortfallError';
  }
}

/**
 * Allocates a panel over interlocked cells. `proportional`: each cell gets the floor or the ceiling of its
 * quota n·N_h/N, the total exactly n, rounded so that every one-way margin (a variable's level summed over
 * cells) also lands next to its own quota (see {@link roundKeepingMargins}). `given`: each cell's count as
 * requested, refused with a {@link QuotaShortfallError} when a cell holds fewer people than asked.
 */
export function allocate(request: AllocationRequest): Allocation {
  const parsed = allocationRequestSchema.parse(request);
  const cells: (QuotaCell & { given?: number })[] = [...parsed.cells].sort((a, b) => compareIds(a.key, b.key));
  checkCells(cells);
  const universe = cells.reduce((sum, cell) => sum + cell.size, 0);
  let counts: number[];
  if (parsed.mode === 'given') {
    counts = cells.map((cell) => cell.given!);
    const shortfalls = cells
      .map((cell, h) => ({ key: cell.key, requested: counts[h]!, available: cell.size, shortfall: counts[h]! - cell.size }))
      .filter(({ shortfall }) => shortfall > 0);
    if (shortfalls.length > 0) throw new QuotaShortfallError(shortfalls);
  } else {
    if (parsed.n > universe) throw new QuotaShortfallError([{ key: '(all cells)', requested: parsed.n, available: universe, shortfall: parsed.n - universe }]);
    counts = roundKeepingMargins(cells, parsed.n);
  }
  const n = counts.reduce((sum, count) => sum + count, 0);
  const allocated = cells.map(({ key, levels, size }, h) => ({ key, levels, size, quota: universe > 0 ? (n * size) / universe : 0, allocated: counts[h]! }));
  return {
    mode: parsed.mode,
    n,
    cells: allocated,
    margins: compareMargins(
      allocated.map(({ levels, size }) => ({ levels, count: size })),
      allocated.map(({ levels, allocated: count }) => ({ levels, count })),
    ),
  };
}

/** Keys unique, and every cell described by the same variables. */
function checkCells(cells: readonly QuotaCell[]): void {
  const variables = Object.keys(cells[0]!.levels).sort().join(',');
  for (let h = 0; h < cells.length; h++) {
    const cell = cells[h]!;
    if (h > 0 && cell.key === cells[h - 1]!.key) throw new ParcoursError(errorCodes.validation, `the cell ${cell.key} is given twice`);
    if (Object.keys(cell.levels).sort().join(',') !== variables) {
      throw new ParcoursError(errorCodes.validation, `the cell ${cell.key} has the variables ${Object.keys(cell.levels).join(', ')}, not ${variables}`);
    }
  }
}

/**
 * Rounds the quotas q_h = n·N_h/N of cells sorted by key, each to its floor or ceiling, summing to n, with every
 * one-way margin close to its quota. Largest remainder first: the cells with the largest fractional parts get
 * the ceiling. Then exchanges: a cell at its ceiling goes back to its floor while another, at its floor with a
 * fractional part, goes up to its ceiling — which keeps the total and every cell's bound — as long as an
 * exchange lowers Σ (margin − margin quota)² over every level of every variable; the best exchange each time,
 * the first in key order on a tie. Plain largest remainder can leave a margin many units off its quota over
 * thirty cells; the exchanges bring each within one or two. Each pass costs cells² operations: meant for
 * hundreds to a few thousand cells.
 */
export function roundKeepingMargins(cells: readonly QuotaCell[], n: number): number[] {
  const universe = cells.reduce((sum, cell) => sum + cell.size, 0);
  // Integer arithmetic: n·N_h is exact well past any universe, so a quota of exactly 3 is never 2.999….
  const floors = cells.map((cell) => Math.floor((n * cell.size) / universe));
  const remainders = cells.map((cell, h) => n * cell.size - floors[h]! * universe);
  let missing = n - floors.reduce((sum, floor) => sum + floor, 0);
  const up = new Uint8Array(cells.length);
  const byRemainder = cells.map((_, h) => h).filter((h) => remainders[h]! > 0);
  byRemainder.sort((a, b) => remainders[b]! - remainders[a]! || a - b);
  for (const h of byRemainder) if (missing-- > 0) up[h] = 1;

  // Each cell's level on every variable, as an index into the deviations of every level from its quota.
  const levelIndex = new Map<string, number>();
  const variables = Object.keys(cells[0]!.levels);
  const cellLevels = cells.map((cell) => variables.map((variable) => levelIndexOf(levelIndex, `${variable}\u0000${cell.levels[variable]}`)));
  const deviation = new Float64Array(levelIndex.size);
  for (let h = 0; h < cells.length; h++) for (const level of cellLevels[h]!) deviation[level]! += up[h]! - remainders[h]! / universe;

  for (;;) {
    let best = -1e-9;
    let from = -1;
    let to = -1;
    for (const a of byRemainder) {
      if (!up[a]) continue;
      const levelsA = cellLevels[a]!;
      for (const b of byRemainder) {
        if (up[b]) continue;
        const levelsB = cellLevels[b]!;
        let change = 0;
        for (let v = 0; v < levelsA.length; v++) {
          const la = levelsA[v]!;
          const lb = levelsB[v]!;
          if (la !== lb) change += deviation[lb]! - deviation[la]! + 1;
        }
        if (change < best) [best, from, to] = [change, a, b];
      }
    }
    if (from < 0) break;
    up[from] = 0;
    up[to] = 1;
    for (const level of cellLevels[from]!) deviation[level]! -= 1;
    for (const level of cellLevels[to]!) deviation[level]! += 1;
  }
  return floors.map((floor, h) => floor + up[h]!);
}

function levelIndexOf(index: Map<string, number>, name: string): number {
  let at = index.get(name);
  if (at === undefined) index.set(name, (at = index.size));
  return at;
}
