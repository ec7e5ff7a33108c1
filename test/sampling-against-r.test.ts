import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cubeDraw, inclusionProbabilities, logisticRegression, rIndicator, seededRandom } from '@parcours/sampling';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRPackage } from '../tools/services/ensure-installed.js';

/**
 * The sampling statistics against R, the reference implementation: R's `sampling` package and `glm` run by
 * test/sampling-reference.R on data generated here, exchanged as raw doubles so that no digit is lost.
 */
const random = seededRandom(2024);
const uniform = (length: number, draw: () => number) => Float64Array.from({ length }, draw);

// Sizes spread over three orders of magnitude, some zero: several units reach π = 1, in more than one round.
const sizes = uniform(3000, () => (random() < 0.02 ? 0 : Math.exp(7 * random())));
const sampleSize = 400;

// Propensity data: a continuous covariate, a skewed one and an indicator; design weights between 1 and 10.
const glmSize = 4000;
const covariates = [
  uniform(glmSize, () => 2 * random() - 1),
  uniform(glmSize, () => -Math.log(1 - random())),
  uniform(glmSize, () => (random() < 0.3 ? 1 : 0)),
];
const outcome = Float64Array.from({ length: glmSize }, (_, k) => {
  const eta = -0.4 + 1.1 * covariates[0]![k]! - 0.5 * covariates[1]![k]! + 0.9 * covariates[2]![k]!;
  return random() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
});
const designWeights = uniform(glmSize, () => 1 + 9 * random());

// Cube data: 2,000 units, unequal π summing to 200, balanced on 8 indicators as x = π·z.
const cubeSize = 2000;
const cubeVariables = 8;
const cubePi = inclusionProbabilities(
  uniform(cubeSize, () => 1 + 4 * random()),
  200,
);
const indicators = Array.from({ length: cubeVariables }, (_, j) => Uint8Array.from({ length: cubeSize }, () => (random() < 0.1 + 0.08 * j ? 1 : 0)));
const cubeX = indicators.map((z) => Float64Array.from(z, (value, k) => cubePi[k]! * value));

let dir: string;
const readDoubles = (name: string) => new Float64Array(new Uint8Array(readFileSync(join(dir, name))).buffer);
const writeDoubles = (name: string, ...arrays: Float64Array[]) => {
  const all = new Float64Array(arrays.reduce((sum, array) => sum + array.length, 0));
  let at = 0;
  for (const array of arrays) all.set(array, (at += array.length) - array.length);
  writeFileSync(join(dir, name), new Uint8Array(all.buffer));
};

beforeAll(() => {
  ensureRPackage('sampling');
  dir = mkdtempSync(join(tmpdir(), 'parcours-sampling-r-'));
  writeFileSync(join(dir, 'dims.txt'), [sizes.length, sampleSize, glmSize, covariates.length, cubeSize, cubeVariables, 7].join('\n'));
  writeDoubles('sizes.bin', sizes);
  writeDoubles('glm-x.bin', ...covariates);
  writeDoubles('glm-y.bin', outcome);
  writeDoubles('glm-w.bin', designWeights);
  writeDoubles('cube-pik.bin', cubePi);
  writeDoubles('cube-x.bin', ...cubeX);
  execFileSync('Rscript', [fileURLToPath(new URL('./sampling-reference.R', import.meta.url)), dir], { stdio: ['ignore', 'inherit', 'inherit'] });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectClose(actual: Float64Array, expected: Float64Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('sampling statistics against R', () => {
  it('inclusionProbabilities matches sampling::inclusionprobabilities to 1e-12', () => {
    const pi = inclusionProbabilities(sizes, sampleSize);
    expect(pi.filter((value) => value === 1).length).toBeGreaterThan(1);
    expectClose(pi, readDoubles('pik.bin'), 1e-12);
  });

  it('logisticRegression matches glm(family = binomial) to 1e-8, with and without weights', () => {
    const fit = logisticRegression(covariates, outcome);
    expect(fit.converged).toBe(true);
    expectClose(fit.coefficients, readDoubles('glm-coefficients.bin'), 1e-8);
    const weighted = logisticRegression(covariates, outcome, { weights: designWeights });
    expectClose(weighted.coefficients, readDoubles('glm-weighted-coefficients.bin'), 1e-8);
  });

  it("rIndicator matches the R-indicator computed in R from glm's propensities to 1e-10, with and without weights", () => {
    const [unweighted, weighted] = readDoubles('r-indicators.bin');
    expect(rIndicator(readDoubles('glm-fitted.bin'))).toBeCloseTo(unweighted!, 10);
    expect(rIndicator(readDoubles('glm-weighted-fitted.bin'), designWeights)).toBeCloseTo(weighted!, 10);
    // And from this package's own propensities, end to end.
    expect(rIndicator(logisticRegression(covariates, outcome).fitted)).toBeCloseTo(unweighted!, 10);
    expect(rIndicator(logisticRegression(covariates, outcome, { weights: designWeights }).fitted, designWeights)).toBeCloseTo(weighted!, 10);
  });

  it("cubeDraw and R's samplecube, on the same data, both keep every indicator count within p of its expectation", () => {
    const ours = cubeDraw(cubePi, cubeX, 7);
    const theirs: number[] = [];
    readDoubles('cube-sample.bin').forEach((value, k) => {
      if (value > 0.5) theirs.push(k);
    });
    for (const [who, sample] of [
      ['cubeDraw', [...ours]],
      ['samplecube', theirs],
    ] as const) {
      expect(sample.length, who).toBe(200);
      indicators.forEach((z, j) => {
        let expected = 0;
        for (let k = 0; k < cubeSize; k++) expected += cubePi[k]! * z[k]!;
        const count = sample.reduce((sum, k) => sum + z[k]!, 0);
        expect(Math.abs(count - expected), `${who}, indicator ${j}`).toBeLessThanOrEqual(cubeVariables);
      });
    }
  });
});
