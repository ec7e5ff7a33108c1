import { describe, expect, it } from 'vitest';
import { normal, poisson, rngFor, roundedCount, triangular } from '../src/prng.js';

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const draws = (n: number, draw: () => number) => Array.from({ length: n }, draw);

describe('seeded random numbers', () => {
  it('repeat for the same seed and parts, and differ otherwise', () => {
    const a = draws(5, rngFor(1, 'sessions', 'tv', 20_000));
    expect(draws(5, rngFor(1, 'sessions', 'tv', 20_000))).toEqual(a);
    expect(draws(5, rngFor(2, 'sessions', 'tv', 20_000))).not.toEqual(a);
    expect(draws(5, rngFor(1, 'sessions', 'tv', 20_001))).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('draw from the intended distributions', () => {
    const rng = rngFor(3, 'test');
    expect(mean(draws(20_000, rng))).toBeCloseTo(0.5, 1);
    expect(mean(draws(20_000, () => normal(rng)))).toBeCloseTo(0, 1);
    expect(mean(draws(20_000, () => poisson(rng, 2.5)))).toBeCloseTo(2.5, 1);
    expect(mean(draws(20_000, () => poisson(rng, 60)))).toBeCloseTo(60, 0);
    const tri = draws(20_000, () => triangular(rng, 6, 7, 9));
    expect(Math.min(...tri)).toBeGreaterThanOrEqual(6);
    expect(Math.max(...tri)).toBeLessThanOrEqual(9);
    expect(mean(tri)).toBeCloseTo((6 + 7 + 9) / 3, 1);
    expect(new Set(draws(1000, () => roundedCount(rng, 2.25)))).toEqual(new Set([2, 3]));
  });
});
