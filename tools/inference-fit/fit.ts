import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { fitModel, ofObservableMembers } from './fit-model.js';
import { figuresOf } from './held-out.js';
import { cachedSamples } from './sample-cache.js';
import { defaults, samplesOf, type Sample } from './samples.js';

/**
 * Fits actor inference's model (analytics/src/sessions/inference-model.ts) on simulated runs of the
 * scenarios whose shared devices name nobody, and reports its figures on runs of other seeds:
 * `node tools/dist/inference-fit/fit.js [--write] [--cache <dir>]`; `--write` replaces inference-ratios.ts with
 * the fit; `--cache` keeps the simulated runs' samples in a directory and reads them from there the next time.
 */

const plan = [
  { scenario: 'small', days: 7, fit: [101, 102, 103, 104, 105, 106], heldOut: [1, 2, 3, 4, 5, 6] },
  { scenario: 'city', days: 1, fit: [101, 102], heldOut: [1, 2] },
  { scenario: 'care-home', days: 7, fit: [101, 102, 103, 104, 105, 106], heldOut: [1, 2, 3, 4, 5, 6] },
  { scenario: 'coworking', days: 7, fit: [101, 102, 103, 104, 105, 106], heldOut: [1, 2, 3, 4, 5, 6] },
];
const ratiosFile = fileURLToPath(new URL('../../../analytics/src/sessions/inference-ratios.ts', import.meta.url));

/** The directory given by `--cache`, or null without one. */
function cacheDirOf(argv: readonly string[]): string | null {
  const at = argv.indexOf('--cache');
  if (at === -1) return null;
  const dir = argv[at + 1];
  if (dir === undefined) throw new Error('--cache needs a directory');
  return dir;
}
const cacheDir = cacheDirOf(process.argv);

async function samplesFor(scenario: string, seeds: readonly number[], days: number): Promise<Sample[]> {
  const all: Sample[] = [];
  for (const seed of seeds) {
    const generate = () => samplesOf(scenario, seed, days);
    all.push(...(await (cacheDir === null ? generate() : cachedSamples(cacheDir, scenario, seed, days, generate))));
  }
  return all;
}

const fitting: Sample[] = [];
const heldOut = new Map<string, Sample[]>();
for (const { scenario, days, fit, heldOut: seeds } of plan) {
  fitting.push(...(await samplesFor(scenario, fit, days)));
  heldOut.set(scenario, await samplesFor(scenario, seeds, days));
}
const observed = ofObservableMembers(fitting);
const model = fitModel(observed);
console.log(
  `fitted on ${observed.length} of ${fitting.length} sessions (every member observable): temperature ${model.temperature}, calibration ${JSON.stringify(model.calibration)}`,
);
for (const [scenario, samples] of heldOut) {
  const f = figuresOf(samples, model, defaults.inferenceMinConfidence);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(
    `held out ${scenario}: ${f.sessions} sessions, inferred ${f.inferred} (${pct(f.inferredShare)}), right ${pct(f.precision)}, calibration error ${f.calibrationError.toFixed(4)}`,
  );
}
if (process.argv.includes('--write')) {
  const source = `// biome-ignore-all lint/suspicious/noApproximativeNumericConstant: fitted ratios, not constants such as 1/√2
import type { InferenceModel } from './inference-model.js';

/** The model's parameters, as fitted by tools/inference-fit (docs/analytics.md, "Actor inference"). */
export const fittedModel: InferenceModel = ${JSON.stringify(model)};
`;
  await writeFile(ratiosFile, source);
  console.log(`wrote ${ratiosFile}`);
}
