import type { MemberWeight, WeightingReportView, WeightingScheme } from '@parcours/contracts';
import { type Database, statementCache } from '@parcours/gateway';
import type { StoredInputs } from './scheme-inputs.js';

/** One version of a scheme, its date resolved. */
export interface StoredSchemeVersion {
  id: string;
  version: number;
  /** As parsed from the request (dates and durations in ms), with `at` always set. */
  scheme: WeightingScheme & { at: number };
  createdAt: number;
}

export interface StoredRun {
  version: number;
  ranAt: number;
  report: WeightingReportView;
}

/**
 * Weighting schemes in the embedded store: every version kept as it was made, and each version's last run, its
 * report and one weight per member, replaced together when the version runs again.
 */
export class SchemeStore {
  private readonly prepare: Database['prepare'];

  constructor(private readonly db: Database) {
    this.prepare = statementCache(db);
  }

  /** Writes the next version of the scheme (1 for a new one) and answers its number. */
  addVersion(id: string, scheme: WeightingScheme & { at: number }, now: number): number {
    return this.db.transaction(() => {
      const version = (this.latestVersion(id) ?? 0) + 1;
      this.prepare('INSERT INTO weighting_schemes (scheme_id, version, definition, created_at) VALUES (?, ?, ?, ?)').run(
        id,
        version,
        JSON.stringify(scheme),
        now,
      );
      return version;
    })();
  }

  latestVersion(id: string): number | null {
    return this.prepare<[string], { version: number | null }>('SELECT MAX(version) AS version FROM weighting_schemes WHERE scheme_id = ?').get(id)!.version;
  }

  /** A version of the scheme, the latest when none is named; null when there is no such scheme or version. */
  get(id: string, version?: number): StoredSchemeVersion | null {
    const wanted = version ?? this.latestVersion(id);
    if (wanted === null) return null;
    const row = this.prepare<[string, number], { definition: string; created_at: number }>(
      'SELECT definition, created_at FROM weighting_schemes WHERE scheme_id = ? AND version = ?',
    ).get(id, wanted);
    // Written by `addVersion` from a parsed scheme: read back as it was.
    return row ? { id, version: wanted, scheme: JSON.parse(row.definition) as StoredSchemeVersion['scheme'], createdAt: row.created_at } : null;
  }

  /** Every scheme's latest version, by id. */
  list(): StoredSchemeVersion[] {
    return this.prepare<[], { scheme_id: string }>('SELECT DISTINCT scheme_id FROM weighting_schemes ORDER BY scheme_id')
      .all()
      .map((row) => this.get(row.scheme_id)!);
  }

  /** Every version of the scheme, oldest first, with when it last ran. */
  versions(id: string): { version: number; createdAt: number; ranAt: number | null }[] {
    return this.prepare<[string], { version: number; created_at: number; ran_at: number | null }>(
      `SELECT s.version, s.created_at, r.ran_at FROM weighting_schemes s
       LEFT JOIN weighting_runs r ON r.scheme_id = s.scheme_id AND r.version = s.version
       WHERE s.scheme_id = ? ORDER BY s.version`,
    )
      .all(id)
      .map((row) => ({ version: row.version, createdAt: row.created_at, ranAt: row.ran_at }));
  }

  /** Stores a version's run in one transaction, replacing its previous one. */
  saveRun(id: string, version: number, run: { ranAt: number; report: WeightingReportView; inputs: StoredInputs }, weights: readonly MemberWeight[]): void {
    this.db.transaction(() => {
      this.prepare('DELETE FROM weighting_weights WHERE scheme_id = ? AND version = ?').run(id, version);
      this.prepare('INSERT OR REPLACE INTO weighting_runs (scheme_id, version, ran_at, report, inputs) VALUES (?, ?, ?, ?, ?)').run(
        id,
        version,
        run.ranAt,
        JSON.stringify(run.report),
        JSON.stringify(run.inputs),
      );
      const insert = this.prepare('INSERT INTO weighting_weights (scheme_id, version, individual_id, base_weight, weight) VALUES (?, ?, ?, ?, ?)');
      for (const w of weights) insert.run(id, version, w.individualId, w.baseWeight, w.weight);
    })();
  }

  run(id: string, version: number): StoredRun | null {
    const row = this.prepare<[string, number], { ran_at: number; report: string }>(
      'SELECT ran_at, report FROM weighting_runs WHERE scheme_id = ? AND version = ?',
    ).get(id, version);
    return row ? { version, ranAt: row.ran_at, report: JSON.parse(row.report) as WeightingReportView } : null;
  }

  /** What the version's last run weighted; null if it has not run, or ran before inputs were kept. */
  inputs(id: string, version: number): StoredInputs | null {
    const row = this.prepare<[string, number], { inputs: string | null }>('SELECT inputs FROM weighting_runs WHERE scheme_id = ? AND version = ?').get(
      id,
      version,
    );
    // Written by `saveRun` from the run's own inputs.
    return row?.inputs ? (JSON.parse(row.inputs) as StoredInputs) : null;
  }

  /** A page of a version's weights, by member id, and how many there are. */
  weights(id: string, version: number, limit: number, offset: number): { items: MemberWeight[]; total: number } {
    const items = this.prepare<[string, number, number, number], { individual_id: string; base_weight: number; weight: number }>(
      'SELECT individual_id, base_weight, weight FROM weighting_weights WHERE scheme_id = ? AND version = ? ORDER BY individual_id LIMIT ? OFFSET ?',
    )
      .all(id, version, limit, offset)
      .map((row) => ({ individualId: row.individual_id, baseWeight: row.base_weight, weight: row.weight }));
    const { total } = this.prepare<[string, number], { total: number }>(
      'SELECT COUNT(*) AS total FROM weighting_weights WHERE scheme_id = ? AND version = ?',
    ).get(id, version)!;
    return { items, total };
  }
}
