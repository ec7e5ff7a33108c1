import type { AttributeValue } from '@parcours/contracts';
import type { Database } from '../store/database.js';

interface Entry {
  rank: number;
  source: string;
  validFrom: number;
  value: AttributeValue | null;
}

/**
 * The values that sources ranked above an importing one give the individuals it names, read once before
 * the import: each row is then checked against them in memory.
 */
export class HigherValues {
  /** Per subject, per attribute: entries by rank, then latest first. */
  private readonly bySubject = new Map<string, Map<string, Entry[]>>();

  /** Reads, of the sources ranked above `below`, their values of these attributes for these subjects (one query, driven by the subjects). */
  constructor(db: Database, ranks: ReadonlyMap<string, number>, below: number, subjects: ReadonlySet<string>, names: ReadonlySet<string>) {
    const above = [...ranks].filter(([, rank]) => rank < below).map(([source]) => source);
    if (above.length === 0 || subjects.size === 0 || names.size === 0) return;
    const read = db
      .prepare<string[], [string, string, string, number, string | null]>(
        `SELECT a.subject_id, a.name, a.source_id, a.valid_from, a.value
         FROM json_each(?) AS s CROSS JOIN attribute_values AS a ON a.subject_id = s.value
         WHERE a.name IN (SELECT value FROM json_each(?)) AND a.source_id IN (${above.map(() => '?').join(', ')})`,
      )
      .raw();
    for (const [subject, name, source, validFrom, value] of read.iterate(JSON.stringify([...subjects]), JSON.stringify([...names]), ...above)) {
      let byName = this.bySubject.get(subject);
      if (!byName) this.bySubject.set(subject, (byName = new Map()));
      let entries = byName.get(name);
      if (!entries) byName.set(name, (entries = []));
      entries.push({ rank: ranks.get(source)!, source, validFrom, value: value === null ? null : (JSON.parse(value) as AttributeValue) });
    }
    for (const byName of this.bySubject.values()) for (const entries of byName.values()) entries.sort((a, b) => a.rank - b.rank || b.validFrom - a.validFrom);
  }

  /** The value that wins above the importing source for this individual and attribute at `at`, if any. */
  winnerAt(subject: string, name: string, at: number): { source: string; value: AttributeValue } | null {
    const entries = this.bySubject.get(subject)?.get(name);
    if (!entries) return null;
    let withdrawnRank = -1;
    for (const entry of entries) {
      if (entry.rank === withdrawnRank || entry.validFrom > at) continue;
      // The first entry of a rank at or before `at` is that source's latest.
      if (entry.value !== null) return { source: entry.source, value: entry.value };
      withdrawnRank = entry.rank;
    }
    return null;
  }
}
