import type { CodedMargins } from './margins.js';

/**
 * The calibration model matrix as R's `model.matrix` builds it for `~ a*b + c` from margins (a × b) and (c):
 * an intercept, then every term (each variable, then each crossing within a margin, lowest order first) with
 * treatment contrasts (a column per level but the first, per combination of such levels), and the population
 * total of each column. The calibration equations Σ w_k x_k = T then say the same as the margins' cells, and
 * both the Newton steps and the convergence test see the same numbers as R's.
 */
export interface ModelMatrix {
  columns: number;
  /** Each column's name: `(Intercept)`, `region=84`, `sex=F:age=18-34`. */
  names: string[];
  population: Float64Array;
  /** Each person's columns equal to 1 (all others are 0): `width` entries per person, -1 where none. */
  active: Int32Array;
  width: number;
}

/** The model matrix of the margins' terms for the coded sample. */
export function modelMatrix(coded: CodedMargins): ModelMatrix {
  const terms = termsOf(coded);
  const names = ['(Intercept)'];
  const first = coded.margins[0]!;
  const population = [first.targets.reduce((sum, target) => sum + target, 0)];
  const offsets: number[] = [];
  const termStrides: number[][] = [];
  for (const term of terms) {
    offsets.push(names.length);
    // Column for the non-reference levels (ℓ_v ≥ 1) of the term's variables, the first variable varying fastest.
    const strides: number[] = [];
    let count = 1;
    for (const v of term) {
      strides.push(count);
      count *= coded.levels[v]!.length - 1;
    }
    termStrides.push(strides);
    const margin = coded.margins.find((candidate) => term.every((v) => candidate.variables.includes(v)))!;
    const totals = new Float64Array(count);
    margin.targets.forEach((target, cell) => {
      let column = 0;
      for (let j = 0; j < term.length; j++) {
        const v = term[j]!;
        const level = Math.floor(cell / margin.strides[margin.variables.indexOf(v)]!) % coded.levels[v]!.length;
        if (level === 0) return;
        column += (level - 1) * strides[j]!;
      }
      totals[column]! += target;
    });
    for (let column = 0; column < count; column++) {
      names.push(
        term.map((v, j) => `${coded.variables[v]}=${coded.levels[v]![1 + (Math.floor(column / strides[j]!) % (coded.levels[v]!.length - 1))]}`).join(':'),
      );
      population.push(totals[column]!);
    }
  }
  const size = coded.codes[0]!.length;
  const width = terms.length + 1;
  const active = new Int32Array(size * width).fill(-1);
  for (let k = 0; k < size; k++) {
    active[k * width] = 0;
    terms.forEach((term, t) => {
      let column = 0;
      for (let j = 0; j < term.length; j++) {
        const level = coded.codes[term[j]!]![k]!;
        if (level === 0) return;
        column += (level - 1) * termStrides[t]![j]!;
      }
      active[k * width + t + 1] = offsets[t]! + column;
    });
  }
  return { columns: names.length, names, population: Float64Array.from(population), active, width };
}

/**
 * Every non-empty subset of each margin's variables, once, ordered as R's `terms` orders them: by size, then by
 * first appearance in the formula's expansion.
 */
function termsOf(coded: CodedMargins): number[][] {
  const seen = new Set<string>();
  const bySize: number[][][] = [];
  for (const margin of coded.margins) {
    const vars = margin.variables;
    // Counting masks upwards lists a margin's terms of one size in its variables' order (a:b, a:c, b:c).
    for (let mask = 1; mask < 1 << vars.length; mask++) {
      const term = vars.filter((_, j) => mask & (1 << j));
      bySize[term.length] ??= [];
      bySize[term.length]!.push(term);
    }
  }
  const terms: number[][] = [];
  for (const group of bySize) {
    if (!group) continue;
    for (const term of group) {
      const key = [...term].sort((a, b) => a - b).join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      // A term names its variables in their order of first appearance, as R's labels do.
      terms.push([...term].sort((a, b) => a - b));
    }
  }
  return terms;
}
