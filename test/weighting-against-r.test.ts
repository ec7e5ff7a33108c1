import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@parcours/sampling';
import {
  calibrate,
  designWeighting,
  estimateMean,
  estimateProportion,
  estimateTotal,
  type EstimateOptions,
  type Margin,
  type ProportionEstimate,
  rake,
  trimWeights,
  type Weighting,
  type WeightingSample,
} from '@parcours/weighting';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRPackage } from '../tools/services/ensure-installed.js';

/**
 * The weighting statistics against R's survey package, the reference implementation, run by
 * test/weighting-reference.R on a simulated panel generated here from a seed: stratified with finite population
 * corrections, its margins one-way, crossed and partially crossed, some weightings bounded or trimmed, some
 * estimates for a domain (a subpopulation no margin describes, estimated on R's `subset(design, …)`).
 */
const random = seededRandom(1818);
const levelCounts = { region: 4, sex: 2, age: 3 } as const;
type Variable = keyof typeof levelCounts;
const levelName = (code: number) => String(code);

/** A person's levels drawn with the given propensities: the panel over-represents some people, as panels do. */
function person(tilt: number): Record<Variable, number> {
  const pick = (weights: number[]) => {
    let u = random() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < weights.length; i++) if ((u -= weights[i]!) < 0) return i + 1;
    return weights.length;
  };
  return { region: pick([4, 3 + tilt, 2, 1 + tilt]), sex: pick([1, 1 + tilt / 2]), age: pick([3, 2 + tilt, 2 - tilt / 2]) };
}

// The population the margins come from, and a panel of 600 drawn unevenly from three strata.
const population = Array.from({ length: 25_000 }, () => person(0));
const strata = [
  { name: 'north', size: 6000, n: 150 },
  { name: 'centre', size: 9000, n: 200 },
  { name: 'south', size: 10_000, n: 250 },
];
const panel = strata.flatMap(({ name, size, n }) =>
  Array.from({ length: n }, () => {
    const levels = person(1.2);
    const d = (size / n) * (0.6 + 0.8 * random());
    const y = 10 + 3 * levels.region - 4 * levels.sex + 2.5 * levels.age + 6 * random();
    const b = random() < 0.15 + 0.1 * levels.age + (levels.sex === 2 ? 0.1 : 0) ? 1 : 0;
    return { ...levels, stratum: name, N: size, d, y, b };
  }),
);
const sample: WeightingSample = {
  levels: Object.fromEntries((Object.keys(levelCounts) as Variable[]).map((v) => [v, panel.map((p) => levelName(p[v]))])),
  baseWeights: panel.map((p) => p.d),
  strata: panel.map((p) => p.stratum),
  stratumSizes: Object.fromEntries(strata.map(({ name, size }) => [name, size])),
};
const flatSample: WeightingSample = { levels: sample.levels, baseWeights: sample.baseWeights! };
const y = panel.map((p) => p.y);
const b = panel.map((p) => p.b);
// A domain that no margin describes, more likely among people of high y: its estimates differ from everyone's.
const inDomain = panel.map((p) => (random() < 0.15 + 0.01 * (p.y - 10) ? 1 : 0));

/** A margin's cells, every combination of its variables' levels in order, counted in the population. */
function marginOf(...variables: Variable[]): Margin {
  const combos: number[][] = [[]];
  for (const v of variables) {
    const next: number[][] = [];
    for (const combo of combos) for (let level = 1; level <= levelCounts[v]; level++) next.push([...combo, level]);
    combos.splice(0, combos.length, ...next);
  }
  // The first variable's levels must come first in order, so its reference level is the same as R's.
  combos.sort((a, b) => a.reduce((c, _, j) => c || a[j]! - b[j]!, 0));
  return {
    variables,
    cells: combos.map((combo) => ({
      levels: Object.fromEntries(variables.map((v, j) => [v, levelName(combo[j]!)])),
      total: population.filter((p) => variables.every((v, j) => p[v] === combo[j])).length,
    })),
  };
}
const margins = {
  region: marginOf('region'),
  sex: marginOf('sex'),
  age: marginOf('age'),
  regionSex: marginOf('region', 'sex'),
  sexAge: marginOf('sex', 'age'),
};

const raked = (s: WeightingSample, replicates?: 'JK1' | 'JKn') => rake(s, [margins.region, margins.sexAge], { replicates });
const linear = (s: WeightingSample, replicates?: 'JK1' | 'JKn') => calibrate(s, [margins.regionSex, margins.age], { replicates });
const rakingBounded = (s: WeightingSample, replicates?: 'JK1' | 'JKn') =>
  calibrate(s, [margins.regionSex, margins.sexAge], { distance: 'raking', bounds: { lower: 0.25, upper: 2.5 }, replicates });
const logit = (s: WeightingSample, replicates?: 'JK1' | 'JKn') =>
  calibrate(s, [margins.region, margins.sex, margins.age], { distance: 'logit', bounds: { lower: 0.4, upper: 2.6 }, replicates });
const linearBounded = (s: WeightingSample) => calibrate(s, [margins.region, margins.sexAge], { bounds: { lower: 0.45, upper: 2.2 } });

// Trimming bounds near the bounded raking's 5th and 90th percentiles: some weights on each side. Each bound lies
// halfway between two weights, so that rounding cannot put a weight on one side here and on the other in R.
const sorted = [...rakingBounded(sample).weights].sort((a, b) => a - b);
const between = (share: number) => (sorted[Math.floor(share * sorted.length)]! + sorted[Math.floor(share * sorted.length) + 1]!) / 2;
const trim = { lower: between(0.05), upper: between(0.9) };
// Strict trimming spreads again until no weight is past a bound: bounds farther out, reached in a few passes.
const strictTrim = { lower: between(0.02), upper: between(0.97), strict: true };

const cases: Record<string, () => { weighting: Weighting; options?: EstimateOptions }> = {
  design: () => ({ weighting: designWeighting(sample) }),
  rake: () => ({ weighting: raked(sample) }),
  linear: () => ({ weighting: linear(sample) }),
  'raking-bounded': () => ({ weighting: rakingBounded(sample) }),
  logit: () => ({ weighting: logit(sample) }),
  'linear-bounded': () => ({ weighting: linearBounded(sample) }),
  trim: () => ({ weighting: trimWeights(rakingBounded(sample), trim) }),
  'trim-strict': () => ({ weighting: trimWeights(rakingBounded(sample), strictTrim) }),
  'rake-jkn': () => ({ weighting: raked(sample, 'JKn'), options: { variance: 'jackknife' } }),
  'raking-bounded-jkn': () => ({ weighting: rakingBounded(sample, 'JKn'), options: { variance: 'jackknife' } }),
  'linear-jk1': () => ({ weighting: linear(flatSample, 'JK1'), options: { variance: 'jackknife' } }),
  'logit-jk1': () => ({ weighting: logit(flatSample, 'JK1'), options: { variance: 'jackknife' } }),
  'design-domain': () => ({ weighting: designWeighting(sample), options: { domain: inDomain } }),
  'rake-domain': () => ({ weighting: raked(sample), options: { domain: inDomain } }),
  'linear-domain': () => ({ weighting: linear(sample), options: { domain: inDomain } }),
  'logit-domain': () => ({ weighting: logit(sample), options: { domain: inDomain } }),
  'rake-jkn-domain': () => ({ weighting: raked(sample, 'JKn'), options: { variance: 'jackknife', domain: inDomain } }),
  'linear-jkn-domain': () => ({ weighting: linear(sample, 'JKn'), options: { variance: 'jackknife', domain: inDomain } }),
  'logit-jk1-domain': () => ({ weighting: logit(flatSample, 'JK1'), options: { variance: 'jackknife', domain: inDomain } }),
};

let dir: string;
const readDoubles = (name: string) => new Float64Array(new Uint8Array(readFileSync(join(dir, name))).buffer);
const writeDoubles = (name: string, values: number[]) => writeFileSync(join(dir, name), new Uint8Array(Float64Array.from(values).buffer));

beforeAll(() => {
  ensureRPackage('survey');
  dir = mkdtempSync(join(tmpdir(), 'parcours-weighting-r-'));
  const columns: ((p: (typeof panel)[number], k: number) => number)[] = [
    (p) => p.region,
    (p) => p.sex,
    (p) => p.age,
    (p) => strata.findIndex((s) => s.name === p.stratum) + 1,
    (p) => p.N,
    (p) => p.d,
    (p) => p.y,
    (p) => p.b,
    (_, k) => inDomain[k]!,
  ];
  writeDoubles(
    'people.bin',
    columns.flatMap((column) => panel.map(column)),
  );
  const writeMargin = (name: string, margin: Margin) =>
    writeDoubles(`margin-${name}.bin`, [
      ...margin.variables.flatMap((v) => margin.cells.map((cell) => Number(cell.levels[v]))),
      ...margin.cells.map((cell) => cell.total),
    ]);
  writeMargin('region', margins.region);
  writeMargin('sex', margins.sex);
  writeMargin('age', margins.age);
  writeMargin('region-sex', margins.regionSex);
  writeMargin('sex-age', margins.sexAge);
  writeDoubles('settings.bin', [trim.lower, trim.upper, strictTrim.lower, strictTrim.upper, panel.length - strata.length, panel.length - 1]);
  execFileSync('Rscript', [fileURLToPath(new URL('./weighting-reference.R', import.meta.url)), dir], { stdio: ['ignore', 'inherit', 'inherit'] });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectRelative(actual: number, expected: number, tolerance: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} against R's ${expected}`).toBeLessThanOrEqual(tolerance * Math.abs(expected));
}

describe('weighting against R survey', () => {
  for (const [name, make] of Object.entries(cases)) {
    it(`${name}: weights within 1e-9, estimates within 1e-9, standard errors and intervals within 1e-6 of R's, R's degrees of freedom and n`, () => {
      const { weighting, options } = make();
      const weights = readDoubles(`${name}-weights.bin`);
      expect(weighting.weights.length).toBe(weights.length);
      let worst = 0;
      weights.forEach((w, k) => {
        worst = Math.max(worst, Math.abs(weighting.weights[k]! - w) / Math.abs(w));
      });
      expect(worst, 'largest relative difference of a weight').toBeLessThanOrEqual(1e-9);
      const reference = readDoubles(`${name}-estimates.bin`);
      const ours = [estimateMean(weighting, y, options), estimateTotal(weighting, y, options), estimateProportion(weighting, b, options)];
      ['mean', 'total', 'proportion'].forEach((statistic, i) => {
        const [estimate, standardError, lower, upper] = reference.subarray(4 * i, 4 * i + 4);
        const ours_ = ours[i]!;
        expectRelative(ours_.estimate, estimate!, 1e-9, `${statistic} estimate`);
        expectRelative(ours_.standardError, standardError!, 1e-6, `${statistic} standard error`);
        expectRelative(ours_.lower, lower!, 1e-6, `${statistic} lower bound`);
        expectRelative(ours_.upper, upper!, 1e-6, `${statistic} upper bound`);
      });
      const [degreesOfFreedom, n, designEffect] = reference.subarray(12, 15);
      const proportion = ours[2] as ProportionEstimate;
      expect(proportion.degreesOfFreedom, 'degrees of freedom of the proportion').toBe(degreesOfFreedom);
      for (const estimate of ours) {
        expect(estimate.n).toBe(n);
        expectRelative(estimate.designEffect, designEffect!, 1e-9, 'design effect');
        expectRelative(estimate.effectiveSize, n! / designEffect!, 1e-9, 'effective size');
      }
    });
  }

  it('the weightings compared are the cases they are meant to be: bounds bind, trimming trims, margins are met', () => {
    const bounded = rakingBounded(sample);
    expect(bounded.report.converged).toBe(true);
    const trimmed = trimWeights(bounded, trim);
    expect(trimmed.report.trimmed).toBeGreaterThan(10);
    // Spreading pushes some weights past the upper bound again; strict trimming goes on until none is.
    expect(trimmed.report.weights.max).toBeGreaterThan(trim.upper);
    const strictly = trimWeights(bounded, strictTrim).report.weights;
    expect(strictly.max).toBeLessThanOrEqual(strictTrim.upper);
    expect(strictly.min).toBeGreaterThanOrEqual(strictTrim.lower);
    for (const weighting of [raked(sample), linear(sample), bounded, logit(sample), linearBounded(sample)]) {
      for (const cell of weighting.report.margins) expect(Math.abs(cell.after - cell.target)).toBeLessThan(1e-3 * cell.target + 1);
    }
    const g = linearBounded(sample).weights.map((w, k) => w / sample.baseWeights![k]!);
    expect(Math.min(...g)).toBeCloseTo(0.45, 9);
  });
});
