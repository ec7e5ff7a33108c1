import { errorCodes, ParcoursError } from '@parcours/contracts';
import { z } from 'zod';
import type { Design, WeightingSample } from './sample.js';

/**
 * A known population table to weight to: one variable (a one-way margin) or several crossed (a joint table),
 * each cell with its population total. Joint tables may share variables with other margins (region × sex beside
 * age × sex: partial joint margins). A combination of levels that no cell lists counts 0 people.
 */
export const marginSchema = z.object({
  variables: z.array(z.string().min(1)).min(1),
  cells: z
    .array(
      z.object({
        /** The cell's level of each of the margin's variables, e.g. `{ sex: 'F', age: '18-34' }`. */
        levels: z.record(z.string().min(1), z.string()),
        /** How many people of the population the cell holds. */
        total: z.number().finite().nonnegative(),
      }),
    )
    .min(1),
});
export type Margin = z.input<typeof marginSchema>;

/** One margin's cells, indexed: cell = Σ level index × stride over the margin's variables. */
export interface CodedMargin {
  /** Indices into `CodedMargins.variables`. */
  variables: number[];
  strides: number[];
  /** Each person's cell. */
  cellOf: Int32Array;
  /** Each cell's population total (0 for a combination no cell lists). */
  targets: Float64Array;
}

/** Margins and sample coded against each other: every variable's levels and each person's cell in each margin. */
export interface CodedMargins {
  variables: string[];
  /** Each variable's levels in order of first appearance among the margins' cells (the first is the reference). */
  levels: string[][];
  /** Each person's level of each variable, an index into `levels`. */
  codes: Int32Array[];
  margins: CodedMargin[];
}

const largestTable = 1_000_000;

/**
 * Codes margins against a sample, refusing what no weights could meet: a person whose level no margin lists
 * (`PARCOURS_E_WEIGHTING_UNKNOWN_LEVEL`), a level with a positive total that no one in the sample has
 * (`PARCOURS_E_WEIGHTING_MISSING_LEVEL`) and a joint cell likewise (`PARCOURS_E_WEIGHTING_EMPTY_CELL`).
 */
export function codeMargins(sample: WeightingSample, design: Design, input: readonly Margin[]): CodedMargins {
  const margins = input.map((margin) => marginSchema.parse(margin));
  if (margins.length === 0) throw new ParcoursError(errorCodes.validation, 'weighting needs at least one margin');
  const variables: string[] = [];
  const levels: string[][] = [];
  const levelIndex: Map<string, number>[] = [];
  const variableIndex = new Map<string, number>();
  for (const margin of margins) {
    if (new Set(margin.variables).size !== margin.variables.length)
      throw new ParcoursError(errorCodes.validation, `margin ${margin.variables.join(' × ')} repeats a variable`);
    for (const variable of margin.variables) {
      if (!variableIndex.has(variable)) {
        variableIndex.set(variable, variables.push(variable) - 1);
        levels.push([]);
        levelIndex.push(new Map());
      }
    }
    for (const cell of margin.cells) {
      const keys = Object.keys(cell.levels);
      if (keys.length !== margin.variables.length || !margin.variables.every((variable) => variable in cell.levels)) {
        throw new ParcoursError(
          errorCodes.validation,
          `margin ${margin.variables.join(' × ')}: the cell ${label(cell.levels)} must give a level of each of its variables, and only those`,
        );
      }
      for (const variable of margin.variables) {
        const v = variableIndex.get(variable)!;
        const level = cell.levels[variable]!;
        if (!levelIndex[v]!.has(level)) levelIndex[v]!.set(level, levels[v]!.push(level) - 1);
      }
    }
  }
  const codes = variables.map((variable, v) => {
    const values = sample.levels[variable];
    if (!values) throw new ParcoursError(errorCodes.validation, `the sample has no variable '${variable}', which a margin crosses`);
    const coded = new Int32Array(design.size);
    const unknown = new Map<string, number>();
    values.forEach((level, k) => {
      const index = levelIndex[v]!.get(level);
      if (index === undefined) unknown.set(level, (unknown.get(level) ?? 0) + 1);
      else coded[k] = index;
    });
    if (unknown.size > 0) {
      const listed = [...unknown].map(([level, count]) => `${variable} = ${level} (${count} people)`).join(', ');
      throw new ParcoursError(errorCodes.weightingUnknownLevel, `the sample has ${listed}: no margin gives a total for that level`);
    }
    return coded;
  });
  const coded = margins.map((margin) => {
    const vars = margin.variables.map((variable) => variableIndex.get(variable)!);
    const strides: number[] = [];
    let cells = 1;
    for (const v of vars) {
      strides.push(cells);
      cells *= levels[v]!.length;
    }
    if (cells > largestTable)
      throw new ParcoursError(errorCodes.validation, `margin ${margin.variables.join(' × ')} has ${cells} cells, more than ${largestTable}`);
    const targets = new Float64Array(cells);
    const listed = new Uint8Array(cells);
    for (const cell of margin.cells) {
      const index = vars.reduce((sum, v, j) => sum + levelIndex[v]!.get(cell.levels[variables[v]!]!)! * strides[j]!, 0);
      if (listed[index]) throw new ParcoursError(errorCodes.validation, `margin ${margin.variables.join(' × ')} lists the cell ${label(cell.levels)} twice`);
      listed[index] = 1;
      targets[index] = cell.total;
    }
    const cellOf = new Int32Array(design.size);
    for (let k = 0; k < design.size; k++) {
      let index = 0;
      vars.forEach((v, j) => {
        index += codes[v]![k]! * strides[j]!;
      });
      cellOf[k] = index;
    }
    return { variables: vars, strides, cellOf, targets };
  });
  const result = { variables, levels, codes, margins: coded };
  refuseEmptyCells(result, design);
  refuseDifferentTotals(result);
  return result;
}

/** Each cell's total of the given weights. */
export function cellTotals(margin: CodedMargin, weights: Float64Array): Float64Array {
  const totals = new Float64Array(margin.targets.length);
  for (let k = 0; k < weights.length; k++) totals[margin.cellOf[k]!]! += weights[k]!;
  return totals;
}

/** A cell's levels, by variable name. */
export function cellLevels(coded: CodedMargins, margin: CodedMargin, cell: number): Record<string, string> {
  return Object.fromEntries(
    margin.variables.map((v, j) => [coded.variables[v]!, coded.levels[v]![Math.floor(cell / margin.strides[j]!) % coded.levels[v]!.length]!]),
  );
}

/** `region = 84, sex = F`: how errors and reports name a cell. */
export function label(levels: Readonly<Record<string, string>>): string {
  return Object.entries(levels)
    .map(([variable, level]) => `${variable} = ${level}`)
    .join(', ');
}

function refuseEmptyCells(coded: CodedMargins, design: Design): void {
  for (const margin of coded.margins) {
    const sampled = cellTotals(margin, design.baseWeights);
    margin.targets.forEach((target, cell) => {
      if (target > 0 && sampled[cell] === 0) {
        const levels = cellLevels(coded, margin, cell);
        if (margin.variables.length === 1) {
          throw new ParcoursError(errorCodes.weightingMissingLevel, `no one in the sample has ${label(levels)}, whose population total is ${target}`);
        }
        throw new ParcoursError(errorCodes.weightingEmptyCell, `no one in the sample is in the cell ${label(levels)}, whose population total is ${target}`);
      }
    });
  }
}

/** Margins of one population add up to the same number of people; a difference is a mistake in the targets. */
function refuseDifferentTotals(coded: CodedMargins): void {
  const totals = coded.margins.map((margin) => margin.targets.reduce((sum, target) => sum + target, 0));
  totals.forEach((total, i) => {
    if (Math.abs(total - totals[0]!) > 1e-9 * Math.max(1, totals[0]!)) {
      const name = (m: number) => coded.margins[m]!.variables.map((v) => coded.variables[v]).join(' × ');
      throw new ParcoursError(
        errorCodes.validation,
        `margin ${name(i)} totals ${total} people and margin ${name(0)} ${totals[0]}: margins of one population must agree`,
      );
    }
  });
}
