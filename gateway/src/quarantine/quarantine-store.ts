import { errorCodes, type QuarantineReason } from '@parcours/contracts';
import type { Database } from '../store/database.js';

/** A message that was not accepted, kept with its raw payload so that it can be inspected or replayed. */
export interface QuarantineEntry {
  receivedAt: number;
  topic: string;
  deviceId: string | null;
  clientId: string | null;
  /** The authenticated MQTT username, so that a replay is judged as the original message was. */
  username: string | null;
  reason: QuarantineReason;
  detail: string;
  payload: Buffer;
}

export interface StoredQuarantineEntry extends QuarantineEntry {
  id: number;
}

export interface QuarantineFilter {
  ids?: number[] | undefined;
  reason?: QuarantineReason | undefined;
  deviceId?: string | undefined;
}

interface QuarantineRow {
  id: number;
  received_at: number;
  topic: string;
  device_id: string | null;
  client_id: string | null;
  username: string | null;
  reason: QuarantineReason;
  detail: string;
  payload: Buffer;
}

const toEntry = (r: QuarantineRow): StoredQuarantineEntry => ({
  id: r.id,
  receivedAt: r.received_at,
  topic: r.topic,
  deviceId: r.device_id,
  clientId: r.client_id,
  username: r.username,
  reason: r.reason,
  detail: r.detail,
  payload: r.payload,
});

const where =
  '(@reason IS NULL OR reason = @reason) AND (@device IS NULL OR device_id = @device) AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))';
const params = (f: QuarantineFilter) => ({ reason: f.reason ?? null, device: f.deviceId ?? null, ids: f.ids ? JSON.stringify(f.ids) : null });

/** Rejected messages, bounded: past `maxEntries` the oldest go, and `append` says how many. */
export class QuarantineStore {
  /** Entries held, counted once and then kept up to date, so that staying bounded costs no full count per write. */
  private size: number | null = null;

  constructor(
    private readonly db: Database,
    private readonly maxEntries: number,
  ) {}

  /** Appends (inside the caller's transaction, if any); returns how many of the oldest entries were dropped to stay bounded. */
  append(entries: readonly QuarantineEntry[]): number {
    if (entries.length === 0) return 0;
    const before = this.count();
    const insert = this.db.prepare(
      'INSERT INTO quarantine (received_at, topic, device_id, client_id, username, reason, detail, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const e of entries) insert.run(e.receivedAt, e.topic, e.deviceId, e.clientId, e.username, e.reason, e.detail, e.payload);
    this.size = before + entries.length;
    const excess = this.size - this.maxEntries;
    if (excess <= 0) return 0;
    this.db.prepare('DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine ORDER BY id LIMIT ?)').run(excess);
    this.size = this.maxEntries;
    return excess;
  }

  list(filter: QuarantineFilter & { limit: number; offset: number }): StoredQuarantineEntry[] {
    return this.db
      .prepare<[object], QuarantineRow>(`SELECT * FROM quarantine WHERE ${where} ORDER BY id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...params(filter), limit: filter.limit, offset: filter.offset })
      .map(toEntry);
  }

  /**
   * Takes the matching device messages out, oldest first (for a replay, which quarantines again what still
   * fails). Points InfluxDB refused are not device messages: they stay for inspection.
   */
  take(filter: QuarantineFilter, limit: number): StoredQuarantineEntry[] {
    const before = this.count();
    return this.db.transaction(() => {
      const rows = this.db
        .prepare<[object], QuarantineRow>(`SELECT * FROM quarantine WHERE ${where} AND reason <> '${errorCodes.influxRefused}' ORDER BY id LIMIT @limit`)
        .all({ ...params(filter), limit });
      const remove = this.db.prepare('DELETE FROM quarantine WHERE id = ?');
      for (const row of rows) remove.run(row.id);
      this.size = before - rows.length;
      return rows.map(toEntry);
    })();
  }

  /** After a rolled-back transaction the kept count may be wrong: count again on next use. */
  recount(): void {
    this.size = null;
  }

  count(): number {
    this.size ??= this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM quarantine').get()!.n;
    return this.size;
  }

  countByReason(): Record<string, number> {
    const rows = this.db.prepare<[], { reason: string; n: number }>('SELECT reason, COUNT(*) AS n FROM quarantine GROUP BY reason').all();
    return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
  }
}
