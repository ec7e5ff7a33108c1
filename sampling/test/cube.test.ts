import { describe, expect, it } from 'vitest';
import { cubeDraw, inclusionProbabilities, seededRandom } from '../src/index.js';

/**
 * A universe of `size` units with unequal inclusion probabilities summing to n, and `p` indicator variables z:
 * the levels of categorical variables (3 to 8 levels each), as a panel balances on régions or age bands.
 */
function universe(seed: number, size: number, n: number, p: number): { pi: Float64Array; z: Uint8Array[] } {
  const random = seededRandom(seed);
  const pi = inclusionProbabilities(
    Array.from({ length: size }, () => Math.exp(2 * random())),
    n,
  );
  const z: Uint8Array[] = [];
  while (z.length < p) {
    const levels = 3 + Math.floor(random() * 6);
    const weights = Array.from({ length: levels }, () => 0.2 + random());
    const total = weights.reduce((sum, w) => sum + w, 0);
    const level = Array.from({ length: size }, () => {
      let u = random() * total;
      let l = 0;
      while (l < levels - 1 && (u -= weights[l]!) > 0) l++;
      return l;
    });
    for (let l = 0; l < levels && z.length < p; l++) z.push(Uint8Array.from(level, (value) => (value === l ? 1 : 0)));
  }
  return { pi, z };
}

/** The cube method's columns for the counts z: x = π·z, so that the sample's counts match their expectations. */
const scaled = (pi: Float64Array, z: readonly Uint8Array[]): Float64Array[] => z.map((values) => Float64Array.from(values, (value, k) => pi[k]! * value));

/** For each indicator: the sample's count minus its expectation Σ_U π_k·z_k. */
function countDeviations(pi: Float64Array, z: readonly Uint8Array[], sample: Int32Array): number[] {
  return z.map((values) => {
    let expected = 0;
    for (let k = 0; k < pi.length; k++) expected += pi[k]! * values[k]!;
    let count = 0;
    for (const k of sample) count += values[k]!;
    return count - expected;
  });
}

describe('cubeDraw', () => {
  it.each([
    [5, 1],
    [5, 2],
    [10, 3],
    [20, 4],
    [30, 5],
    [30, 6],
  ])('with p = %i indicators (universe %i), balances every count within p of its expectation, the size exactly', (p, seed) => {
    const { pi, z } = universe(seed, 5000, 500, p);
    const sample = cubeDraw(pi, scaled(pi, z), seed);
    expect(sample).toHaveLength(500);
    expect(new Set(sample).size).toBe(500);
    for (const deviation of countDeviations(pi, z, sample)) expect(Math.abs(deviation)).toBeLessThanOrEqual(p);
  });

  it('decides units at 0 and 1 before the flight: never drawn, always drawn', () => {
    const { pi, z } = universe(7, 1000, 100, 4);
    for (let k = 0; k < 50; k++) pi[k] = k % 2;
    // Σπ is no longer an integer: the sample size is then within one of it.
    const total = pi.reduce((sum, value) => sum + value, 0);
    const sample = cubeDraw(pi, scaled(pi, z), 7);
    const drawn = new Set(sample);
    for (let k = 0; k < 50; k++) expect(drawn.has(k)).toBe(k % 2 === 1);
    expect(Math.abs(sample.length - total)).toBeLessThan(1);
  });

  it('gives the same sample for the same seed', () => {
    const { pi, z } = universe(8, 2000, 200, 6);
    const x = scaled(pi, z);
    expect(cubeDraw(pi, x, 11)).toEqual(cubeDraw(pi, x, 11));
    expect(cubeDraw(pi, x, 11)).not.toEqual(cubeDraw(pi, x, 12));
  });

  it('respects every inclusion probability: over 2,000 draws of 200 from 2,000, each frequency within 4σ of π', () => {
    const { pi, z } = universe(9, 2000, 200, 3);
    const x = scaled(pi, z);
    const draws = 2000;
    const counts = new Uint32Array(pi.length);
    for (let seed = 0; seed < draws; seed++) for (const k of cubeDraw(pi, x, seed)) counts[k]!++;
    const misses: string[] = [];
    for (let k = 0; k < pi.length; k++) {
      const sigma = Math.sqrt((pi[k]! * (1 - pi[k]!)) / draws);
      if (Math.abs(counts[k]! / draws - pi[k]!) > 4 * sigma) misses.push(`unit ${k}: π ${pi[k]}, drawn ${counts[k]} times`);
    }
    expect(misses).toEqual([]);
  });

  it('slow (a few seconds): balances 300,000 units on 30 indicators', () => {
    const { pi, z } = universe(10, 300_000, 10_000, 30);
    const sample = cubeDraw(pi, scaled(pi, z), 10);
    expect(sample).toHaveLength(10_000);
    for (const deviation of countDeviations(pi, z, sample)) expect(Math.abs(deviation)).toBeLessThanOrEqual(30);
  });
});
