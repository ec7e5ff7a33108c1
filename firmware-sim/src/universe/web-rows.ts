import { rngFor } from '../prng.js';
import type { Customers } from './customers.js';
import { ageBands, drawAgeBand, drawInterests, interests } from './distributions.js';
import { appInstallId, emailAddress, emailKey, visitorAppInstallId, visitorEmailAddress } from './identities.js';
import { dayMs, drawDistinct, isoInstant, type RowOutcome, type SourceRow } from './source-rows.js';

/**
 * The web analytics file: a row per visitor seen in the last 90 days, keyed by the hashed e-mail they logged
 * in with, their app install id, or both, with the age band they declared and the interests inferred from
 * what they read. Known customers appear at most once (matched); a family's shared address names two
 * customers (ambiguous); the rest are visitors no customer is (unmatched). On the planted conflicts the
 * declared age band is the next one to the CRM's.
 */

export const webColumns = ['email_sha256', 'app_install_id', 'valid_from', 'age_band', ...interests.map((name) => `interest_${name}`)] as const;

export interface WebShares {
  /** Web rows per customer (a third: 100,000 rows for 300,000 customers). */
  rowsPerCustomer: number;
  /** Rows naming customers the CRM knows, the ambiguous ones included; the rest are unknown visitors. */
  known: number;
  /** Rows keyed by a shared family address. */
  ambiguous: number;
  /** Rows whose age band differs from the CRM's. */
  conflicting: number;
}

export const defaultWebShares: WebShares = { rowsPerCustomer: 1 / 3, known: 0.7, ambiguous: 0.015, conflicting: 0.05 };

const outcomes: readonly RowOutcome[] = ['matched', 'ambiguous', 'unmatched'];
const emailBit = 1;
const appBit = 2;
const lookBackMs = 90 * dayMs;

export interface WebPlan {
  /** Index into `outcomes`. */
  outcome: Uint8Array;
  /** The customer (the shared address's owner when ambiguous), or the unknown visitor's number. */
  who: Int32Array;
  keys: Uint8Array;
  ageBand: Uint8Array;
  conflicting: Uint8Array;
  interests: Uint8Array;
  seenAt: Float64Array;
}

export function planWeb(customers: Customers, seed: number, startsAt: number, shares: WebShares): WebPlan {
  const rng = rngFor(seed, 'universe', 'web');
  const total = Math.round(customers.count * shares.rowsPerCustomer);
  const ownEmail = (i: number) => customers.emailOf[i] === i && customers.emailShared[i] === 0;
  const identifiable: number[] = [];
  const sharedAddresses: number[] = [];
  for (let i = 0; i < customers.count; i++) {
    if (ownEmail(i) || customers.appInstall[i]) identifiable.push(i);
    if (customers.emailShared[i]) sharedAddresses.push(i);
  }
  const ambiguous = drawDistinct(rng, Int32Array.from(sharedAddresses), Math.round(total * shares.ambiguous));
  const matched = drawDistinct(rng, Int32Array.from(identifiable), Math.max(0, Math.round(total * shares.known) - ambiguous.length));
  const conflicting = Math.min(matched.length, Math.round(total * shares.conflicting));
  const plan: WebPlan = {
    outcome: new Uint8Array(total),
    who: new Int32Array(total),
    keys: new Uint8Array(total),
    ageBand: new Uint8Array(total),
    conflicting: new Uint8Array(total),
    interests: new Uint8Array(total),
    seenAt: new Float64Array(total),
  };
  // Rows in a random order, so that no class of row comes in a block.
  const order = drawDistinct(
    rng,
    Int32Array.from({ length: total }, (_, i) => i),
    total,
  );
  let next = 0;
  const seenSince = (from: number) => from + Math.floor(rng() * ((startsAt - from) / 1000)) * 1000;
  matched.forEach((i, n) => {
    const row = order[next++]!;
    plan.outcome[row] = 0;
    plan.who[row] = i;
    const app = customers.appInstall[i] === 1;
    const key = rng();
    plan.keys[row] = !ownEmail(i) ? appBit : !app ? emailBit : key < 0.4 ? emailBit : key < 0.8 ? appBit : emailBit | appBit;
    const band = customers.ageBand[i]!;
    plan.conflicting[row] = n < conflicting ? 1 : 0;
    plan.ageBand[row] = n < conflicting ? (band === ageBands.length - 1 ? band - 1 : band + 1) : band;
    plan.interests[row] = drawInterests(rng);
    // Seen after becoming a customer (a day later at the soonest): the CRM's age band holds by then.
    plan.seenAt[row] = seenSince(Math.max(customers.customerSince[i]! + dayMs, startsAt - lookBackMs));
  });
  for (const i of ambiguous) {
    const row = order[next++]!;
    plan.outcome[row] = 1;
    plan.who[row] = i;
    plan.keys[row] = emailBit;
    plan.ageBand[row] = drawAgeBand(rng);
    plan.interests[row] = drawInterests(rng);
    plan.seenAt[row] = seenSince(startsAt - lookBackMs);
  }
  for (let visitor = 0; next < total; visitor++) {
    const row = order[next++]!;
    plan.outcome[row] = 2;
    plan.who[row] = visitor;
    plan.keys[row] = rng() < 0.6 ? emailBit : appBit;
    plan.ageBand[row] = drawAgeBand(rng);
    plan.interests[row] = drawInterests(rng);
    plan.seenAt[row] = seenSince(startsAt - lookBackMs);
  }
  return plan;
}

export function* webRows(plan: WebPlan, seed: number): Generator<SourceRow> {
  for (let row = 0; row < plan.outcome.length; row++) {
    const outcome = outcomes[plan.outcome[row]!]!;
    const who = plan.who[row]!;
    const keys = plan.keys[row]!;
    const known = outcome !== 'unmatched';
    const cells: Record<string, string> = {
      email_sha256: keys & emailBit ? emailKey(known ? emailAddress(seed, who) : visitorEmailAddress(seed, who)) : '',
      app_install_id: keys & appBit ? (known ? appInstallId(seed, who) : visitorAppInstallId(seed, who)) : '',
      valid_from: isoInstant(plan.seenAt[row]!),
      age_band: ageBands[plan.ageBand[row]!]!,
    };
    interests.forEach((name, bit) => {
      cells[`interest_${name}`] = plan.interests[row]! & (1 << bit) ? 'true' : '';
    });
    yield { cells, outcome, conflicts: plan.conflicting[row] ? ['age_band'] : [] };
  }
}
