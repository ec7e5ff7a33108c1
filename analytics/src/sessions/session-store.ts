import type { UsageSession } from '@parcours/contracts';
import type { Database } from '@parcours/gateway';
import type { OpenSession } from './session-builder.js';

interface SessionRow {
  id: string; device_id: string; device_type: string; subject_id: string | null; subject_kind: UsageSession['subjectKind'];
  subject_type: string | null; actor: string | null; inferred_actor: string | null; inference_confidence: number | null; start: number; end: number; duration_s: number; events: number;
  closed_by: UsageSession['closedBy'];
}

const toSession = (r: SessionRow): UsageSession => ({
  id: r.id, deviceId: r.device_id, deviceType: r.device_type, subjectId: r.subject_id, subjectKind: r.subject_kind,
  subjectType: r.subject_type, actor: r.actor, inferredActor: r.inferred_actor, inferenceConfidence: r.inference_confidence, start: r.start, end: r.end, durationS: r.duration_s, events: r.events, closedBy: r.closed_by,
});

/** Closed sessions keyed by their stable id (a re-derivation replaces, never adds), and the open ones. */
export class SessionStore {
  constructor(private readonly db: Database) {}

  /** Saves closed sessions and the open state in one transaction, with `also` (an offset commit) inside it. */
  save(closed: readonly UsageSession[], open: readonly OpenSession[], also: () => void): void {
    const saveOpen = this.db.prepare('INSERT INTO open_sessions (device_id, state) VALUES (?, ?)');
    this.db.transaction(() => {
      this.insert(closed);
      this.db.exec('DELETE FROM open_sessions');
      for (const s of open) saveOpen.run(s.deviceId, JSON.stringify(s));
      also();
    })();
  }

  /** Replaces the sessions of these devices starting in `[from, to)` by the given ones, in one transaction. */
  replace(devices: ReadonlySet<string>, from: number, to: number, sessions: readonly UsageSession[]): void {
    const remove = this.db.prepare('DELETE FROM usage_sessions WHERE device_id = ? AND start >= ? AND start < ?');
    this.db.transaction(() => {
      for (const device of devices) remove.run(device, from, to);
      this.insert(sessions);
    })();
  }

  private insert(sessions: readonly UsageSession[]): void {
    const upsert = this.db.prepare(
      `INSERT OR REPLACE INTO usage_sessions (id, device_id, device_type, subject_id, subject_kind, subject_type, actor, inferred_actor,
         inference_confidence, start, end, duration_s, events, closed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const s of sessions) {
      upsert.run(s.id, s.deviceId, s.deviceType, s.subjectId, s.subjectKind, s.subjectType, s.actor, s.inferredActor, s.inferenceConfidence, s.start, s.end, s.durationS, s.events, s.closedBy);
    }
  }

  loadOpen(): OpenSession[] {
    return this.db.prepare<[], { state: string }>('SELECT state FROM open_sessions').all().map((r) => JSON.parse(r.state) as OpenSession);
  }

  /** Sessions of a subject, or used by that individual as the named actor, starting in `[from, to)`. */
  listForSubject(subjectId: string, from: number, to: number, limit: number): UsageSession[] {
    return this.db
      .prepare<[object], SessionRow>(
        'SELECT * FROM usage_sessions WHERE (subject_id = @subject OR actor = @subject) AND start >= @from AND start < @to ORDER BY start LIMIT @limit',
      )
      .all({ subject: subjectId, from, to, limit })
      .map(toSession);
  }

  /** Sessions that count in the journeys of a subject (its own, and those it used as actor or inferred actor) starting at or after `from`. */
  listCountedFor(subjectId: string, from: number): UsageSession[] {
    return this.db
      .prepare<[object], SessionRow>('SELECT * FROM usage_sessions WHERE (subject_id = @subject OR actor = @subject OR inferred_actor = @subject) AND start >= @from ORDER BY start')
      .all({ subject: subjectId, from })
      .map(toSession);
  }

  listForDevice(deviceId: string, from: number, to: number, limit: number): UsageSession[] {
    return this.db
      .prepare<[string, number, number, number], SessionRow>('SELECT * FROM usage_sessions WHERE device_id = ? AND start >= ? AND start < ? ORDER BY start LIMIT ?')
      .all(deviceId, from, to, limit)
      .map(toSession);
  }

  /** Every closed session starting in `[from, to)`, by device then start (the accuracy report reads them all). */
  listInRange(from: number, to: number): UsageSession[] {
    return this.db
      .prepare<[number, number], SessionRow>('SELECT * FROM usage_sessions WHERE start >= ? AND start < ? ORDER BY device_id, start')
      .all(from, to)
      .map(toSession);
  }

  count(): number {
    return this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM usage_sessions').get()!.n;
  }
}
