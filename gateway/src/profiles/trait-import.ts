import type { AttributeValue, Source, TraitImportReport } from '@parcours/contracts';
import type { Database } from '../store/database.js';
import { HigherValues } from './higher-values.js';
import type { KeyIndex } from './identity-table.js';
import { PlaceResolver, placeAttributeNames } from './place-attributes.js';
import type { TraitRow } from './trait-rows.js';

/** Rows listed in each class of the report; the counts are always whole. */
const listed = 1_000;

export interface TraitImportInput {
  db: Database;
  source: Source;
  rows: readonly TraitRow[];
  /** Who each key value of the source's join keys names. */
  keys: KeyIndex;
  /** Every source's rank, 0 the most trusted. */
  ranks: ReadonlyMap<string, number>;
  importedAt: number;
}

/** Values compare as text: a CSV's `35` agrees with a JSON 35. */
const same = (a: AttributeValue, b: AttributeValue) => String(a) === String(b);

function individualsOf(row: TraitRow, keys: KeyIndex): string[] {
  const named: string[] = [];
  for (const key of row.keys) for (const individual of keys.get(key.type)?.get(key.value) ?? []) if (!named.includes(individual)) named.push(individual);
  return named;
}

/**
 * Stores the matched rows' values, all in the caller's transaction, and reports every row's class: matched,
 * unmatched or ambiguous, and among the matched those that contradict a source ranked above (once per row,
 * each attribute listed).
 */
export function writeTraits({ db, source, rows, keys, ranks, importedAt }: TraitImportInput): TraitImportReport {
  const report: TraitImportReport = {
    source: source.id,
    rows: rows.length,
    matched: 0,
    unmatched: { count: 0, rows: [] },
    ambiguous: { count: 0, rows: [] },
    conflicting: { count: 0, rows: [] },
    values: 0,
    unresolvedPlaces: { count: 0, rows: [] },
    flaggedPlaces: { count: 0, rows: [] },
  };
  const matched: { row: TraitRow; individual: string }[] = [];
  for (const row of rows) {
    const named = individualsOf(row, keys);
    if (named.length === 1) matched.push({ row, individual: named[0]! });
    else if (named.length === 0) {
      if (report.unmatched.count++ < listed) report.unmatched.rows.push(row.where);
    } else if (report.ambiguous.count++ < listed) report.ambiguous.rows.push({ row: row.where, individuals: named.sort() });
  }
  report.matched = matched.length;

  const names = new Set(rows.flatMap((row) => row.values.map(([name]) => name)));
  if (rows.some((row) => row.place)) for (const name of placeAttributeNames) names.add(name);
  const higher = new HigherValues(db, ranks, ranks.get(source.id)!, new Set(matched.map((m) => m.individual)), names);
  const places = new PlaceResolver();
  const store = db.prepare<[string, string, string, number, string | null, number]>(
    `INSERT INTO attribute_values (subject_id, name, source_id, valid_from, value, imported_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (subject_id, name, source_id, valid_from) DO UPDATE SET value = excluded.value, imported_at = excluded.imported_at`,
  );
  for (const { row, individual } of matched) {
    const values: [string, AttributeValue | null][] = [...row.values];
    if (row.place) {
      const place = places.resolve(row.place.postcode, row.place.communeCode);
      if (!place.ok) {
        if (report.unresolvedPlaces.count++ < listed) report.unresolvedPlaces.rows.push({ row: row.where, code: place.code, message: place.message });
      } else {
        values.push(...place.attributes);
        if (place.flagged && report.flaggedPlaces.count++ < listed) report.flaggedPlaces.rows.push({ row: row.where, ...place.flagged });
      }
    }
    let conflicting = false;
    for (const [name, value] of values) {
      store.run(individual, name, source.id, row.validFrom, value === null ? null : JSON.stringify(value), importedAt);
      if (value === null) continue;
      report.values += 1;
      const winning = higher.winnerAt(individual, name, row.validFrom);
      if (winning === null || same(winning.value, value)) continue;
      conflicting = true;
      if (report.conflicting.rows.length < listed) report.conflicting.rows.push({ row: row.where, individual, attribute: name, value, winning });
    }
    if (conflicting) report.conflicting.count += 1;
  }
  return report;
}
