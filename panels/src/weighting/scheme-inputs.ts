import { errorCodes, ParcoursError, type SchemeMargin, type UniverseFilter, type WeightingScheme } from '@parcours/contracts';
import type { AreaLevel } from '@parcours/geography';
import type { Margin, WeightingSample } from '@parcours/weighting';
import { levelOf } from '../margins.js';
import type { ProfileValue, UniverseMember } from '../universe.js';

/** A person to weight: their attributes as of the scheme's date, how likely their draw was and its stratum (null: not drawn). */
export interface SampledMember {
  id: string;
  attributes: Readonly<Record<string, ProfileValue>>;
  inclusionProbability: number | null;
  stratum: string | null;
}

/** Where targets are read from, as of the scheme's date. */
export interface TargetSources {
  /** The individuals of the universe (the sample's own when `filter` is absent) holding these attributes. */
  universe(filter: UniverseFilter | undefined, attributes: readonly string[]): readonly UniverseMember[];
  /** Inhabitants per area code. */
  population(level: AreaLevel): ReadonlyMap<string, number>;
}

/** What the weighting functions take: the sample in arrays (one entry per member, in `ids`' order) and the margins. */
export interface WeightingInputs {
  ids: string[];
  sample: WeightingSample;
  /** Each member's base weight, 1 where the scheme asks for equal ones. */
  baseWeights: Float64Array;
  margins: Margin[];
}

/** The inputs as stored with a run: plain JSON, numbers kept exactly. */
export interface StoredInputs {
  ids: string[];
  levels: Record<string, string[]>;
  baseWeights: number[];
  strata?: string[];
  margins: Margin[];
}

export const storedInputs = (inputs: WeightingInputs): StoredInputs => ({
  ids: inputs.ids,
  levels: inputs.sample.levels as Record<string, string[]>,
  baseWeights: [...inputs.baseWeights],
  ...(inputs.sample.strata ? { strata: [...inputs.sample.strata] } : {}),
  margins: inputs.margins,
});

export function inputsOf(stored: StoredInputs): WeightingInputs {
  const baseWeights = Float64Array.from(stored.baseWeights);
  return {
    ids: stored.ids,
    sample: { levels: stored.levels, baseWeights, ...(stored.strata ? { strata: stored.strata } : {}) },
    baseWeights,
    margins: stored.margins,
  };
}

/** Every variable the scheme's margins cross, each once, in order of first appearance. */
export const schemeVariables = (scheme: Pick<WeightingScheme, 'margins'>): string[] => [...new Set(scheme.margins.flatMap((m) => m.variables))];

/**
 * Translates a scheme and its sample into the weighting functions' inputs: each member's level of each variable
 * (as text, `(none)` where they have no value, as panels count levels), their base weight and stratum, and each margin's
 * cells with their population totals — counted in the universe, given in the scheme, or summed from the
 * population by area — scaled to `total` when the scheme weights to shares.
 */
export function weightingInputs(scheme: WeightingScheme, members: readonly SampledMember[], sources: TargetSources): WeightingInputs {
  if (members.length === 0) throw new ParcoursError(errorCodes.validation, 'the sample holds no one as of the scheme’s date');
  const variables = schemeVariables(scheme);
  const asMember = (m: SampledMember): UniverseMember => ({ id: m.id, attributes: m.attributes, usage: {} });
  const levels = Object.fromEntries(variables.map((v) => [v, members.map((m) => levelOf(asMember(m), v))]));
  const baseWeights = Float64Array.from(members, (m) => (scheme.baseWeights === 'inclusion' ? 1 / (m.inclusionProbability ?? 1) : 1));
  const margins = scheme.margins.map((margin) => marginOf(margin, sources));
  // Strata of the draw for variances; members who joined otherwise make a stratum of their own.
  const drawn = scheme.strata === 'draw' && members.some((m) => m.stratum !== null);
  return {
    ids: members.map((m) => m.id),
    sample: { levels, baseWeights, ...(drawn ? { strata: members.map((m) => m.stratum ?? '(not drawn)') } : {}) },
    baseWeights,
    margins: scheme.targetsAs === 'shares' ? margins.map((m) => scaled(m, scheme.total ?? baseWeights.reduce((a, b) => a + b, 0))) : margins,
  };
}

function marginOf(margin: SchemeMargin, sources: TargetSources): Margin {
  const { variables, targets } = margin;
  const name = variables.join(' × ');
  switch (targets.from) {
    case 'file':
      return { variables, cells: targets.cells.map((cell) => ({ levels: cell.levels, total: cell.value })) };
    case 'universe':
      return { variables, cells: counted(sources.universe(targets.universe, variables), variables) };
    case 'population': {
      if (variables.length !== 1)
        throw new ParcoursError(errorCodes.validation, `margin ${name}: population totals by area are for one variable holding area codes`);
      const totals = sources.population(targets.level);
      const areas = targets.areas ?? [...totals.keys()];
      return {
        variables,
        cells: areas.map((area) => {
          const total = totals.get(area);
          if (total === undefined) throw new ParcoursError(errorCodes.validation, `margin ${name}: ${area} is not a ${targets.level} code`);
          return { levels: { [variables[0]!]: area }, total };
        }),
      };
    }
  }
}

/** The universe counted by its levels of the variables: one cell per combination met. */
function counted(universe: readonly UniverseMember[], variables: readonly string[]): Margin['cells'] {
  const cells = new Map<string, { levels: Record<string, string>; total: number }>();
  for (const member of universe) {
    const levels = variables.map((v) => levelOf(member, v));
    const key = levels.join('\u0000');
    const cell = cells.get(key);
    if (cell) cell.total++;
    else cells.set(key, { levels: Object.fromEntries(variables.map((v, i) => [v, levels[i]!])), total: 1 });
  }
  if (cells.size === 0) throw new ParcoursError(errorCodes.validation, `margin ${variables.join(' × ')}: the target universe holds no one`);
  return [...cells.values()];
}

/** The margin's totals as shares of `total`. */
function scaled(margin: Margin, total: number): Margin {
  const sum = margin.cells.reduce((s, cell) => s + cell.total, 0);
  if (!(sum > 0))
    throw new ParcoursError(errorCodes.validation, `margin ${margin.variables.join(' × ')}: its totals add up to 0, which no share can be taken of`);
  return { variables: margin.variables, cells: margin.cells.map((cell) => ({ levels: cell.levels, total: (cell.total / sum) * total })) };
}
