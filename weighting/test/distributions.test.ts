import { normalQuantile, studentQuantile } from '@parcours/weighting';
import { describe, expect, it } from 'vitest';
import { normalCdf, studentCdf } from '../src/distributions.js';

describe('quantiles', () => {
  it('invert their distribution functions, for every degree of freedom', () => {
    for (const df of [1, 2, 5, 30, 597, 10_000, Number.POSITIVE_INFINITY]) {
      for (const p of [0.5001, 0.8, 0.9, 0.975, 0.995, 0.9999]) {
        const q = studentQuantile(p, df);
        expect(studentCdf(q, df)).toBeCloseTo(p, 13);
        expect(studentQuantile(1 - p, df)).toBeCloseTo(-q, 12);
      }
    }
  });

  it('t quantiles fall towards the normal one as the degrees of freedom grow; Cauchy and normal in closed form', () => {
    const dfs = [1, 3, 10, 100, 1000, 100_000];
    const quantiles = dfs.map((df) => studentQuantile(0.975, df));
    for (let i = 1; i < quantiles.length; i++) expect(quantiles[i]).toBeLessThan(quantiles[i - 1]!);
    expect(quantiles.at(-1)! - normalQuantile(0.975)).toBeLessThan(1e-4);
    // With one degree of freedom t is Cauchy: its quantile is tan(π(p − ½)).
    expect(studentQuantile(0.9, 1)).toBeCloseTo(Math.tan(Math.PI * 0.4), 12);
    // Φ(x) from its Taylor series Σ (−1)ⁿ x^(2n+1) / (n!·2ⁿ·(2n+1)), an independent computation.
    const series = (x: number) => {
      let sum = 0;
      let term = x;
      for (let n = 0; n < 120; n++) {
        sum += term / (2 * n + 1);
        term *= (-x * x) / (2 * (n + 1));
      }
      return 0.5 + sum / Math.sqrt(2 * Math.PI);
    };
    for (const x of [-2.5, -1, 0.3, 1.959964, 2.8]) expect(normalCdf(x)).toBeCloseTo(series(x), 13);
  });
});
