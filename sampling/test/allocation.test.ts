import { errorCodes } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { allocate, QuotaShortfallError, seededRandom, stratifiedDraw } from '../src/index.js';
import { universeCells, universeUnits } from './universe.js';

const n = 10_000;

describe('allocate, proportional over interlocked cells', () => {
  it.each([1, 2, 3, 4, 5])('universe %i: every cell within one of its quota, every margin within 0.1 point and two people, n in all', (seed) => {
    const cells = universeCells(seed);
    const universe = cells.reduce((sum, cell) => sum + cell.size, 0);
    expect(universe).toBe(300_000);
    const allocation = allocate({ mode: 'proportional', n, cells });

    expect(allocation.cells.reduce((sum, cell) => sum + cell.allocated, 0)).toBe(n);
    expect(allocation.n).toBe(n);
    for (const cell of allocation.cells) {
      const quota = (n * cell.size) / universe;
      expect(cell.allocated === Math.floor(quota) || cell.allocated === Math.ceil(quota), `${cell.key}: ${cell.allocated} for ${quota}`).toBe(true);
    }
    // Margins summed here from the cells, not taken from the allocation's own report, which is checked against them.
    for (const variable of ['region', 'household', 'age'] as const) {
      const levels = new Set(cells.map((cell) => cell.levels[variable]!));
      for (const level of levels) {
        const inLevel = allocation.cells.filter((cell) => cell.levels[variable] === level);
        const universeShare = inLevel.reduce((sum, cell) => sum + cell.size, 0) / universe;
        const allocated = inLevel.reduce((sum, cell) => sum + cell.allocated, 0);
        expect(Math.abs(100 * (allocated / n - universeShare)), `${variable} ${level}`).toBeLessThanOrEqual(0.1);
        expect(Math.abs(allocated - n * universeShare), `${variable} ${level}`).toBeLessThanOrEqual(2);
        const reported = allocation.margins.find((margin) => margin.variable === variable && margin.level === level)!;
        expect(reported.sampleCount).toBe(allocated);
        expect(reported.universeShare).toBeCloseTo(universeShare, 12);
        expect(reported.differencePoints).toBeCloseTo(100 * (allocated / n - universeShare), 10);
      }
    }
    expect(allocation.margins).toHaveLength(13 + 5 + 6);
  });

  it('gives the same allocation whatever the order of the cells', () => {
    const cells = universeCells(6);
    const reversed = allocate({ mode: 'proportional', n, cells: [...cells].reverse() });
    expect(reversed).toEqual(allocate({ mode: 'proportional', n, cells }));
  });

  it('refuses cells described by different variables, and a key given twice', () => {
    const cells = universeCells(7);
    expect(() => allocate({ mode: 'proportional', n, cells: [...cells, { ...cells[0]!, key: 'odd', levels: { region: '11' } }] })).toThrow(/variables/);
    expect(() => allocate({ mode: 'proportional', n, cells: [...cells, cells[3]!] })).toThrow(/twice/);
  });
});

describe('allocate, given counts', () => {
  it('takes each cell as requested, its margins against the universe for a dry run', () => {
    const cells = universeCells(8).map((cell) => ({ ...cell, given: Math.min(cell.size, 20) }));
    const allocation = allocate({ mode: 'given', cells });
    expect(allocation.n).toBe(cells.reduce((sum, cell) => sum + cell.given, 0));
    for (const cell of allocation.cells) expect(cell.allocated).toBe(cells.find((c) => c.key === cell.key)!.given);
    for (const variable of ['region', 'household', 'age']) {
      const margins = allocation.margins.filter((margin) => margin.variable === variable);
      expect(margins.reduce((sum, margin) => sum + margin.sampleCount, 0)).toBe(allocation.n);
      expect(margins.reduce((sum, margin) => sum + margin.difference, 0)).toBeCloseTo(0, 9);
    }
  });

  it('refuses a request a cell cannot fill, naming the cell and the shortfall', () => {
    const cells = universeCells(9).map((cell) => ({ ...cell, given: 1 }));
    const short = cells[17]!;
    short.given = short.size + 12;
    let refusal: unknown;
    try {
      allocate({ mode: 'given', cells });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(QuotaShortfallError);
    const error = refusal as QuotaShortfallError;
    expect(error.code).toBe(errorCodes.quotaShortfall);
    expect(error.shortfalls).toEqual([{ key: short.key, requested: short.size + 12, available: short.size, shortfall: 12 }]);
    expect(error.message).toContain(short.key);
    expect(error.message).toContain('12 short');
  });
});

describe('stratifiedDraw', () => {
  const cells = universeCells(10);
  const units = universeUnits(cells);
  const allocation = allocate({ mode: 'proportional', n, cells });

  it('draws each cell its allocation, with n_h/N_h as inclusion probability, from 300,000 units', () => {
    const drawn = stratifiedDraw(units, allocation, 42);
    expect(drawn).toHaveLength(n);
    expect(new Set(drawn.map((unit) => unit.id)).size).toBe(n);
    const cellOf = new Map(units.map((unit) => [unit.id, unit.cell]));
    for (const cell of allocation.cells) {
      const inCell = drawn.filter((unit) => unit.cell === cell.key);
      expect(inCell).toHaveLength(cell.allocated);
      for (const unit of inCell) {
        expect(cellOf.get(unit.id)).toBe(cell.key);
        expect(unit.inclusionProbability).toBe(cell.allocated / cell.size);
      }
    }
  });

  it('gives the same ids for the same seed, whatever the order of the units; other ids for another seed', () => {
    const first = stratifiedDraw(units, allocation, 42);
    const shuffled = [...units];
    const random = seededRandom(99);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    expect(stratifiedDraw(shuffled, allocation, 42)).toEqual(first);
    const other = new Set(stratifiedDraw(units, allocation, 43).map((unit) => unit.id));
    expect(first.filter((unit) => other.has(unit.id)).length).toBeLessThan(n / 2);
  });

  it('refuses a cell with fewer units than its allocation, and a unit of no allocated cell', () => {
    const { key, allocated } = allocation.cells[5]!;
    const inCell = units.filter((unit) => unit.cell === key);
    const few = [...units.filter((unit) => unit.cell !== key), ...inCell.slice(0, allocated - 1)];
    expect(() => stratifiedDraw(few, allocation, 1)).toThrow(`${key} (${allocated} asked, ${allocated - 1} available, 1 short)`);
    expect(() => stratifiedDraw([...units, { id: 'stray', cell: 'nowhere' }], allocation, 1)).toThrow(/nowhere/);
  });

  it('gives every unit of a cell the same chance: n_h/N_h, within 4σ over 4,000 draws', () => {
    const cell = Array.from({ length: 40 }, (_, i) => ({ id: `u${String(i).padStart(2, '0')}`, cell: 'c' }));
    const counts = new Map(cell.map((unit) => [unit.id, 0]));
    const draws = 4000;
    for (let seed = 0; seed < draws; seed++)
      for (const { id } of stratifiedDraw(cell, { cells: [{ key: 'c', allocated: 7 }] }, seed)) counts.set(id, counts.get(id)! + 1);
    const pi = 7 / 40;
    const sigma = Math.sqrt((pi * (1 - pi)) / draws);
    for (const [id, count] of counts) expect(Math.abs(count / draws - pi), id).toBeLessThan(4 * sigma);
  });
});
