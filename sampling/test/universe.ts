import { seededRandom, type QuotaCell, type SamplingUnit } from '../src/index.js';

/** Levels of the three interlocked variables: 13 régions × 5 household sizes × 6 age bands = 390 cells. */
export const regions = ['11', '24', '27', '28', '32', '44', '52', '53', '75', '76', '84', '93', '94'];
export const households = ['1', '2', '3', '4', '5+'];
export const ages = ['18-24', '25-34', '35-49', '50-64', '65-74', '75+'];

/**
 * A universe of `total` people over the 390 cells, with uneven sizes drawn from the seed: each variable's levels
 * get skewed weights, and each cell its own noise on top, so margins and cells alike are far from uniform.
 */
export function universeCells(seed: number, total = 300_000): QuotaCell[] {
  const random = seededRandom(seed);
  const skew = (count: number) => Array.from({ length: count }, () => Math.exp(1.5 * random()));
  const [wr, wh, wa] = [skew(regions.length), skew(households.length), skew(ages.length)];
  const cells: (QuotaCell & { weight: number })[] = [];
  regions.forEach((region, r) => {
    households.forEach((household, h) => {
      ages.forEach((age, a) => {
        const weight = wr[r]! * wh[h]! * wa[a]! * Math.exp(random() - 0.5);
        cells.push({ key: `${region}|${household}|${age}`, levels: { region, household, age }, size: 0, weight });
      });
    });
  });
  const sum = cells.reduce((acc, cell) => acc + cell.weight, 0);
  let left = total;
  cells.forEach((cell, h) => {
    cell.size = h === cells.length - 1 ? left : Math.floor((total * cell.weight) / sum);
    left -= cell.size;
  });
  return cells.map(({ key, levels, size }) => ({ key, levels, size }));
}

/** One person per unit of each cell's size, ids zero-padded so that their order is their number's. */
export function universeUnits(cells: readonly QuotaCell[]): SamplingUnit[] {
  const units: SamplingUnit[] = [];
  for (const cell of cells) for (let i = 0; i < cell.size; i++) units.push({ id: `p${String(units.length).padStart(7, '0')}`, cell: cell.key });
  return units;
}
