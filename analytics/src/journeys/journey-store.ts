import type { Journey } from '@parcours/contracts';
import { statementCache, type Database } from '@parcours/gateway';
import { markStaleDays, markStaleRows } from '../aggregates/stale-days.js';
import type { PendingJourney } from './journey-builder.js';

interface JourneyRow {
  id: string;
  subject_id: string;
  subject_kind: Journey['subjectKind'];
  subject_type: string | null;
  start: number;
  end: number;
  duration_s: number;
  steps: number;
  path: string;
  sessions: string;
}

const toJourney = (r: JourneyRow): Journey => ({
  id: r.id,
  subjectId: r.subject_id,
  subjectKind: r.subject_kind,
  subjectType: r.subject_type,
  start: r.start,
  end: r.end,
  durationS: r.duration_s,
  steps: r.steps,
  path: r.path,
  sessions: JSON.parse(r.sessions) as string[],
});

/** Closed journeys keyed by their stable id (a re-derivation replaces, never adds), and the pending ones. */
export class JourneyStore {
  /** Statements compiled once: re-derivations run them per device and per subject. */
  private readonly prepare: Database['prepare'];

  constructor(private readonly db: Database) {
    this.prepare = statementCache(db);
  }

  /** Saves closed journeys and the pending state; called inside the sessions' transaction. */
  save(closed: readonly Journey[], pending: readonly PendingJourney[]): void {
    this.insert(closed);
    this.db.exec('DELETE FROM open_journeys');
    const saveOpen = this.prepare('INSERT INTO open_journeys (subject_id, state) VALUES (?, ?)');
    for (const p of pending) saveOpen.run(p.subjectId, JSON.stringify(p));
  }

  /** Subjects whose journeys are to be re-derived from a device time (late records); called inside the sessions' transaction. */
  addRederivations(rows: ReadonlyMap<string, number>): void {
    const upsert = this.prepare(
      'INSERT INTO journey_rederivations (subject_id, from_ts) VALUES (?, ?) ON CONFLICT (subject_id) DO UPDATE SET from_ts = MIN(from_ts, excluded.from_ts)',
    );
    for (const [subjectId, from] of rows) upsert.run(subjectId, from);
  }

  listRederivations(): { subjectId: string; from: number }[] {
    return this.prepare<[], { subject_id: string; from_ts: number }>('SELECT subject_id, from_ts FROM journey_rederivations')
      .all()
      .map((r) => ({ subjectId: r.subject_id, from: r.from_ts }));
  }

  /** Ends a subject's re-derivation: its journeys starting in `[from, to]` replaced, its pending journey set, in one transaction. */
  settle(subjectId: string, from: number, to: number, journeys: readonly Journey[], pending: PendingJourney | null): void {
    this.settleAll([{ subjectId, from, to, journeys, pending }]);
  }

  /** `settle` for many subjects in one transaction (a batch re-derivation settles thousands). */
  settleAll(settled: readonly { subjectId: string; from: number; to: number; journeys: readonly Journey[]; pending: PendingJourney | null }[]): void {
    this.db.transaction(() => {
      for (const { subjectId, from, to, journeys, pending } of settled) {
        this.replace(subjectId, from, to, journeys);
        this.prepare('DELETE FROM open_journeys WHERE subject_id = ?').run(subjectId);
        if (pending) this.prepare('INSERT INTO open_journeys (subject_id, state) VALUES (?, ?)').run(subjectId, JSON.stringify(pending));
        this.prepare('DELETE FROM journey_rederivations WHERE subject_id = ?').run(subjectId);
      }
    })();
  }

  pendingOf(subjectId: string): PendingJourney | null {
    const row = this.prepare<[string], { state: string }>('SELECT state FROM open_journeys WHERE subject_id = ?').get(subjectId);
    return row ? (JSON.parse(row.state) as PendingJourney) : null;
  }

  loadPending(): PendingJourney[] {
    return this.prepare<[], { state: string }>('SELECT state FROM open_journeys')
      .all()
      .map((r) => JSON.parse(r.state) as PendingJourney);
  }

  /** Journeys of a subject starting in `[from, to)`, in start order. */
  listForSubject(subjectId: string, from: number, to: number, limit: number): Journey[] {
    return this.db
      .prepare<[string, number, number, number], JourneyRow>('SELECT * FROM journeys WHERE subject_id = ? AND start >= ? AND start < ? ORDER BY start LIMIT ?')
      .all(subjectId, from, to, limit)
      .map(toJourney);
  }

  /** Every journey starting in `[from, to)`, by subject then start. */
  listInRange(from: number, to: number): Journey[] {
    return this.db
      .prepare<[number, number], JourneyRow>('SELECT * FROM journeys WHERE start >= ? AND start < ? ORDER BY subject_id, start')
      .all(from, to)
      .map(toJourney);
  }

  /** The subject's latest closed journey (journeys of a subject never overlap: it also ends last). */
  latestFor(subjectId: string): Journey | null {
    const row = this.prepare<[string], JourneyRow>('SELECT * FROM journeys WHERE subject_id = ? ORDER BY start DESC LIMIT 1').get(subjectId);
    return row ? toJourney(row) : null;
  }

  /** The earliest start of the subject's journeys still joinable from `from` (ending at or after `from - gapMs`) and starting before `to`. */
  earliestTouching(subjectId: string, from: number, to: number, gapMs: number): number | null {
    const row = this.db
      .prepare<[string, number, number], { start: number | null }>('SELECT MIN(start) AS start FROM journeys WHERE subject_id = ? AND end >= ? AND start < ?')
      .get(subjectId, from - gapMs, to);
    return row?.start ?? null;
  }

  /** Replaces the subject's journeys starting in `[from, to]` by the given ones, in one transaction. */
  replace(subjectId: string, from: number, to: number, journeys: readonly Journey[]): void {
    this.db.transaction(() => {
      markStaleRows(this.db, 'journeys', 'subject_id = ? AND start >= ? AND start <= ?', subjectId, from, to);
      this.prepare('DELETE FROM journeys WHERE subject_id = ? AND start >= ? AND start <= ?').run(subjectId, from, to);
      this.insert(journeys);
    })();
  }

  /** Inserts or replaces (same id, hence same start and day) journeys, marking their days stale for the aggregates. */
  private insert(journeys: readonly Journey[]): void {
    markStaleDays(
      this.db,
      journeys.map((j) => j.start),
    );
    const upsert = this.prepare(
      `INSERT OR REPLACE INTO journeys (id, subject_id, subject_kind, subject_type, start, end, duration_s, steps, path, sessions)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const j of journeys)
      upsert.run(j.id, j.subjectId, j.subjectKind, j.subjectType, j.start, j.end, j.durationS, j.steps, j.path, JSON.stringify(j.sessions));
  }
}
