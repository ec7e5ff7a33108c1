import { idSchema, instantSchema } from '@parcours/contracts';
import { z } from 'zod';
import type { CustomerBase } from './generate-customer-base.js';
import { currentPlace } from './crm-rows.js';
import { customerId } from './customers.js';
import { ageBands } from './distributions.js';

/**
 * What the customer base holds and what Parcours should make of it, tallied from what was planted as it was
 * generated (each row's outcome and conflicts, each move, each opt-out), never typed by hand: the trait
 * reports of imports in the order crm → loyalty → web, every move, the attrition plan and the size of every
 * quota cell (région × household size × age band) at `startsAt`.
 */

const count = z.number().int().nonnegative();

export const importTruthSchema = z.object({
  source: idSchema,
  file: z.string(),
  rows: count,
  matched: count.describe('rows whose keys name exactly one individual'),
  unmatched: count.describe('rows whose keys name no individual'),
  ambiguous: count.describe('rows whose keys name several individuals (a shared family address)'),
  conflicting: count.describe("matched rows with a value that differs from a higher-priority source's at the row's valid_from"),
  conflictingAttributes: z.record(z.string(), count).describe('conflicting rows per attribute'),
  flaggedPlaces: count.describe('rows whose postcode serves several communes and that give no commune code'),
});
export type ImportTruth = z.infer<typeof importTruthSchema>;

const placeAttributes = ['postcode', 'commune', 'departement', 'region'] as const;

export const customerBaseTruthSchema = z.object({
  seed: z.number().int(),
  startsAt: instantSchema.describe('the day the base describes: its rows hold from before it, its opt-outs come after'),
  individuals: z.object({
    total: count,
    fromWorld: count.describe("the simulated world's persons, with the world's connected devices"),
  }),
  identities: z.object({
    crmId: count,
    email: count.describe('customers giving an address (their own or a family member’s)'),
    sharedEmails: count.describe('addresses given by two customers'),
    loyaltyCard: count,
    appInstallId: count,
  }),
  imports: z.array(importTruthSchema).describe('in import order: crm, loyalty, web'),
  moves: z
    .array(
      z.object({
        individualId: idSchema,
        attribute: z.enum(placeAttributes),
        before: z.string().nullable().describe('null: no commune (a postcode serving several, without a commune code)'),
        after: z.string().nullable(),
        at: instantSchema,
      }),
    )
    .describe('each stored place attribute a move changes, as the CRM says from the day of the move'),
  attrition: z.object({
    purpose: z.literal('panel'),
    cell: z.object({ region: z.string(), ageBand: z.enum(ageBands) }),
    rate: z.number().describe('the chance of opting out in that cell'),
    baseRate: z.number().describe('the chance elsewhere'),
    optOuts: z.array(z.object({ individualId: idSchema, at: instantSchema })),
  }),
  quotaCells: z
    .array(z.object({ region: z.string(), householdSize: z.number().int(), ageBand: z.enum(ageBands), individuals: count }))
    .describe("customers per région (the CRM's, after moves) × household size (5: five or more) × age band at startsAt"),
});
export type CustomerBaseTruth = z.output<typeof customerBaseTruthSchema>;

export function customerBaseTruth(base: CustomerBase): CustomerBaseTruth {
  const { customers, places, moves, seed, startsAt } = base;
  const imports = base.files.map(({ source, file, rows }): ImportTruth => {
    const truth: ImportTruth = {
      source: source.id,
      file,
      rows: 0,
      matched: 0,
      unmatched: 0,
      ambiguous: 0,
      conflicting: 0,
      conflictingAttributes: {},
      flaggedPlaces: 0,
    };
    for (const row of rows()) {
      truth.rows++;
      truth[row.outcome]++;
      if (row.conflicts.length > 0) truth.conflicting++;
      for (const attribute of row.conflicts) truth.conflictingAttributes[attribute] = (truth.conflictingAttributes[attribute] ?? 0) + 1;
      if (row.flaggedPlace) truth.flaggedPlaces++;
    }
    return truth;
  });

  const movedAttributes: CustomerBaseTruth['moves'] = [];
  for (let m = 0; m < moves.customer.length; m++) {
    const i = moves.customer[m]!;
    const before = places.storedPlace(customers.place[i]!, customers.communeCodeGiven[i] === 1);
    const after = places.storedPlace(moves.place[m]!, true);
    for (const attribute of placeAttributes)
      if (before[attribute] !== after[attribute])
        movedAttributes.push({ individualId: customerId(customers, i), attribute, before: before[attribute], after: after[attribute], at: moves.at[m]! });
  }

  const cells = new Map<string, number>();
  for (let i = 0; i < customers.count; i++) {
    const key = `${currentPlace(customers, moves, places, i).region}|${customers.householdSize[i]}|${customers.ageBand[i]}`;
    cells.set(key, (cells.get(key) ?? 0) + 1);
  }
  const quotaCells = [...cells]
    .map(([key, individuals]) => {
      const [region, householdSize, ageBand] = key.split('|');
      return { region: region!, householdSize: Number(householdSize), ageBand: ageBands[Number(ageBand)]!, individuals };
    })
    .sort((a, b) => a.region.localeCompare(b.region) || a.householdSize - b.householdSize || ageBands.indexOf(a.ageBand) - ageBands.indexOf(b.ageBand));

  let email = 0;
  let sharedEmails = 0;
  let loyaltyCard = 0;
  let appInstallId = 0;
  for (let i = 0; i < customers.count; i++) {
    if (customers.emailOf[i]! >= 0) email++;
    sharedEmails += customers.emailShared[i]!;
    loyaltyCard += customers.loyaltyCard[i]!;
    appInstallId += customers.appInstall[i]!;
  }
  return {
    seed,
    startsAt,
    individuals: { total: customers.count, fromWorld: customers.worldIds.length },
    identities: { crmId: customers.count, email, sharedEmails, loyaltyCard, appInstallId },
    imports,
    moves: movedAttributes,
    attrition: {
      purpose: 'panel',
      cell: { region: base.attrition.region, ageBand: base.attrition.ageBand },
      rate: base.attrition.rate,
      baseRate: base.attrition.baseRate,
      optOuts: base.optOuts.map((o) => ({ individualId: customerId(customers, o.customer), at: o.at })),
    },
    quotaCells,
  };
}
