import { ParcoursInputError } from '@parcours/contracts';
import { parse } from 'csv-parse/sync';
import type { ImportKind, ImportRow } from './bulk-import.js';

/** The columns of each CSV file (snake_case or camelCase headers); a subject's other columns are its attributes. */
const fields: Record<ImportKind, readonly string[]> = {
  subjects: ['id', 'kind', 'type', 'name'],
  devices: ['id', 'type', 'model', 'name'],
  memberships: ['id', 'individualId', 'collectiveId', 'role', 'validFrom', 'validTo'],
  assignments: ['id', 'deviceId', 'subjectId', 'validFrom', 'validTo'],
};

const camel = (header: string) => header.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Turns a CSV export into import rows; an empty cell is an absent value (so `validTo` stays open). */
export function csvRows(kind: ImportKind, text: string): ImportRow[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, { columns: (header: string[]) => header.map((h) => h.trim()), info: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    throw new ParcoursInputError('the CSV cannot be read', [{ path: `${kind}.csv`, message: (error as Error).message }]);
  }
  // An import of nothing is most likely the wrong file, or one cut short.
  if (records.length === 0)
    throw new ParcoursInputError('the CSV holds no records', [{ path: `${kind}.csv`, message: 'a header row and at least one record are needed' }]);
  const headers = Object.keys(records[0]!.record);
  const unknown = kind === 'subjects' ? [] : headers.filter((h) => !fields[kind].includes(camel(h)));
  if (unknown.length > 0)
    throw new ParcoursInputError('the CSV has unknown columns', [
      { path: `${kind}.csv line 1`, message: `unknown columns: ${unknown.join(', ')}; expected ${fields[kind].join(', ')}` },
    ]);

  return records.map(({ record, info }) => {
    const value: Record<string, unknown> = {};
    const attributes: Record<string, string> = {};
    for (const [column, cell] of Object.entries(record)) {
      if (cell === '') continue;
      if (fields[kind].includes(camel(column))) value[camel(column)] = cell;
      else attributes[column] = cell;
    }
    if (kind === 'subjects') value.attributes = attributes;
    return { kind, where: `${kind}.csv line ${info.lines}`, value };
  });
}
