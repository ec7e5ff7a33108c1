import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type CustomerBaseTruth, customerBaseTruth, customerBaseTruthSchema } from './customer-base-truth.js';
import { customerId } from './customers.js';
import { writeCsv } from './csv.js';
import type { CustomerBase } from './generate-customer-base.js';
import { identityKeys, keyTypes } from './identities.js';
import { isoInstant } from './source-rows.js';
import { customerBaseSources } from './sources.js';

/**
 * The customer base as files, in the formats the Parcours imports take: `sources.json` (the bodies of
 * `POST /api/v1/sources`), `subjects.csv` (the registry's CSV import: the customers that are not persons of
 * the simulated world, which the simulator registers itself), `identities.csv`, one trait file per source,
 * `attrition.csv` (the planned opt-outs) and `ground-truth.json` (`customerBaseTruthSchema`).
 */

export const customerBaseFiles = {
  sources: 'sources.json',
  subjects: 'subjects.csv',
  identities: 'identities.csv',
  attrition: 'attrition.csv',
  groundTruth: 'ground-truth.json',
} as const;

export async function writeCustomerBase(base: CustomerBase, dir: string): Promise<CustomerBaseTruth> {
  await mkdir(dir, { recursive: true });
  const { customers, seed } = base;
  const indices = function* (from: number) {
    for (let i = from; i < customers.count; i++) yield i;
  };
  await writeFile(join(dir, customerBaseFiles.sources), `${JSON.stringify(customerBaseSources, null, 2)}\n`);
  await writeCsv(
    join(dir, customerBaseFiles.subjects),
    ['id', 'kind', 'type', 'name'],
    map(indices(customers.worldIds.length), (i) => {
      const id = customerId(customers, i);
      return [id, 'individual', 'person', `Customer ${id.slice('cust-'.length)}`];
    }),
  );
  await writeCsv(
    join(dir, customerBaseFiles.identities),
    ['individual_id', ...keyTypes],
    map(indices(0), (i) => {
      const keys = identityKeys(customers, seed, i);
      return [customerId(customers, i), ...keyTypes.map((type) => keys[type] ?? '')];
    }),
  );
  for (const { file, columns, rows } of base.files)
    await writeCsv(
      join(dir, file),
      columns,
      map(rows(), (row) => columns.map((column) => row.cells[column] ?? '')),
    );
  await writeCsv(
    join(dir, customerBaseFiles.attrition),
    ['individual_id', 'purpose', 'at'],
    base.optOuts.map((o) => [customerId(customers, o.customer), o.purpose, isoInstant(o.at)]),
  );
  const truth = customerBaseTruth(base);
  await writeFile(join(dir, customerBaseFiles.groundTruth), `${JSON.stringify(z.encode(customerBaseTruthSchema, truth), null, 2)}\n`);
  return truth;
}

function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}
