import { errorCodes } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { compareMargins, inclusionProbabilities, logisticRegression, nearestTwin, rIndicator, seededRandom } from '../src/index.js';

describe('seededRandom', () => {
  it('gives the same stream for the same seed, another for another, in [0, 1)', () => {
    const take = (seed: number) => Array.from({ length: 1000 }, seededRandom(seed));
    expect(take(1)).toEqual(take(1));
    expect(take(1)).not.toEqual(take(2));
    expect(take(2 ** 40 + 1)).not.toEqual(take(1));
    for (const value of take(3)) expect(value >= 0 && value < 1).toBe(true);
  });

  it('fills 100 equal bins as a uniform would (χ² under its 0.999 quantile)', () => {
    const random = seededRandom(4);
    const bins = new Uint32Array(100);
    const draws = 1_000_000;
    for (let i = 0; i < draws; i++) bins[Math.floor(random() * 100)]!++;
    const expected = draws / 100;
    const chiSquare = bins.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // χ²(99) has its 0.999 quantile at 148.2.
    expect(chiSquare).toBeLessThan(148.2);
  });

  it('refuses a seed that is no safe integer', () => {
    expect(() => seededRandom(1.5)).toThrow(expect.objectContaining({ code: errorCodes.validation }));
  });
});

describe('inclusionProbabilities', () => {
  it('sums to n, caps at 1 the largest units, keeps the others proportional to size', () => {
    const random = seededRandom(5);
    const sizes = Array.from({ length: 500 }, () => Math.exp(6 * random()));
    const pi = inclusionProbabilities(sizes, 150);
    expect(pi.reduce((sum, value) => sum + value, 0)).toBeCloseTo(150, 9);
    const capped = sizes.map((_, k) => k).filter((k) => pi[k] === 1);
    const proportional = sizes.map((_, k) => k).filter((k) => pi[k]! < 1);
    expect(capped.length).toBeGreaterThan(0);
    const smallestCapped = Math.min(...capped.map((k) => sizes[k]!));
    for (const k of proportional) expect(sizes[k]!).toBeLessThan(smallestCapped);
    const ratio = pi[proportional[0]!]! / sizes[proportional[0]!]!;
    for (const k of proportional) expect(pi[k]! / sizes[k]!).toBeCloseTo(ratio, 12);
  });

  it('gives π = 0 to a zero size, and refuses a negative size or more units than it can take', () => {
    expect([...inclusionProbabilities([0, 1, 3], 1)]).toEqual([0, 0.25, 0.75]);
    expect(() => inclusionProbabilities([1, -1], 1)).toThrow(/not negative/);
    expect(() => inclusionProbabilities([0, 1, 2], 3)).toThrow(/2 units of positive size/);
  });
});

describe('logisticRegression', () => {
  const random = seededRandom(6);
  const size = 5000;
  const x1 = Float64Array.from({ length: size }, () => random() * 2 - 1);
  const x2 = Float64Array.from({ length: size }, () => (random() < 0.4 ? 1 : 0));
  const y = Float64Array.from({ length: size }, (_, k) => (random() < 1 / (1 + Math.exp(-(0.3 + 1.2 * x1[k]! - 0.8 * x2[k]!))) ? 1 : 0));

  it('solves the score equations: Σ w·(y − μ)·x = 0 for the intercept and every covariate', () => {
    const weights = Float64Array.from({ length: size }, () => 0.5 + random());
    for (const options of [{}, { weights }]) {
      const fit = logisticRegression([x1, x2], y, options);
      expect(fit.converged).toBe(true);
      expect(fit.separation.detected).toBe(false);
      for (const column of [new Float64Array(size).fill(1), x1, x2]) {
        let score = 0;
        for (let k = 0; k < size; k++) score += (options.weights?.[k] ?? 1) * (y[k]! - fit.fitted[k]!) * column[k]!;
        expect(Math.abs(score)).toBeLessThan(1e-8);
      }
    }
  });

  it('reports separation: a covariate that decides the outcome', () => {
    const decides = Float64Array.from(x1, (value) => value);
    const outcome = Float64Array.from(x1, (value) => (value > 0 ? 1 : 0));
    const fit = logisticRegression([decides], outcome);
    expect(fit.separation.detected).toBe(true);
    expect(fit.separation.units).toBeGreaterThan(size / 2);
  });

  it('refuses collinear covariates and outcomes other than 0 and 1', () => {
    expect(() => logisticRegression([x1, Float64Array.from(x1, (v) => 2 * v)], y)).toThrow(/collinear/);
    expect(() =>
      logisticRegression(
        [x1],
        Float64Array.from(y, (v) => v * 2),
      ),
    ).toThrow(/0 or 1/);
  });
});

describe('rIndicator', () => {
  it('is 1 when every propensity is the same', () => {
    expect(rIndicator(new Float64Array(50).fill(0.37))).toBeCloseTo(1, 14);
  });

  it('weighs a unit by d as d copies of it would count', () => {
    const random = seededRandom(7);
    const propensities = Float64Array.from({ length: 200 }, () => random());
    const weights = Float64Array.from({ length: 200 }, () => 1 + Math.floor(random() * 4));
    const copies = Float64Array.from(Array.from(propensities).flatMap((rho, k) => Array.from({ length: weights[k]! }, () => rho)));
    expect(rIndicator(propensities, weights)).toBeCloseTo(rIndicator(copies), 12);
  });

  it('is 1 − 2·S: for propensities split half at 0, half at 1 over 2m units, S² = m/(2·(2m − 1))', () => {
    const m = 10;
    const propensities = Float64Array.from({ length: 2 * m }, (_, k) => (k < m ? 0 : 1));
    expect(rIndicator(propensities)).toBeCloseTo(1 - 2 * Math.sqrt(m / (2 * (2 * m - 1))), 14);
  });
});

describe('compareMargins', () => {
  it('gives each level its universe and sample shares, the differences summing to zero per variable', () => {
    const universe = [
      { levels: { sex: 'f', age: 'young' }, count: 300 },
      { levels: { sex: 'f', age: 'old' }, count: 200 },
      { levels: { sex: 'm', age: 'young' }, count: 400 },
      { levels: { sex: 'm', age: 'old' }, count: 100 },
    ];
    const sample = [
      { levels: { sex: 'f', age: 'young' }, count: 30 },
      { levels: { sex: 'm', age: 'old' }, count: 20 },
    ];
    const margins = compareMargins(universe, sample);
    const female = margins.find((m) => m.variable === 'sex' && m.level === 'f')!;
    expect(female).toMatchObject({ universeCount: 500, universeShare: 0.5, sampleCount: 30, sampleShare: 0.6, expectedCount: 25, difference: 5 });
    expect(female.differencePoints).toBeCloseTo(10, 12);
    for (const variable of ['sex', 'age']) {
      expect(margins.filter((m) => m.variable === variable).reduce((sum, m) => sum + m.difference, 0)).toBeCloseTo(0, 12);
    }
    expect(() => compareMargins(universe, [{ levels: { sex: 'x' }, count: 1 }])).toThrow(/sex = x/);
  });
});

describe('nearestTwin', () => {
  const candidates = [
    { id: 'b', cell: 'c1', features: { sessions: 10, minutes: 300 } },
    { id: 'a', cell: 'c1', features: { sessions: 10, minutes: 300 } },
    { id: 'c', cell: 'c1', features: { sessions: 30, minutes: 310 } },
    { id: 'd', cell: 'c2', features: { sessions: 12, minutes: 305 } },
    { id: 'e', cell: 'c1', features: { sessions: 12, minutes: 900 } },
    { id: 'gone', cell: 'c1', features: { sessions: 12, minutes: 305 } },
  ];

  it('takes the nearest of the same cell on standardised features, the smallest id on a tie, never the member itself', () => {
    const gone = candidates[5]!;
    // Unstandardised, minutes would decide (c is 5 minutes away, a and b are 5); standardised, c's 18 extra sessions weigh more.
    expect(nearestTwin(candidates, gone, ['sessions', 'minutes'])?.id).toBe('a');
    expect(nearestTwin(candidates, { ...gone, cell: 'c2' }, ['sessions', 'minutes'])?.id).toBe('d');
    expect(nearestTwin(candidates, { ...gone, cell: 'c3' }, ['sessions', 'minutes'])).toBeUndefined();
  });

  it('refuses a candidate without a feature', () => {
    expect(() => nearestTwin([...candidates, { id: 'x', cell: 'c1', features: {} }], candidates[0]!, ['sessions'])).toThrow(/sessions/);
  });
});
