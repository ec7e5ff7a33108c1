import type { AttributeProvenance, AttributeValue, SubjectAttributes } from '@parcours/contracts';
import type { Database } from '../store/database.js';

type ValueRow = [name: string, source: string, validFrom: number, value: string | null, importedAt: number];

/**
 * A subject's attributes at `at`: of each source, its latest value from on or before `at` (a null one: the
 * source no longer gives the attribute); the most trusted source's value wins, the others are listed as
 * overridden, most trusted first.
 */
export function attributesAt(db: Database, ranks: ReadonlyMap<string, number>, subjectId: string, at: number): SubjectAttributes['attributes'] {
  const rows = db
    .prepare<[string, number], ValueRow>(
      'SELECT name, source_id, valid_from, value, imported_at FROM attribute_values WHERE subject_id = ? AND valid_from <= ? ORDER BY name, source_id, valid_from',
    )
    .raw()
    .all(subjectId, at);
  const latest = new Map<string, Map<string, ValueRow>>();
  for (const row of rows) {
    let bySource = latest.get(row[0]);
    if (!bySource) latest.set(row[0], (bySource = new Map()));
    bySource.set(row[1], row);
  }
  const attributes: SubjectAttributes['attributes'] = {};
  for (const [name, bySource] of latest) {
    const held: AttributeProvenance[] = [...bySource.values()]
      .filter((row) => row[3] !== null && ranks.has(row[1]))
      .sort((a, b) => ranks.get(a[1])! - ranks.get(b[1])!)
      .map(([, source, validFrom, value, importedAt]) => ({ value: JSON.parse(value!) as AttributeValue, source, validFrom, importedAt }));
    const [winner, ...overridden] = held;
    if (winner) attributes[name] = { ...winner, overridden };
  }
  return attributes;
}

/**
 * Every individual's winning values at `at`, in one ordered scan of the table's primary key (subject,
 * attribute, source, date): within an attribute, a source's last row on or before `at` is its latest, and
 * the best-ranked source's that is not null wins. Only the winners' values are parsed.
 */
export function winnersAt(db: Database, ranks: ReadonlyMap<string, number>, at: number): Map<string, Record<string, AttributeValue>> {
  const winners = new Map<string, Record<string, AttributeValue>>();
  const scan = db
    .prepare<[number], [subject: string, name: string, source: string, value: string | null]>(
      'SELECT subject_id, name, source_id, value FROM attribute_values WHERE valid_from <= ? ORDER BY subject_id, name, source_id, valid_from',
    )
    .raw();
  let subject = '';
  let name = '';
  let record: Record<string, AttributeValue> = {};
  // The attribute in hand: the best value so far, and the source whose rows are being read.
  let best: string | null = null;
  let bestRank = Number.POSITIVE_INFINITY;
  let source = '';
  let sourceValue: string | null = null;
  const settleSource = () => {
    const rank = ranks.get(source);
    if (sourceValue !== null && rank !== undefined && rank < bestRank) {
      best = sourceValue;
      bestRank = rank;
    }
  };
  const settleAttribute = () => {
    settleSource();
    if (best !== null) record[name] = JSON.parse(best) as AttributeValue;
    best = null;
    bestRank = Number.POSITIVE_INFINITY;
  };
  for (const [rowSubject, rowName, rowSource, value] of scan.iterate(at)) {
    if (rowSubject !== subject || rowName !== name) {
      if (subject !== '') settleAttribute();
      if (rowSubject !== subject) {
        if (subject !== '' && Object.keys(record).length > 0) winners.set(subject, record);
        subject = rowSubject;
        record = {};
      }
      name = rowName;
      source = rowSource;
    } else if (rowSource !== source) {
      settleSource();
      source = rowSource;
    }
    sourceValue = value;
  }
  if (subject !== '') {
    settleAttribute();
    if (Object.keys(record).length > 0) winners.set(subject, record);
  }
  return winners;
}
