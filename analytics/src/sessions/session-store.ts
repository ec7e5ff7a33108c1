import type { UsageSession } from '@parcours/contracts';
import { statementCache, type Database } from '@parcours/gateway';
import { epochWeekOffset, weekMs } from '../calendar.js';
import { markStaleDays, markStaleRows } from '../aggregates/stale-days.js';
import type { DeviceMemory, DeviceState, OpenSession } from './session-builder.js';

interface SessionRow {
  id: string;
  device_id: string;
  device_type: string;
  subject_id: string | null;
  subject_kind: UsageSession['subjectKind'];
  subject_type: string | null;
  actor: string | null;
  inferred_actor: string | null;
  inference_confidence: number | null;
  start: number;
  end: number;
  duration_s: number;
  events: number;
  closed_by: UsageSession['closedBy'];
}

const toSession = (r: SessionRow): UsageSession => ({
  id: r.id,
  deviceId: r.device_id,
  deviceType: r.device_type,
  subjectId: r.subject_id,
  subjectKind: r.subject_kind,
  subjectType: r.subject_type,
  actor: r.actor,
  inferredActor: r.inferred_actor,
  inferenceConfidence: r.inference_confidence,
  start: r.start,
  end: r.end,
  durationS: r.duration_s,
  events: r.events,
  closedBy: r.closed_by,
});

/** What one batch of the streaming job changes in the store. */
export interface SessionBatchState {
  closed: readonly UsageSession[];
  open: readonly OpenSession[];
  /** The device states that changed: frontiers, and what is kept of closed sessions. */
  devices: readonly DeviceState[];
  /** The latest trusted device time seen, which closes idle sessions. */
  watermark: number;
  /** Devices re-derived from `from` (late records): their stored sessions from there are replaced by `closed`. */
  rederived: readonly { deviceId: string; from: number }[];
}

/** Closed sessions keyed by their stable id (a re-derivation replaces, never adds), and the open ones. */
export class SessionStore {
  /** Statements compiled once: re-derivations run them per device and per subject. */
  private readonly prepare: Database['prepare'];

  constructor(private readonly db: Database) {
    this.prepare = statementCache(db);
  }

  /**
   * Saves a batch of the streaming job in one transaction, with `also` (an offset commit) inside it: the
   * sessions of re-derived devices from their re-derivation's start are deleted, then the closed sessions
   * (re-derived ones included) inserted, the open state replaced and the changed device states updated.
   */
  save(batch: SessionBatchState, also: () => void): void {
    const saveOpen = this.prepare('INSERT INTO open_sessions (device_id, state) VALUES (?, ?)');
    const removeFrom = this.prepare('DELETE FROM usage_sessions WHERE device_id = ? AND start >= ?');
    this.db.transaction(() => {
      for (const { deviceId, from } of batch.rederived) {
        markStaleRows(this.db, 'usage_sessions', 'device_id = ? AND start >= ?', deviceId, from);
        removeFrom.run(deviceId, from);
      }
      this.insert(batch.closed);
      this.db.exec('DELETE FROM open_sessions');
      for (const s of batch.open) saveOpen.run(s.deviceId, JSON.stringify(s));
      this.saveDevices(batch.devices);
      if (Number.isFinite(batch.watermark)) this.prepare('INSERT OR REPLACE INTO session_watermark (id, watermark) VALUES (1, ?)').run(batch.watermark);
      also();
    })();
  }

  /** Replaces the open sessions and the states of some devices (a re-attribution of their state), in one transaction. */
  saveState(open: readonly OpenSession[], devices: readonly DeviceState[]): void {
    const saveOpen = this.prepare('INSERT OR REPLACE INTO open_sessions (device_id, state) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const s of open) saveOpen.run(s.deviceId, JSON.stringify(s));
      this.saveDevices(devices);
    })();
  }

  private saveDevices(devices: readonly DeviceState[]): void {
    const saveDevice = this.prepare('INSERT OR REPLACE INTO device_frontiers (device_id, frontier, memory) VALUES (?, ?, ?)');
    for (const { deviceId, frontier, ...memory } of devices)
      saveDevice.run(deviceId, frontier, memory.idleClosed || memory.dropped ? JSON.stringify(memory) : null);
  }

  loadWatermark(): number {
    return this.prepare<[], { watermark: number }>('SELECT watermark FROM session_watermark').get()?.watermark ?? Number.NEGATIVE_INFINITY;
  }

  loadDevices(): DeviceState[] {
    return this.prepare<[], { device_id: string; frontier: number; memory: string | null }>('SELECT device_id, frontier, memory FROM device_frontiers')
      .all()
      .map((r) => ({ deviceId: r.device_id, frontier: r.frontier, ...(r.memory ? (JSON.parse(r.memory) as DeviceMemory) : {}) }));
  }

  /** The device's latest closed session starting at or before `at`. */
  latestStartingBy(deviceId: string, at: number): UsageSession | null {
    const row = this.prepare<[string, number], SessionRow>('SELECT * FROM usage_sessions WHERE device_id = ? AND start <= ? ORDER BY start DESC LIMIT 1').get(
      deviceId,
      at,
    );
    return row ? toSession(row) : null;
  }

  /** Replaces the sessions of these devices (or all) starting in `[from, to)` by the given ones, in one transaction. */
  replace(devices: ReadonlySet<string> | 'all', from: number, to: number, sessions: readonly UsageSession[]): void {
    const remove = this.prepare('DELETE FROM usage_sessions WHERE device_id = ? AND start >= ? AND start < ?');
    this.db.transaction(() => {
      if (devices === 'all') {
        markStaleRows(this.db, 'usage_sessions', 'start >= ? AND start < ?', from, to);
        this.prepare('DELETE FROM usage_sessions WHERE start >= ? AND start < ?').run(from, to);
      } else {
        for (const device of devices) {
          markStaleRows(this.db, 'usage_sessions', 'device_id = ? AND start >= ? AND start < ?', device, from, to);
          remove.run(device, from, to);
        }
      }
      this.insert(sessions);
    })();
  }

  /** Inserts or replaces (same id, hence same start and day) sessions, marking their days stale for the aggregates. */
  private insert(sessions: readonly UsageSession[]): void {
    markStaleDays(
      this.db,
      sessions.map((s) => s.start),
    );
    const upsert = this.prepare(
      `INSERT OR REPLACE INTO usage_sessions (id, device_id, device_type, subject_id, subject_kind, subject_type, actor, inferred_actor,
         inference_confidence, start, end, duration_s, events, closed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const s of sessions) {
      upsert.run(
        s.id,
        s.deviceId,
        s.deviceType,
        s.subjectId,
        s.subjectKind,
        s.subjectType,
        s.actor,
        s.inferredActor,
        s.inferenceConfidence,
        s.start,
        s.end,
        s.durationS,
        s.events,
        s.closedBy,
      );
    }
  }

  loadOpen(): OpenSession[] {
    return this.prepare<[], { state: string }>('SELECT state FROM open_sessions')
      .all()
      .map((r) => JSON.parse(r.state) as OpenSession);
  }

  /** Open sessions of a device, or of a subject (owner, or reported actor), starting in `[from, to)`, by start. */
  listOpen(scope: { deviceId: string } | { subjectId: string }, from: number, to: number): OpenSession[] {
    const device = 'deviceId' in scope ? scope.deviceId : null;
    const subject = 'subjectId' in scope ? scope.subjectId : null;
    return this.prepare<[object], { state: string }>(
      `SELECT state FROM open_sessions WHERE (@device IS NULL OR device_id = @device)
         AND (@subject IS NULL OR json_extract(state, '$.subjectId') = @subject OR json_extract(state, '$.actor') = @subject)`,
    )
      .all({ device, subject })
      .map((r) => JSON.parse(r.state) as OpenSession)
      .filter((s) => s.start >= from && s.start < to)
      .sort((a, b) => a.start - b.start);
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

  /** Sessions that count in the journeys of a subject (its own, and those it used as the reported actor) starting at or after `from`. */
  listCountedFor(subjectId: string, from: number): UsageSession[] {
    return this.db
      .prepare<[object], SessionRow>('SELECT * FROM usage_sessions WHERE (subject_id = @subject OR actor = @subject) AND start >= @from ORDER BY start')
      .all({ subject: subjectId, from })
      .map(toSession);
  }

  listForDevice(deviceId: string, from: number, to: number, limit: number): UsageSession[] {
    return this.db
      .prepare<[string, number, number, number], SessionRow>(
        'SELECT * FROM usage_sessions WHERE device_id = ? AND start >= ? AND start < ? ORDER BY start LIMIT ?',
      )
      .all(deviceId, from, to, limit)
      .map(toSession);
  }

  /** The starts of the oldest and newest closed sessions, or null when there are none. */
  startSpan(): { from: number; to: number } | null {
    const row = this.db.prepare<[], { lo: number | null; hi: number | null }>('SELECT MIN(start) AS lo, MAX(start) AS hi FROM usage_sessions').get();
    return row?.lo == null || row.hi == null ? null : { from: row.lo, to: row.hi };
  }

  /** Every closed session starting in `[from, to)`, by device then start (the accuracy report reads them all). */
  listInRange(from: number, to: number): UsageSession[] {
    return this.db
      .prepare<[number, number], SessionRow>('SELECT * FROM usage_sessions WHERE start >= ? AND start < ? ORDER BY device_id, start')
      .all(from, to)
      .map(toSession);
  }

  /**
   * Starts of the sessions of these device types in `[from, to)`, per subject of a kind they count for
   * (as `listCountedFor`: owner; for individuals also the reported actor), for funnels.
   */
  countedStarts(
    kind: 'individual' | 'collective',
    deviceTypes: readonly string[],
    from: number,
    to: number,
  ): { subjectId: string; deviceType: string; start: number }[] {
    const where = 'device_type IN (SELECT value FROM json_each(@types)) AND start >= @from AND start < @to';
    // UNION (not ALL): a session whose actor is also its owner counts once.
    return this.db
      .prepare<[object], { subject: string; device_type: string; start: number }>(
        `SELECT id, subject_id AS subject, device_type, start FROM usage_sessions WHERE subject_kind = @kind AND subject_id IS NOT NULL AND ${where}
         UNION SELECT id, actor, device_type, start FROM usage_sessions WHERE @kind = 'individual' AND actor IS NOT NULL AND ${where}`,
      )
      .all({ kind, types: JSON.stringify(deviceTypes), from, to })
      .map((r) => ({ subjectId: r.subject, deviceType: r.device_type, start: r.start }));
  }

  /**
   * For retention, in one grouped query: the weeks in `[lowWeek, highWeek]` in which subjects of a kind
   * had a counted session start (weeks numbered as `weekOf`: ISO weeks from the epoch's), each with the
   * subject's first such week ever.
   */
  activeWeeks(kind: 'individual' | 'collective', lowWeek: number, highWeek: number): { subjectId: string; week: number; first: number }[] {
    return this.db
      .prepare<[object], { subject: string; week: number; first: number }>(
        `WITH counted (subject, start) AS (
           SELECT subject_id, start FROM usage_sessions WHERE subject_kind = @kind AND subject_id IS NOT NULL
           UNION ALL SELECT actor, start FROM usage_sessions WHERE @kind = 'individual' AND actor IS NOT NULL),
         weeks AS (SELECT subject, (start + ${epochWeekOffset}) / ${weekMs} AS week FROM counted GROUP BY subject, week),
         spans AS (SELECT subject, week, MIN(week) OVER (PARTITION BY subject) AS first FROM weeks)
         SELECT subject, week, first FROM spans WHERE week BETWEEN @low AND @high`,
      )
      .all({ kind, low: lowWeek, high: highWeek })
      .map((r) => ({ subjectId: r.subject, week: r.week, first: r.first }));
  }

  /** Sessions started in `[from, to)` that count for an individual: on their own devices, or as the reported actor. */
  countOf(individualId: string, from: number, to: number): number {
    return this.prepare<[object], { n: number }>(
      `SELECT COUNT(*) AS n FROM (
         SELECT id FROM usage_sessions WHERE subject_id = @person AND subject_kind = 'individual' AND start >= @from AND start < @to
         UNION SELECT id FROM usage_sessions WHERE actor = @person AND start >= @from AND start < @to)`,
    ).get({ person: individualId, from, to })!.n;
  }

  /** Sessions of a device type started in `[from, to)` per individual, counted as retention counts them: on their own devices, or as the actor. */
  countPerIndividual(deviceType: string, from: number, to: number): Map<string, number> {
    const rows = this.prepare<[object], { person: string; n: number }>(
      `SELECT person, COUNT(*) AS n FROM (
         SELECT subject_id AS person FROM usage_sessions
           WHERE device_type = @type AND subject_kind = 'individual' AND start >= @from AND start < @to
         UNION ALL SELECT actor FROM usage_sessions
           WHERE device_type = @type AND actor IS NOT NULL AND (subject_id IS NULL OR actor <> subject_id) AND start >= @from AND start < @to)
       GROUP BY person`,
    ).all({ type: deviceType, from, to });
    return new Map(rows.map((r) => [r.person, r.n]));
  }

  count(): number {
    return this.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM usage_sessions').get()!.n;
  }
}
