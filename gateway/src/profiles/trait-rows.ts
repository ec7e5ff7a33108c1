import { emailKeyType, ParcoursInputError, type AttributeValue } from '@parcours/contracts';
import { z } from 'zod';
import { readCsv } from './csv-table.js';
import { emailColumn, storedKey } from './external-keys.js';
import { placeAttributeNames } from './place-attributes.js';

/** One row of a trait import, checked: the keys it names people by, the date its values hold from, its place and its other values. */
export interface TraitRow {
  where: string;
  keys: { type: string; value: string }[];
  validFrom: number;
  place: { postcode: string | null; communeCode: string | null } | null;
  values: [name: string, value: AttributeValue][];
}

/** What a trait file's columns may be, for one source. */
export interface TraitColumns {
  /** The source's join keys. */
  joinKeys: readonly string[];
  /** Key types of other sources: a column of one in this source's file is a mistake, not an attribute. */
  otherKeyTypes: ReadonlySet<string>;
}

type Role =
  | { role: 'key'; type: string }
  | { role: 'validFrom' }
  | { role: 'postcode' }
  | { role: 'communeCode' }
  | { role: 'attribute' }
  | { role: 'refused'; why: string };

const attributeName = /^[a-z][a-z0-9_]{0,63}$/;
const maxValueLength = 1024;

function roleOf(column: string, columns: TraitColumns): Role {
  if (column === 'valid_from') return { role: 'validFrom' };
  if (column === 'postcode') return { role: 'postcode' };
  if (column === 'commune_code') return { role: 'communeCode' };
  if (columns.joinKeys.includes(column)) return { role: 'key', type: column };
  const joinsOnEmail = columns.joinKeys.includes(emailKeyType);
  if (column === emailColumn) return joinsOnEmail ? { role: 'key', type: column } : { role: 'refused', why: `the source does not join on ${emailKeyType}` };
  if (column === emailKeyType || columns.otherKeyTypes.has(column)) return { role: 'refused', why: `the source does not join on ${column}` };
  if ((placeAttributeNames as readonly string[]).includes(column)) return { role: 'refused', why: `${column} is derived from postcode and commune_code` };
  if (!attributeName.test(column)) return { role: 'refused', why: 'an attribute name is lower snake case, at most 64 characters' };
  return { role: 'attribute' };
}

const dateSchema = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

/** `valid_from` as an instant (ms): an ISO 8601 instant, or a date alone for its midnight UTC. Dates repeat: each is read once. */
function dateReader(): (text: string) => number | null {
  const seen = new Map<string, number | null>();
  return (text) => {
    let ms = seen.get(text);
    if (ms === undefined) {
      ms = dateSchema.safeParse(text).success ? Date.parse(text) : null;
      seen.set(text, ms);
    }
    return ms;
  };
}

/** Builds rows cell by cell, collecting every problem of every row before any is imported. */
class RowBuilder {
  readonly problems: { path: string; message: string }[] = [];
  private readonly readDate = dateReader();

  constructor(private readonly defaultValidFrom: number) {}

  row(where: string, cells: Iterable<[column: string, role: Role, value: unknown]>): TraitRow | null {
    const row: TraitRow = { where, keys: [], validFrom: this.defaultValidFrom, place: null, values: [] };
    const problems: string[] = [];
    for (const [column, role, value] of cells) {
      // An empty cell (or a JSON null) is the source saying nothing.
      if (value === '' || value === null || value === undefined) continue;
      if (role.role === 'refused') {
        problems.push(`${column}: ${role.why}`);
        continue;
      }
      if (role.role === 'attribute') {
        if (typeof value === 'number' ? !Number.isFinite(value) : typeof value !== 'string' && typeof value !== 'boolean')
          problems.push(`${column}: a value is a string, a number or a boolean`);
        else if (typeof value === 'string' && value.length > maxValueLength) problems.push(`${column}: longer than ${maxValueLength} characters`);
        else row.values.push([column, value as AttributeValue]);
        continue;
      }
      if (typeof value !== 'string' && typeof value !== 'number') {
        problems.push(`${column}: expected text`);
        continue;
      }
      const text = String(value).trim();
      if (role.role === 'validFrom') {
        const ms = this.readDate(text);
        if (ms === null) problems.push(`valid_from: ${JSON.stringify(text)} is neither an ISO 8601 instant nor a date (YYYY-MM-DD)`);
        else row.validFrom = ms;
      } else if (role.role === 'postcode') {
        row.place = { postcode: text, communeCode: row.place?.communeCode ?? null };
      } else if (role.role === 'communeCode') {
        row.place = { postcode: row.place?.postcode ?? null, communeCode: text };
      } else {
        const key = storedKey(role.type, text);
        if ('problem' in key) problems.push(`${column}: ${key.problem}`);
        else row.keys.push(key);
      }
    }
    if (problems.length === 0 && row.keys.length === 0) problems.push('no key: the row names nobody');
    if (problems.length === 0) return row;
    this.problems.push({ path: where, message: problems.join('; ') });
    return null;
  }

  done(rows: (TraitRow | null)[], total: number): TraitRow[] {
    if (this.problems.length > 0) throw new ParcoursInputError(`${this.problems.length} of ${total} rows are not valid; nothing was imported`, this.problems);
    return rows as TraitRow[];
  }
}

/** The rows of a CSV trait file; the header's refused columns are reported once, on line 1. */
export function csvTraitRows(text: string, columns: TraitColumns, defaultValidFrom: number): TraitRow[] {
  const fileName = 'traits.csv';
  const { header, records } = readCsv(text, fileName);
  const roles = header.map((column) => roleOf(column, columns));
  const refused = header.flatMap((column, i) => {
    const role = roles[i]!;
    return role.role === 'refused' ? [`${column || '(no name)'}: ${role.why}`] : [];
  });
  const repeated = header.filter((column, i) => header.indexOf(column) !== i);
  if (repeated.length > 0) refused.push(`columns named twice: ${[...new Set(repeated)].join(', ')}`);
  if (refused.length > 0) throw new ParcoursInputError('the CSV has columns it cannot have', [{ path: `${fileName} line 1`, message: refused.join('; ') }]);
  const builder = new RowBuilder(defaultValidFrom);
  const rows = records.map(({ line, cells }) =>
    builder.row(
      `${fileName} line ${line}`,
      cells.map((cell, i) => [header[i]!, roles[i]!, cell]),
    ),
  );
  return builder.done(rows, records.length);
}

/** The rows of a JSON trait import: flat objects, each checked whole. */
export function jsonTraitRows(objects: readonly unknown[], columns: TraitColumns, defaultValidFrom: number): TraitRow[] {
  if (objects.length === 0) throw new ParcoursInputError('the import holds no rows', [{ path: 'rows', message: 'at least one row is needed' }]);
  const builder = new RowBuilder(defaultValidFrom);
  const roles = new Map<string, Role>();
  const roleFor = (column: string) => {
    let role = roles.get(column);
    if (!role) roles.set(column, (role = roleOf(column, columns)));
    return role;
  };
  const rows = objects.map((object, i) => {
    const where = `rows[${i}]`;
    if (typeof object !== 'object' || object === null || Array.isArray(object)) {
      builder.problems.push({ path: where, message: 'a row is an object of columns' });
      return null;
    }
    return builder.row(
      where,
      Object.entries(object).map(([column, value]): [string, Role, unknown] => [column, roleFor(column), value]),
    );
  });
  return builder.done(rows, objects.length);
}
