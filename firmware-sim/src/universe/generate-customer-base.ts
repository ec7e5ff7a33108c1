import { ParcoursError, type SourceCreate, errorCodes } from '@parcours/contracts';
import { z } from 'zod';
import { type AttritionShares, defaultAttrition, type OptOut, planAttrition } from './attrition.js';
import { crmColumns, crmRows, currentPlace, type Moves, planMoves } from './crm-rows.js';
import { type Customers, type CustomerShares, defaultCustomerShares, generateCustomers } from './customers.js';
import { defaultLoyaltyShares, type LoyaltyPlan, type LoyaltyShares, loyaltyColumns, loyaltyRows, planLoyalty } from './loyalty-rows.js';
import { PlaceTable } from './places.js';
import type { SourceRow } from './source-rows.js';
import { customerBaseSources } from './sources.js';
import { defaultWebShares, planWeb, type WebPlan, type WebShares, webColumns, webRows } from './web-rows.js';

/**
 * A simulated customer base: customers with what a CRM, a loyalty programme and web analytics know of them,
 * how they identify them, the moves, conflicts and shared addresses planted in those files, and the
 * customers who will leave a panel. The same seed and `startsAt` give the same base; rows are produced on
 * demand from compact plans, so 300,000 customers take a few seconds and tens of megabytes.
 */

const share = z.number().min(0).max(1);

export const customerBaseOptionsSchema = z.strictObject({
  size: z.number().int().positive().describe('customers in all, the world’s persons included'),
  seed: z.number().int(),
  startsAt: z.number().int().describe('ms: the day the base describes; its rows hold from before it'),
  worldIndividuals: z.array(z.string()).default([]).describe('ids of the persons of the simulated world, customers too: the only ones with connected devices'),
  moves: share.default(0.03).describe('customers who moved to another région'),
  customers: z.custom<Partial<CustomerShares>>().default({}),
  loyalty: z.custom<Partial<LoyaltyShares>>().default({}),
  web: z.custom<Partial<WebShares>>().default({}),
  attrition: z.custom<Partial<AttritionShares>>().default({}),
});
export type CustomerBaseOptions = z.input<typeof customerBaseOptionsSchema>;

/** A source's file: its columns and its rows in file order, produced anew on each call. */
export interface SourceFile {
  source: SourceCreate;
  file: string;
  columns: readonly string[];
  rows: () => Iterable<SourceRow>;
}

export interface CustomerBase {
  seed: number;
  startsAt: number;
  customers: Customers;
  places: PlaceTable;
  moves: Moves;
  loyalty: LoyaltyPlan;
  web: WebPlan;
  attrition: AttritionShares;
  optOuts: OptOut[];
  /** In import order: crm, loyalty, web. */
  files: readonly SourceFile[];
}

let placeTable: PlaceTable | null = null;

export function generateCustomerBase(options: CustomerBaseOptions): CustomerBase {
  const parsed = customerBaseOptionsSchema.safeParse(options);
  if (!parsed.success) throw new ParcoursError(errorCodes.config, `invalid customer base options:\n${z.prettifyError(parsed.error)}`);
  const { size, seed, startsAt, worldIndividuals } = parsed.data;
  if (worldIndividuals.length > size)
    throw new ParcoursError(errorCodes.config, `a customer base of ${size} cannot include the world's ${worldIndividuals.length} persons`);
  // The table is the same for every base: built once per process.
  placeTable ??= new PlaceTable();
  const places = placeTable;
  const customers = generateCustomers({
    size,
    seed,
    startsAt,
    worldIds: worldIndividuals,
    places,
    shares: { ...defaultCustomerShares, ...parsed.data.customers },
  });
  const moves = planMoves(customers, places, seed, startsAt, parsed.data.moves);
  const loyalty = planLoyalty(customers, seed, startsAt, { ...defaultLoyaltyShares, ...parsed.data.loyalty });
  const web = planWeb(customers, seed, startsAt, { ...defaultWebShares, ...parsed.data.web });
  const attrition = { ...defaultAttrition, ...parsed.data.attrition };
  const optOuts = planAttrition(customers, (i) => currentPlace(customers, moves, places, i).region, seed, startsAt, attrition);
  const [crm, loyaltySource, webSource] = customerBaseSources as [SourceCreate, SourceCreate, SourceCreate];
  return {
    seed,
    startsAt,
    customers,
    places,
    moves,
    loyalty,
    web,
    attrition,
    optOuts,
    files: [
      { source: crm, file: 'crm.csv', columns: crmColumns, rows: () => crmRows(customers, moves, places) },
      { source: loyaltySource, file: 'loyalty.csv', columns: loyaltyColumns, rows: () => loyaltyRows(loyalty, seed, startsAt) },
      { source: webSource, file: 'web.csv', columns: webColumns, rows: () => webRows(web, seed) },
    ],
  };
}
