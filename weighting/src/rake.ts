import { errorCodes, ParcoursError } from '@parcours/contracts';
import { z } from 'zod';
import { type CodedMargins, cellLevels, cellTotals, codeMargins, label, type Margin } from './margins.js';
import { jackknife, replicateBaseWeights, weightedReplicates } from './replicates.js';
import { designOf, type WeightingSample } from './sample.js';
import { reportOf, type Weighting } from './weighting.js';

/** How to rake: R's `rake(control = list(maxit, epsilon))`, `force`, and optional jackknife replicates. */
export const rakeOptionsSchema = z.object({
  /** The most sweeps over the margins. */
  maxit: z.number().int().positive().default(10),
  /**
   * Converged when no cell of the crossing of every variable moved by epsilon or more in a sweep: in people
   * when 1 or more, else as a share of the design weights' total.
   */
  epsilon: z.number().positive().default(1),
  /** Keep the weights of a raking that did not converge (its report says so) instead of refusing it. */
  force: z.boolean().default(false),
  /** Jackknife replicates, each raked with the same number of sweeps. */
  replicates: z.enum(['JK1', 'JKn']).optional(),
});
export type RakeOptions = z.input<typeof rakeOptionsSchema>;

/**
 * Rakes design weights to the margins by iterative proportional fitting, as R's `survey::rake`: each sweep
 * post-stratifies on every margin in turn (each cell's weights multiplied by its total over its current
 * weight), until a sweep moves no cell of the crossing of all the variables by `epsilon` or more. A margin may
 * be a joint table. A cell with a positive total that no one is in, or people in a cell of total 0, are refused
 * with a typed error naming the cell; so is a raking that does not converge within `maxit`, unless `force`.
 */
export function rake(sample: WeightingSample, margins: readonly Margin[], options: RakeOptions = {}): Weighting {
  const settings = rakeOptionsSchema.parse(options);
  const design = designOf(sample);
  const coded = codeMargins(sample, design, margins);
  refuseCellsOfNoOne(coded, design.baseWeights);
  const epsilon = settings.epsilon < 1 ? settings.epsilon * design.baseWeights.reduce((sum, d) => sum + d, 0) : settings.epsilon;
  const crossing = crossingOf(coded);
  const weights = Float64Array.from(design.baseWeights);
  let table = crossingTotals(crossing, weights);
  const matched = coded.margins.map(() => new Float64Array(design.size));
  let sweeps = 0;
  let converged = false;
  while (sweeps < settings.maxit) {
    sweeps++;
    coded.margins.forEach((margin, i) => {
      postStratify(margin, weights);
      matched[i]!.set(weights);
    });
    const next = crossingTotals(crossing, weights);
    const moved = next.reduce((largest, total, cell) => Math.max(largest, Math.abs(total - table[cell]!)), 0);
    table = next;
    if (moved < epsilon) {
      converged = true;
      break;
    }
  }
  const report = reportOf('rake', coded, design, weights, { converged, iterations: sweeps });
  if (!converged && !settings.force) {
    const worst = report.margins.reduce((a, b) => (Math.abs(b.after - b.target) > Math.abs(a.after - a.target) ? b : a));
    throw new ParcoursError(
      errorCodes.weightingNotConverged,
      `raking did not converge in ${sweeps} sweeps: the cell ${label(worst.levels)} weighs ${worst.after} against its total ${worst.target}`,
    );
  }
  const plan = settings.replicates ? jackknife(design, settings.replicates) : undefined;
  const replicateWeights =
    plan &&
    Array.from(plan.deleted, (_, r) => {
      const replicate = replicateBaseWeights(design, plan, r);
      for (let sweep = 0; sweep < sweeps; sweep++) for (const margin of coded.margins) postStratify(margin, replicate);
      return replicate;
    });
  const replicates = plan && replicateWeights && weightedReplicates(plan, replicateWeights);
  return {
    weights,
    design,
    adjustments: [
      { kind: 'raking', margins: coded.margins.map((margin, i) => ({ cellOf: margin.cellOf, cells: margin.targets.length, weights: matched[i]! })) },
    ],
    ...(replicates ? { replicates } : {}),
    margins: coded,
    report,
  };
}

/** Multiplies each cell's weights by its total over its current weight (in place). */
function postStratify(margin: CodedMargins['margins'][number], weights: Float64Array): void {
  const totals = cellTotals(margin, weights);
  for (let k = 0; k < weights.length; k++) {
    const cell = margin.cellOf[k]!;
    weights[k]! *= margin.targets[cell]! / totals[cell]!;
  }
}

/** Each person's cell of the crossing of every variable (dense numbers, at most one per person). */
function crossingOf(coded: CodedMargins): { cellOf: Int32Array; cells: number } {
  const size = coded.codes[0]!.length;
  let cellOf = new Int32Array(size);
  let cells = 1;
  coded.codes.forEach((codes, v) => {
    const renumber = new Map<number, number>();
    const levels = coded.levels[v]!.length;
    const next = new Int32Array(size);
    for (let k = 0; k < size; k++) {
      const key = cellOf[k]! * levels + codes[k]!;
      let index = renumber.get(key);
      if (index === undefined) renumber.set(key, (index = renumber.size));
      next[k] = index;
    }
    cellOf = next;
    cells = renumber.size;
  });
  return { cellOf, cells };
}

function crossingTotals({ cellOf, cells }: { cellOf: Int32Array; cells: number }, weights: Float64Array): Float64Array {
  const totals = new Float64Array(cells);
  for (let k = 0; k < weights.length; k++) totals[cellOf[k]!]! += weights[k]!;
  return totals;
}

/** Raking can only scale a cell's people: a cell of total 0 that holds some cannot be met. */
function refuseCellsOfNoOne(coded: CodedMargins, weights: Float64Array): void {
  for (const margin of coded.margins) {
    const sampled = cellTotals(margin, weights);
    margin.targets.forEach((target, cell) => {
      if (target === 0 && sampled[cell]! > 0) {
        throw new ParcoursError(
          errorCodes.weightingBounds,
          `the cell ${label(cellLevels(coded, margin, cell))} has a population total of 0, yet sampled people weighing ${sampled[cell]} are in it: raking cannot bring them to 0`,
        );
      }
    });
  }
}
