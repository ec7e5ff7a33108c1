import type { Rng } from '../prng.js';

/**
 * The customer base's categories and how they are spread. The weights are close to France's adult population
 * (INSEE: ages, household sizes) and unequal on purpose, so that the quota cells of a panel differ in size.
 */

export const ageBands = ['18-24', '25-34', '35-44', '45-54', '55-64', '65+'] as const;
export type AgeBand = (typeof ageBands)[number];
const ageBandWeights = [10, 15, 16, 17, 16, 26];

/** Household sizes 1 to 5, 5 meaning five or more; people living alone are most often the youngest and the oldest. */
export const householdSizes = [1, 2, 3, 4, 5] as const;
const householdWeightsByAgeBand: readonly (readonly number[])[] = [
  [45, 25, 15, 10, 5], // 18-24
  [35, 35, 15, 11, 4], // 25-34
  [22, 22, 23, 23, 10], // 35-44
  [25, 30, 20, 17, 8], // 45-54
  [35, 50, 9, 4, 2], // 55-64
  [50, 45, 3, 1, 1], // 65+
];

export const plans = ['essential', 'plus', 'premium'] as const;
const planWeights = [55, 30, 15];

export const loyaltyTiers = ['bronze', 'silver', 'gold'] as const;
const tierWeights = [60, 30, 10];

/** What web analytics infers a visitor likes: each an attribute `interest_<name>` = "true" when declared. */
export const interests = ['photo', 'high_end_tech', 'cooking', 'gardening', 'travel', 'gaming'] as const;
const interestChances = [0.12, 0.08, 0.2, 0.15, 0.25, 0.1];

/** Metropolitan France's 13 régions (INSEE codes): overseas ones are left out of the customer base. */
export const metropolitanRegions: ReadonlySet<string> = new Set(['11', '24', '27', '28', '32', '44', '52', '53', '75', '76', '84', '93', '94']);

/** An index drawn with the given weights. */
export function weightedIndex(rng: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let u = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

export const drawAgeBand = (rng: Rng): number => weightedIndex(rng, ageBandWeights);
export const drawHouseholdSize = (rng: Rng, ageBand: number): number => householdSizes[weightedIndex(rng, householdWeightsByAgeBand[ageBand]!)]!;
export const drawPlan = (rng: Rng): number => weightedIndex(rng, planWeights);
export const drawTier = (rng: Rng): number => weightedIndex(rng, tierWeights);

/** A bit per interest of `interests`. */
export function drawInterests(rng: Rng): number {
  let mask = 0;
  interestChances.forEach((chance, i) => {
    if (rng() < chance) mask |= 1 << i;
  });
  return mask;
}
