import { errorCodes } from '@parcours/contracts';
import { seededRandom } from '@parcours/sampling';
import {
  calibrate,
  designWeighting,
  estimateMean,
  estimateProportion,
  estimateTotal,
  type Margin,
  rake,
  trimWeights,
  type WeightingSample,
} from '@parcours/weighting';
import { describe, expect, it } from 'vitest';

/** A panel of 10,000 over 24 levels (13 régions, 6 age bands, 2 sexes, 3 household sizes), drawn unevenly. */
const random = seededRandom(6);
const levels = { region: 13, age: 6, sex: 2, household: 3 } as const;
type Variable = keyof typeof levels;
const variables = Object.keys(levels) as Variable[];
const size = 10_000;
const draw = (count: number, tilt: number) => String(Math.min(count - 1, Math.floor(count * random() ** tilt)));
const people = Array.from({ length: size }, () => ({ region: draw(13, 1.3), age: draw(6, 0.8), sex: draw(2, 1.1), household: draw(3, 1) }));
const sample: WeightingSample = {
  levels: Object.fromEntries(variables.map((v) => [v, people.map((p) => p[v])])),
  baseWeights: people.map(() => 20 + 20 * random()),
  strata: people.map((p) => (Number(p.region) < 6 ? 'west' : 'east')),
};
const population = 300_000;
const margin = (v: Variable): Margin => ({
  variables: [v],
  cells: Array.from({ length: levels[v] }, (_, i) => ({ levels: { [v]: String(i) }, total: population / levels[v] })),
});
const oneWay = variables.map(margin);
const ageBySex: Margin = {
  variables: ['age', 'sex'],
  cells: Array.from({ length: 12 }, (_, i) => ({ levels: { age: String(i % 6), sex: String(Math.floor(i / 6)) }, total: population / 12 })),
};

function expectRefused(run: () => unknown, code: string, naming: string): void {
  let error: unknown;
  try {
    run();
  } catch (caught) {
    error = caught;
  }
  expect(error, 'refused').toMatchObject({ code });
  expect((error as Error).message).toContain(naming);
}

describe('weighting meets its margins', () => {
  it('rake and every calibration distance bring every margin cell to its total', () => {
    for (const weighting of [
      rake(sample, oneWay, { epsilon: 1e-6 }),
      calibrate(sample, oneWay),
      calibrate(sample, oneWay, { distance: 'raking' }),
      calibrate(sample, oneWay, { distance: 'logit', bounds: { lower: 0.3, upper: 3 } }),
      calibrate(sample, [margin('region'), ageBySex, margin('household')], { distance: 'raking' }),
    ]) {
      expect(weighting.report.converged).toBe(true);
      expect(weighting.report.largestMarginError).toBeLessThan(0.05);
      for (const cell of weighting.report.margins) expect(cell.after).toBeCloseTo(cell.target, 1);
    }
  });

  it('keeps g-weights within their bounds, and at them where the bounds bind', () => {
    for (const distance of ['linear', 'logit'] as const) {
      const bounds = { lower: 0.5, upper: 1.8 };
      const weighting = calibrate(sample, oneWay, { distance, bounds });
      const g = weighting.weights.map((w, k) => w / sample.baseWeights![k]!);
      expect(Math.min(...g)).toBeGreaterThanOrEqual(bounds.lower - 1e-12);
      expect(Math.max(...g)).toBeLessThanOrEqual(bounds.upper + 1e-12);
      const unbounded = calibrate(sample, oneWay, { distance: distance === 'logit' ? 'raking' : 'linear' });
      const free = unbounded.weights.map((w, k) => w / sample.baseWeights![k]!);
      expect(Math.max(...free) > bounds.upper || Math.min(...free) < bounds.lower, 'the bounds bind').toBe(true);
    }
  });

  it('reports the weights: Kish design effect 1 + CV², n_eff = n/deff, margins before and after', () => {
    const { report, weights } = calibrate(sample, oneWay, { distance: 'raking' });
    const sum = weights.reduce((a, b) => a + b, 0);
    const squares = weights.reduce((a, b) => a + b * b, 0);
    expect(report.weights.designEffect).toBeCloseTo((size * squares) / sum ** 2, 10);
    expect(report.weights.effectiveSize).toBeCloseTo(size / report.weights.designEffect, 6);
    expect(report.weights.designEffect).toBeCloseTo(1 + report.weights.cv ** 2, 10);
    expect(report.margins).toHaveLength(24);
    expect(report.margins.some((cell) => Math.abs(cell.before - cell.target) > 1000)).toBe(true);
  });
});

describe('refusals name what no weights can meet', () => {
  const small: WeightingSample = { levels: { region: ['a', 'a', 'b', 'b', 'c'], sex: ['F', 'M', 'F', 'F', 'M'] } };
  const regionBySex: Margin = {
    variables: ['region', 'sex'],
    cells: [
      { levels: { region: 'a', sex: 'F' }, total: 10 },
      { levels: { region: 'a', sex: 'M' }, total: 10 },
      { levels: { region: 'b', sex: 'F' }, total: 10 },
      { levels: { region: 'b', sex: 'M' }, total: 10 },
      { levels: { region: 'c', sex: 'M' }, total: 10 },
    ],
  };

  it('an empty joint cell with a positive total', () => {
    expectRefused(() => calibrate(small, [regionBySex]), errorCodes.weightingEmptyCell, 'region = b, sex = M');
    expectRefused(() => rake(small, [regionBySex]), errorCodes.weightingEmptyCell, 'region = b, sex = M');
  });

  it('a level of a margin that no one in the sample has, and a sampled level no margin has', () => {
    const regions: Margin = { variables: ['region'], cells: ['a', 'b', 'c', 'd'].map((region) => ({ levels: { region }, total: 10 })) };
    expectRefused(() => calibrate(small, [regions]), errorCodes.weightingMissingLevel, 'region = d');
    const twoRegions: Margin = { variables: ['region'], cells: ['a', 'b'].map((region) => ({ levels: { region }, total: 10 })) };
    expectRefused(() => rake(small, [twoRegions]), errorCodes.weightingUnknownLevel, 'region = c (1 people)');
  });

  it('bounds a cell cannot reach within, and a cell of total 0 that raking cannot empty', () => {
    const sexes: Margin = {
      variables: ['sex'],
      cells: [
        { levels: { sex: 'F' }, total: 30 },
        { levels: { sex: 'M' }, total: 2 },
      ],
    };
    expectRefused(() => calibrate(small, [sexes], { distance: 'logit', bounds: { lower: 0.5, upper: 3 } }), errorCodes.weightingBounds, 'sex = F');
    const noMen: Margin = {
      variables: ['sex'],
      cells: [
        { levels: { sex: 'F' }, total: 30 },
        { levels: { sex: 'M' }, total: 0 },
      ],
    };
    expectRefused(() => rake(small, [noMen]), errorCodes.weightingBounds, 'sex = M');
    expectRefused(() => calibrate(small, [noMen], { distance: 'raking' }), errorCodes.weightingBounds, 'sex = M');
  });

  it('a calibration that does not converge, unless forced', () => {
    const run = (force: boolean) => calibrate(sample, oneWay, { distance: 'raking', maxit: 1, force });
    expectRefused(() => run(false), errorCodes.weightingNotConverged, '=');
    expect(run(true).report.converged).toBe(false);
  });
});

describe('trimming', () => {
  const weighting = calibrate(sample, oneWay, { distance: 'raking' });
  const sorted = [...weighting.weights].sort((a, b) => a - b);
  const bounds = { lower: sorted[500]!, upper: sorted[9000]! };

  it('keeps the total, and strict trimming keeps every weight within the bounds', () => {
    const total = (weights: Float64Array) => weights.reduce((a, b) => a + b, 0);
    for (const strict of [false, true]) {
      const trimmed = trimWeights(weighting, { ...bounds, strict });
      expect(total(trimmed.weights)).toBeCloseTo(total(weighting.weights), 6);
      expect(trimmed.report.trimmed).toBeGreaterThan(900);
      expect(trimmed.report.weights.designEffect).toBeLessThan(weighting.report.weights.designEffect);
      if (strict) expect(trimmed.report.weights.max).toBeLessThanOrEqual(bounds.upper);
    }
  });
});

describe('estimates and their uncertainty', () => {
  const y = people.map((p) => Number(p.age) * 3 + Number(p.region) + random());

  it('a calibrated total of a calibration variable is its target, with a standard error of 0', () => {
    const weighting = calibrate(sample, oneWay, { distance: 'raking' });
    const inRegion3 = people.map((p) => (p.region === '3' ? 1 : 0));
    const total = estimateTotal(weighting, inRegion3);
    expect(total.estimate).toBeCloseTo(population / 13, 2);
    expect(total.standardError).toBeLessThan(1e-6 * total.estimate);
    const share = estimateProportion(weighting, inRegion3);
    expect(share.standardError).toBeLessThan(1e-9);
    // Raking's iterated cell means reach the same: the residual of a margin indicator is 0.
    expect(estimateTotal(rake(sample, oneWay, { epsilon: 1e-9, maxit: 100 }), inRegion3).standardError).toBeLessThan(1e-3);
  });

  it('JK1 and linearization give the same variance of a total under design weights alone, as they must', () => {
    const flat: WeightingSample = { levels: {}, baseWeights: Array.from(sample.baseWeights!).slice(0, 400) };
    const weighting = designWeighting(flat, { replicates: 'JK1' });
    const values = y.slice(0, 400);
    const linearized = estimateTotal(weighting, values);
    const jackknifed = estimateTotal(weighting, values, { variance: 'jackknife' });
    expect(jackknifed.standardError).toBeCloseTo(linearized.standardError, 6);
  });

  it('a proportion interval lies in [0, 1], around the estimate, and narrows as the confidence level falls', () => {
    const weighting = calibrate(sample, oneWay, { distance: 'raking' });
    const rare = people.map((p) => (p.age === '5' && p.household === '2' && p.sex === '1' ? 1 : 0));
    const wide = estimateProportion(weighting, rare);
    const narrow = estimateProportion(weighting, rare, { level: 0.8 });
    expect(wide.lower).toBeGreaterThan(0);
    expect(wide.upper).toBeLessThan(1);
    expect(wide.lower).toBeLessThan(wide.estimate);
    expect(wide.upper).toBeGreaterThan(wide.estimate);
    expect(narrow.upper - narrow.lower).toBeLessThan(wide.upper - wide.lower);
    expect(wide.degreesOfFreedom).toBe(size - 2);
    const mean = estimateMean(weighting, y);
    expect(mean.n).toBe(size);
    expect(mean.effectiveSize).toBeCloseTo(size / mean.designEffect, 6);
  });
});

describe('estimates for a domain', () => {
  const y = people.map((p) => Number(p.age) * 3 + Number(p.region) + random());
  const weighting = calibrate(sample, oneWay, { distance: 'raking' });
  // A domain no margin describes: people of a large household aged under 3, and a random half of the others.
  const domain = people.map((p): number => (p.household === '2' && Number(p.age) < 3 ? 1 : random() < 0.5 ? 1 : 0));
  const inDomain = domain.reduce((a, b) => a + b, 0);

  it("a domain's total, with its standard error, is the total of the values set to 0 outside it", () => {
    const ours = estimateTotal(weighting, y, { domain });
    const zeroed = estimateTotal(
      weighting,
      y.map((value, k) => value * domain[k]!),
    );
    expect(ours.estimate).toBeCloseTo(zeroed.estimate, 6);
    expect(ours.standardError).toBeCloseTo(zeroed.standardError, 6);
    expect(ours.n).toBe(inDomain);
    expect(ours.effectiveSize).toBeLessThanOrEqual(inDomain);
  });

  it("a domain's mean is its total over its size, and a domain of everyone is no domain", () => {
    const mean = estimateMean(weighting, y, { domain });
    const domainSize = estimateTotal(weighting, domain).estimate;
    expect(mean.estimate).toBeCloseTo(estimateTotal(weighting, y, { domain }).estimate / domainSize, 9);
    const everyone = new Array<number>(size).fill(1);
    expect(estimateMean(weighting, y, { domain: everyone })).toEqual(estimateMean(weighting, y));
    expect(estimateProportion(weighting, domain, { domain: everyone })).toEqual(estimateProportion(weighting, domain));
  });

  it('the size of a domain that is a calibration cell is its target, with a standard error of 0', () => {
    const inRegion3 = people.map((p) => (p.region === '3' ? 1 : 0));
    const count = estimateTotal(weighting, new Array<number>(size).fill(1), { domain: inRegion3 });
    expect(count.estimate).toBeCloseTo(population / 13, 2);
    expect(count.standardError).toBeLessThan(1e-6 * count.estimate);
  });

  it('a proportion in a domain has the degrees of freedom of its people less the strata they are in', () => {
    expect(
      estimateProportion(
        weighting,
        domain.map((d, k) => d * (y[k]! > 20 ? 1 : 0)),
        { domain },
      ).degreesOfFreedom,
    ).toBe(inDomain - 2);
    const west = people.map((p): number => (Number(p.region) < 6 ? 1 : 0));
    const share = estimateProportion(weighting, domain, { domain: west });
    expect(share.degreesOfFreedom).toBe(west.reduce((a, b) => a + b, 0) - 1);
    expect(share.lower).toBeLessThan(share.estimate);
    expect(share.upper).toBeGreaterThan(share.estimate);
  });

  it('an empty domain, one of no weight, a jackknife of a domain of one person, and a malformed mask are refused', () => {
    const nobody = new Array<number>(size).fill(0);
    expectRefused(() => estimateMean(weighting, y, { domain: nobody }), errorCodes.weightingEmptyDomain, 'holds no one');
    const weightless = { ...weighting, weights: Float64Array.from(weighting.weights, (w, k) => (domain[k] ? 0 : w)) };
    expectRefused(() => estimateTotal(weightless, y, { domain }), errorCodes.weightingEmptyDomain, 'total weight of 0');
    const flat: WeightingSample = { levels: {}, baseWeights: Array.from(sample.baseWeights!).slice(0, 50) };
    const alone = Array.from({ length: 50 }, (_, k) => (k === 7 ? 1 : 0));
    expectRefused(
      () => estimateMean(designWeighting(flat, { replicates: 'JK1' }), y.slice(0, 50), { variance: 'jackknife', domain: alone }),
      errorCodes.weightingEmptyDomain,
      'jackknife replicate',
    );
    expectRefused(() => estimateMean(weighting, y, { domain: domain.slice(1) }), errorCodes.validation, 'one entry per person');
    expectRefused(() => estimateMean(weighting, y, { domain: domain.map((d) => d * 2) }), errorCodes.validation, '1 for each person');
  });
});
