import { rngFor } from '../prng.js';
import type { Customers } from './customers.js';
import { ageBands, type AgeBand } from './distributions.js';
import { dayMs } from './source-rows.js';

/**
 * The panel's attrition: customers who will opt out of panels (purpose `panel`) in the 90 days after the base
 * is drawn, most of them in one quota cell — the youngest of one région, by default Île-de-France — and a few
 * everywhere else, so that a panel drawn evenly loses that cell first.
 */

export interface AttritionShares {
  /** The région (INSEE code) and age band where opt-outs concentrate. */
  region: string;
  ageBand: AgeBand;
  /** The chance that a customer of that cell opts out. */
  rate: number;
  /** The chance elsewhere. */
  baseRate: number;
}

/** Opt-outs fall in the 90 days after `startsAt`, on whole seconds. */
const windowMs = 90 * dayMs;

export const defaultAttrition: AttritionShares = { region: '11', ageBand: '18-24', rate: 0.3, baseRate: 0.02 };

export interface OptOut {
  customer: number;
  purpose: 'panel';
  at: number;
}

/** `regionOf` gives a customer's région at `startsAt` (after their move, if any). */
export function planAttrition(customers: Customers, regionOf: (index: number) => string, seed: number, startsAt: number, shares: AttritionShares): OptOut[] {
  const rng = rngFor(seed, 'universe', 'attrition');
  const band = ageBands.indexOf(shares.ageBand);
  const optOuts: OptOut[] = [];
  for (let i = 0; i < customers.count; i++) {
    const inCell = customers.ageBand[i] === band && regionOf(i) === shares.region;
    if (rng() < (inCell ? shares.rate : shares.baseRate))
      optOuts.push({ customer: i, purpose: 'panel', at: startsAt + Math.floor((rng() * windowMs) / 1000) * 1000 });
  }
  return optOuts.sort((a, b) => a.at - b.at || a.customer - b.customer);
}
