import { rngFor } from '../prng.js';
import type { Customers } from './customers.js';
import { ageBands, plans } from './distributions.js';
import { crmId } from './identities.js';
import type { PlaceTable, StoredPlace } from './places.js';
import { dayMs, dayOf, isoDate, type SourceRow } from './source-rows.js';

/**
 * The CRM file: one row per customer, holding from the day they became one, and for the customers who moved
 * a second row from the day of the move with their new postcode (and commune code, so that the new commune
 * is never left to an earlier row) in another région. The CRM is trusted most: its rows never conflict.
 */

export const crmColumns = ['crm_id', 'valid_from', 'postcode', 'commune_code', 'household_size', 'age_band', 'customer_since', 'plan'] as const;

export interface Moves {
  customer: Int32Array;
  /** Midnight UTC of the day of the move. */
  at: Float64Array;
  /** The new home: an entry of the place table, given with its commune code. */
  place: Uint32Array;
  /** The move of each customer, -1 for none. */
  moveOf: Int32Array;
}

/** A share of the customers of at least two months moves, between a month after becoming customers and yesterday. */
export function planMoves(customers: Customers, places: PlaceTable, seed: number, startsAt: number, share: number): Moves {
  const rng = rngFor(seed, 'universe', 'moves');
  const today = dayOf(startsAt);
  const moving: number[] = [];
  const at: number[] = [];
  const place: number[] = [];
  const moveOf = new Int32Array(customers.count).fill(-1);
  for (let i = 0; i < customers.count; i++) {
    const since = customers.customerSince[i]!;
    if (rng() >= share || since > today - 60 * dayMs) continue;
    const firstDay = since + 30 * dayMs;
    const days = Math.floor(rng() * ((today - dayMs - firstDay) / dayMs + 1));
    const before = places.storedPlace(customers.place[i]!, customers.communeCodeGiven[i] === 1).region;
    let entry = places.draw(rng);
    while (places.storedPlace(entry, true).region === before) entry = places.draw(rng);
    moveOf[i] = moving.length;
    moving.push(i);
    at.push(firstDay + days * dayMs);
    place.push(entry);
  }
  return { customer: Int32Array.from(moving), at: Float64Array.from(at), place: Uint32Array.from(place), moveOf };
}

/** What Parcours holds of a customer's place at `startsAt`: after their move, if any. */
export function currentPlace(customers: Customers, moves: Moves, places: PlaceTable, index: number): StoredPlace {
  const move = moves.moveOf[index]!;
  return move < 0 ? places.storedPlace(customers.place[index]!, customers.communeCodeGiven[index] === 1) : places.storedPlace(moves.place[move]!, true);
}

export function* crmRows(customers: Customers, moves: Moves, places: PlaceTable): Generator<SourceRow> {
  for (let i = 0; i < customers.count; i++) {
    const entry = customers.place[i]!;
    const since = isoDate(customers.customerSince[i]!);
    yield {
      cells: {
        crm_id: crmId(i),
        valid_from: since,
        postcode: places.postcodes[entry]!,
        commune_code: customers.communeCodeGiven[i] ? places.communeCodes[entry]! : '',
        household_size: String(customers.householdSize[i]),
        age_band: ageBands[customers.ageBand[i]!]!,
        customer_since: since,
        plan: plans[customers.plan[i]!]!,
      },
      outcome: 'matched',
      conflicts: [],
      flaggedPlace: places.storedPlace(entry, customers.communeCodeGiven[i] === 1).flagged,
    };
  }
  for (let m = 0; m < moves.customer.length; m++) {
    const entry = moves.place[m]!;
    yield {
      cells: {
        crm_id: crmId(moves.customer[m]!),
        valid_from: isoDate(moves.at[m]!),
        postcode: places.postcodes[entry]!,
        commune_code: places.communeCodes[entry]!,
        household_size: '',
        age_band: '',
        customer_since: '',
        plan: '',
      },
      outcome: 'matched',
      conflicts: [],
    };
  }
}
