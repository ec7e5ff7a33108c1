import { identitySchema, keyTypeSchema, ParcoursInputError } from '@parcours/contracts';
import { formatIssues } from '../pipeline/validate.js';
import { readCsv } from './csv-table.js';
import type { Keys } from './identity-table.js';

/** One row of an identity import, as given (keys not yet hashed or checked against the registry), or why it is malformed. */
export type IdentityRow = { where: string; individualId: string; keys: Keys } | { where: string; problem: string };

const fileName = 'identities.csv';

/** A CSV of `individual_id` then one column per key type; an empty cell is no key of that type. */
export function csvIdentityRows(text: string): IdentityRow[] {
  const { header, records } = readCsv(text, fileName);
  const [first, ...keyColumns] = header;
  const problems: string[] = [];
  if (first !== 'individual_id') problems.push('the first column is individual_id');
  const badColumns = keyColumns.filter((column) => !keyTypeSchema.safeParse(column).success);
  if (badColumns.length > 0) problems.push(`key columns are snake_case key types: ${badColumns.join(', ')}`);
  if (keyColumns.length === 0) problems.push('no key column');
  if (problems.length > 0) throw new ParcoursInputError('the CSV has columns it cannot have', [{ path: `${fileName} line 1`, message: problems.join('; ') }]);

  const rows = records.map(({ line, cells }) => ({
    where: `${fileName} line ${line}`,
    value: { individualId: cells[0], keys: Object.fromEntries(keyColumns.flatMap((column, i) => (cells[i + 1] === '' ? [] : [[column, cells[i + 1]]]))) },
  }));
  return checked(rows);
}

/** A JSON array of identities (`{ individualId, keys }`). */
export function jsonIdentityRows(values: readonly unknown[]): IdentityRow[] {
  if (values.length === 0) throw new ParcoursInputError('the import holds no rows', [{ path: 'rows', message: 'at least one row is needed' }]);
  return checked(values.map((value, i) => ({ where: `rows[${i}]`, value })));
}

function checked(rows: { where: string; value: unknown }[]): IdentityRow[] {
  return rows.map(({ where, value }) => {
    const result = identitySchema.safeParse(value);
    return result.success ? { where, ...result.data } : { where, problem: formatIssues(result.error) };
  });
}
