import { rngFor } from '../prng.js';
import type { Customers } from './customers.js';
import { drawHouseholdSize, drawAgeBand, drawTier, loyaltyTiers } from './distributions.js';
import { loyaltyCardId, unlinkedCardId } from './identities.js';
import { dayMs, dayOf, isoDate, type SourceRow } from './source-rows.js';

/**
 * The loyalty programme's file: a row per card holder, holding from the day they joined, with their tier and
 * household size — the CRM's, except on the planted conflicts, where the programme says one more or one less
 * (a conflict the CRM wins); and rows of cards the CRM never linked to a customer (unmatched).
 */

export const loyaltyColumns = ['loyalty_card', 'valid_from', 'household_size', 'tier'] as const;

export interface LoyaltyShares {
  /** Card holders whose household size differs from the CRM's. */
  conflicting: number;
  /** Rows of cards no customer holds, as a share of the card holders' rows. */
  unlinked: number;
}

export const defaultLoyaltyShares: LoyaltyShares = { conflicting: 0.04, unlinked: 0.03 };

export interface LoyaltyPlan {
  holder: Int32Array;
  joined: Float64Array;
  tier: Uint8Array;
  householdSize: Uint8Array;
  conflicting: Uint8Array;
  unlinked: number;
}

export function planLoyalty(customers: Customers, seed: number, startsAt: number, shares: LoyaltyShares): LoyaltyPlan {
  const rng = rngFor(seed, 'universe', 'loyalty');
  const today = dayOf(startsAt);
  const holders: number[] = [];
  for (let i = 0; i < customers.count; i++) if (customers.loyaltyCard[i]) holders.push(i);
  const plan: LoyaltyPlan = {
    holder: Int32Array.from(holders),
    joined: new Float64Array(holders.length),
    tier: new Uint8Array(holders.length),
    householdSize: new Uint8Array(holders.length),
    conflicting: new Uint8Array(holders.length),
    unlinked: Math.round(holders.length * shares.unlinked),
  };
  holders.forEach((i, row) => {
    // Joined after becoming a customer (a day later at the soonest): the CRM's values hold by then.
    const first = customers.customerSince[i]! + dayMs;
    plan.joined[row] = first + Math.floor(rng() * ((today - first) / dayMs + 1)) * dayMs;
    plan.tier[row] = drawTier(rng);
    const size = customers.householdSize[i]!;
    const conflicting = rng() < shares.conflicting;
    plan.conflicting[row] = conflicting ? 1 : 0;
    plan.householdSize[row] = conflicting ? (size === 5 ? 4 : size + 1) : size;
  });
  return plan;
}

export function* loyaltyRows(plan: LoyaltyPlan, seed: number, startsAt: number): Generator<SourceRow> {
  for (let row = 0; row < plan.holder.length; row++) {
    yield {
      cells: {
        loyalty_card: loyaltyCardId(plan.holder[row]!),
        valid_from: isoDate(plan.joined[row]!),
        household_size: String(plan.householdSize[row]),
        tier: loyaltyTiers[plan.tier[row]!]!,
      },
      outcome: 'matched',
      conflicts: plan.conflicting[row] ? ['household_size'] : [],
    };
  }
  const rng = rngFor(seed, 'universe', 'loyalty', 'unlinked');
  for (let n = 0; n < plan.unlinked; n++) {
    yield {
      cells: {
        loyalty_card: unlinkedCardId(n),
        valid_from: isoDate(dayOf(startsAt) - Math.floor(rng() * 3 * 365) * dayMs),
        household_size: String(drawHouseholdSize(rng, drawAgeBand(rng))),
        tier: loyaltyTiers[drawTier(rng)]!,
      },
      outcome: 'unmatched',
      conflicts: [],
    };
  }
}
