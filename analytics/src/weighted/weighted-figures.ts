import { errorCodes, ParcoursError, type WeightedEstimate, type WeightingUsed } from '@parcours/contracts';
import { estimateMean, estimateProportion, estimateTotal, type SchemeWeighting } from '@parcours/weighting';

/** A weighting scheme's stored run: the members it weighted, in order, and their weighting. */
export type WeightedSample = SchemeWeighting;

/** The stored run of a scheme's version (the latest when none is named); throws a typed error when there is none. */
export type WeightedSamples = (schemeId: string, version: number | undefined) => WeightedSample;

/**
 * Population figures from a weighted sample: each member's value in (one entry per member, in the sample's
 * order), the estimate with its standard error and confidence interval out — by the scheme's variance method.
 */
export class WeightedFigures {
  private readonly index: ReadonlyMap<string, number>;
  private readonly options: { variance: 'linearization' | 'jackknife' };

  constructor(readonly sample: WeightedSample) {
    this.index = new Map(sample.ids.map((id, k) => [id, k]));
    this.options = { variance: sample.weighting.replicates ? 'jackknife' : 'linearization' };
  }

  get size(): number {
    return this.sample.ids.length;
  }

  /** The member's position in the value arrays; undefined for someone outside the sample. */
  position(id: string | null): number | undefined {
    return id === null ? undefined : this.index.get(id);
  }

  /** One value per member, all 0. */
  zeros(): Float64Array {
    return new Float64Array(this.size);
  }

  /** Σ w·y over the members (of the domain when one is given): a count or an amount for the population. */
  total(values: Float64Array, domain?: Float64Array): WeightedEstimate {
    const estimate = estimateTotal(this.sample.weighting, values, { ...this.options, ...(domain ? { domain } : {}) });
    return { ...figure(estimate), sampleValue: sum(values, domain) };
  }

  /**
   * The share of the population (of the domain's, when one is given: e.g. of those who entered a funnel) whose
   * value is 1, with a logit interval; null when no member is in the domain.
   */
  share(values: Float64Array, domain?: Float64Array): WeightedEstimate | null {
    const size = domain ? sum(domain) : this.size;
    if (size === 0) return null;
    const estimate = estimateProportion(this.sample.weighting, values, { ...this.options, ...(domain ? { domain } : {}) });
    return { ...figure(estimate), sampleValue: sum(values, domain) / size };
  }

  /** The population's mean of the members' values (of the domain's, when one is given); null when no member is in the domain. */
  mean(values: Float64Array, domain?: Float64Array): WeightedEstimate | null {
    const size = domain ? sum(domain) : this.size;
    if (size === 0) return null;
    const estimate = estimateMean(this.sample.weighting, values, { ...this.options, ...(domain ? { domain } : {}) });
    return { ...figure(estimate), sampleValue: sum(values, domain) / size };
  }

  /** Which weights the figures used. */
  used(): WeightingUsed {
    const { schemeId, version, at, ranAt, weighting } = this.sample;
    const { n, designEffect, effectiveSize } = weighting.report.weights;
    return {
      schemeId,
      version,
      at,
      ranAt,
      variance: weighting.replicates?.type ?? 'linearization',
      level: 0.95,
      n,
      designEffect,
      effectiveSize,
    };
  }
}

/** Figures about people: weights apply to individuals only. `what` names the figure and how to get one about people. */
export function requireIndividuals(kind: string, what: string): void {
  if (kind !== 'individual')
    throw new ParcoursError(errorCodes.weightsIndividualsOnly, `weights apply to figures about individuals, and ${what} is about ${kind}s`);
}

function figure(e: { estimate: number; standardError: number; lower: number; upper: number; n: number; effectiveSize: number }) {
  return { estimate: e.estimate, standardError: e.standardError, lower: e.lower, upper: e.upper, n: e.n, effectiveSize: e.effectiveSize };
}

function sum(values: Float64Array, domain?: Float64Array): number {
  let total = 0;
  for (let k = 0; k < values.length; k++) total += domain ? values[k]! * domain[k]! : values[k]!;
  return total;
}
