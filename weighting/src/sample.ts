import { errorCodes, ParcoursError } from '@parcours/contracts';

/**
 * The people to weight, one entry per person in every array: their levels of the calibration variables, their
 * design weights and the stratum they were drawn from. Arrays rather than records per person, so that ten
 * thousand people cost a few typed arrays.
 */
export interface WeightingSample {
  /** Each person's level of each variable, by variable name, e.g. `{ region: ['84', '11', …], age: [...] }`. */
  levels: Readonly<Record<string, readonly string[]>>;
  /** Design (base) weights d_k = 1/π_k from the panel's draw; all 1 when absent. */
  baseWeights?: ArrayLike<number>;
  /** Each person's stratum of the draw, for variances and JKn replicates; one stratum when absent. */
  strata?: readonly string[];
  /** Each stratum's population size N_h, for the finite population correction; none when absent. */
  stratumSizes?: Readonly<Record<string, number>>;
}

/** The sampling design behind a sample: what variances need, whatever the weights became since. */
export interface Design {
  size: number;
  baseWeights: Float64Array;
  /** Each person's stratum, an index into `strata`. */
  stratumOf: Int32Array;
  /** Stratum names, in order of first appearance. */
  strata: string[];
  /** How many people of the sample each stratum holds (n_h). */
  stratumCounts: Int32Array;
  /** Each stratum's population size N_h; infinite without a finite population correction. */
  stratumSizes: Float64Array;
}

/** The design of a sample, once its arrays are checked for length and its weights and stratum sizes for sense. */
export function designOf(sample: WeightingSample): Design {
  const lengths = new Set(Object.values(sample.levels).map((levels) => levels.length));
  if (sample.baseWeights) lengths.add(sample.baseWeights.length);
  if (sample.strata) lengths.add(sample.strata.length);
  if (lengths.size > 1)
    throw new ParcoursError(errorCodes.validation, `the sample's arrays differ in length (${[...lengths].join(', ')}): one entry per person in each`);
  const size = lengths.values().next().value ?? 0;
  if (size === 0) throw new ParcoursError(errorCodes.validation, 'the sample is empty');
  const baseWeights = sample.baseWeights ? Float64Array.from(sample.baseWeights) : new Float64Array(size).fill(1);
  baseWeights.forEach((weight, k) => {
    if (!(weight > 0 && Number.isFinite(weight)))
      throw new ParcoursError(errorCodes.validation, `person #${k} has base weight ${weight}: base weights must be positive and finite`);
  });
  const strata: string[] = [];
  const indexOf = new Map<string, number>();
  const stratumOf = new Int32Array(size);
  for (let k = 0; k < size; k++) {
    const name = sample.strata?.[k] ?? '';
    let index = indexOf.get(name);
    if (index === undefined) indexOf.set(name, (index = strata.push(name) - 1));
    stratumOf[k] = index;
  }
  const stratumCounts = new Int32Array(strata.length);
  for (const index of stratumOf) stratumCounts[index]!++;
  const stratumSizes = Float64Array.from(strata, (name, h) => {
    if (!sample.stratumSizes) return Number.POSITIVE_INFINITY;
    const population = sample.stratumSizes[name];
    if (population === undefined) throw new ParcoursError(errorCodes.validation, `stratum '${name}' has no population size, and the others have`);
    if (!(population >= stratumCounts[h]!)) {
      throw new ParcoursError(
        errorCodes.validation,
        `stratum '${name}' has a population size of ${population}, below the ${stratumCounts[h]} people sampled from it`,
      );
    }
    return population;
  });
  return { size, baseWeights, stratumOf, strata, stratumCounts, stratumSizes };
}
