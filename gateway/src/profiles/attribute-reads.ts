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

type Entry = [name: string, source: string, validFrom: number, value: AttributeValue | null];

const before = (a: Entry, b: Entry) => a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] <= b[2])));

/**
 * Every individual's winning values at `at`, of the attributes named (all when none are), in one scan of
 * the table's primary key: SQLite gathers each subject's rows into one JSON array (a row per subject crosses
 * into JavaScript, not one per value), then within each attribute a source's last row is its latest, and
 * the best-ranked source's that is not null wins.
 */
export function winnersAt(
  db: Database,
  ranks: ReadonlyMap<string, number>,
  at: number,
  names?: readonly string[],
): Map<string, Record<string, AttributeValue>> {
  const winners = new Map<string, Record<string, AttributeValue>>();
  if (names?.length === 0) return winners;
  // The names narrow what is gathered, not what is scanned: the key starts with the subject.
  const named = names === undefined ? '' : ' AND name IN (SELECT value FROM json_each(?))';
  const scan = db
    .prepare<(number | string)[], [subject: string, entries: string]>(
      `SELECT subject_id, json_group_array(json_array(name, source_id, valid_from, json(value))) FROM attribute_values WHERE valid_from <= ?${named} GROUP BY subject_id`,
    )
    .raw();
  for (const [subject, json] of scan.iterate(...(names === undefined ? [at] : [at, JSON.stringify(names)]))) {
    const entries = JSON.parse(json) as Entry[];
    // The scan gathers rows in key order; SQLite does not promise it, so it is checked (cheaply) rather than assumed.
    if (!entries.every((entry, i) => i === 0 || before(entries[i - 1]!, entry))) entries.sort((a, b) => (before(a, b) ? -1 : 1));
    const record: Record<string, AttributeValue> = {};
    let found = false;
    for (let i = 0; i < entries.length; ) {
      const name = entries[i]![0];
      let best: AttributeValue | null = null;
      let bestRank = Number.POSITIVE_INFINITY;
      while (i < entries.length && entries[i]![0] === name) {
        const source = entries[i]![1];
        let latest = entries[i]!;
        while (i < entries.length && entries[i]![0] === name && entries[i]![1] === source) latest = entries[i++]!;
        const rank = ranks.get(source);
        if (latest[3] !== null && rank !== undefined && rank < bestRank) {
          best = latest[3];
          bestRank = rank;
        }
      }
      if (best !== null) {
        record[name] = best;
        found = true;
      }
    }
    if (found) winners.set(subject, record);
  }
  return winners;
}
