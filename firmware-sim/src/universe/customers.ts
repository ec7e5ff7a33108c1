import { type Rng, rngFor } from '../prng.js';
import { drawAgeBand, drawHouseholdSize, drawPlan } from './distributions.js';
import type { PlaceTable } from './places.js';
import { dayMs } from './source-rows.js';

/**
 * The customers and what the CRM knows of them, one typed array per attribute (300,000 customers take a few
 * megabytes), and which external ids each holds. A customer is an index; `customerId` names them.
 */

export interface CustomerShares {
  /** Customers with an e-mail address of their own. */
  email: number;
  /** Customers with no address of their own who give a family member's: the address then names two individuals. */
  sharedEmail: number;
  /** Customers holding a loyalty card. */
  loyaltyCard: number;
  /** Customers who installed the app, by age band (the youngest most often). */
  appInstall: readonly number[];
  /** CRM rows that give the commune code beside the postcode. */
  communeCode: number;
}

export const defaultCustomerShares: CustomerShares = {
  email: 0.85,
  sharedEmail: 0.03,
  loyaltyCard: 0.35,
  appInstall: [0.45, 0.45, 0.3, 0.25, 0.12, 0.08],
  communeCode: 0.4,
};

export interface Customers {
  count: number;
  /** The persons of the simulated world come first, under their own ids; then `cust-000001`, … */
  worldIds: readonly string[];
  /** Where they lived when they became customers: an entry of the place table. */
  place: Uint32Array;
  communeCodeGiven: Uint8Array;
  householdSize: Uint8Array;
  /** Index into `ageBands`. */
  ageBand: Uint8Array;
  /** Midnight UTC of the day they became customers, ms. */
  customerSince: Float64Array;
  /** Index into `plans`. */
  plan: Uint8Array;
  /** Whose address their e-mail is: -1 none, their own index, or the family member's whose address they give. */
  emailOf: Int32Array;
  /** 1 when their own address is also given by a family member. */
  emailShared: Uint8Array;
  loyaltyCard: Uint8Array;
  appInstall: Uint8Array;
}

export function customerId(customers: Customers, index: number): string {
  const { worldIds } = customers;
  return index < worldIds.length ? worldIds[index]! : `cust-${String(index - worldIds.length + 1).padStart(6, '0')}`;
}

/** Days a customer has been one: a month at least, four years on average, twenty at most. */
function tenureDays(rng: Rng): number {
  return Math.min(20 * 365, 30 + Math.floor(-Math.log(1 - rng()) * 4 * 365));
}

export function generateCustomers(options: {
  size: number;
  seed: number;
  startsAt: number;
  worldIds: readonly string[];
  places: PlaceTable;
  shares: CustomerShares;
}): Customers {
  const { size, seed, worldIds, places, shares } = options;
  const today = Math.floor(options.startsAt / dayMs) * dayMs;
  const c: Customers = {
    count: size,
    worldIds,
    place: new Uint32Array(size),
    communeCodeGiven: new Uint8Array(size),
    householdSize: new Uint8Array(size),
    ageBand: new Uint8Array(size),
    customerSince: new Float64Array(size),
    plan: new Uint8Array(size),
    emailOf: new Int32Array(size).fill(-1),
    emailShared: new Uint8Array(size),
    loyaltyCard: new Uint8Array(size),
    appInstall: new Uint8Array(size),
  };
  const rng = rngFor(seed, 'universe', 'customers');
  // The latest customer whose own address nobody shares yet: a family member may give it.
  let lastOwnEmail = -1;
  for (let i = 0; i < size; i++) {
    const ageBand = drawAgeBand(rng);
    c.ageBand[i] = ageBand;
    c.householdSize[i] = drawHouseholdSize(rng, ageBand);
    c.place[i] = places.draw(rng);
    c.communeCodeGiven[i] = rng() < shares.communeCode ? 1 : 0;
    c.customerSince[i] = today - tenureDays(rng) * dayMs;
    c.plan[i] = drawPlan(rng);
    c.loyaltyCard[i] = rng() < shares.loyaltyCard ? 1 : 0;
    const app = rng() < shares.appInstall[ageBand]!;
    // The world's persons own connected devices: they use the app.
    c.appInstall[i] = app || i < worldIds.length ? 1 : 0;
    const email = rng();
    if (email < shares.sharedEmail && lastOwnEmail >= 0) {
      // A family member: same address, same home, same household.
      c.emailOf[i] = lastOwnEmail;
      c.emailShared[lastOwnEmail] = 1;
      if (c.householdSize[lastOwnEmail] === 1) c.householdSize[lastOwnEmail] = 2;
      c.place[i] = c.place[lastOwnEmail]!;
      c.communeCodeGiven[i] = c.communeCodeGiven[lastOwnEmail]!;
      c.householdSize[i] = c.householdSize[lastOwnEmail]!;
      lastOwnEmail = -1;
    } else if (email < shares.sharedEmail + shares.email) {
      c.emailOf[i] = i;
      lastOwnEmail = i;
    }
  }
  return c;
}
