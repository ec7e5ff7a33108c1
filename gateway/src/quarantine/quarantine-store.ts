import { createHash } from 'node:crypto';
import { errorCodes, replyQuarantineReasons, type QuarantineReason } from '@parcours/contracts';
import { receivedPerMinute } from '../store/received-per-minute.js';
import type { Database } from '../store/database.js';
import type { KeptPayload } from './kept-payload.js';

/**
 * A message that was not accepted, kept with its raw payload so that it can be inspected or replayed (of an
 * oversized payload, a prefix: see kept-payload.ts).
 */
export interface QuarantineEntry extends KeptPayload {
  receivedAt: number;
  topic: string;
  deviceId: string | null;
  clientId: string | null;
  /** The authenticated MQTT username, so that a replay is judged as the original message was. */
  username: string | null;
  reason: QuarantineReason;
  detail: string;
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
  payload_size: number;
  /** Null for a message stored whole before the hash was kept. */
  payload_sha256: string | null;
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
  payloadSize: r.payload_size,
  payloadSha256: r.payload_sha256 ?? createHash('sha256').update(r.payload).digest('hex'),
});

/** The bytes an entry holds in the store, counted against `maxBytes`. */
const storedBytes = (e: QuarantineEntry) =>
  e.payload.length + Buffer.byteLength(e.topic) + Buffer.byteLength(e.detail) + Buffer.byteLength(e.clientId ?? '') + Buffer.byteLength(e.username ?? '');

const notReplayed = [errorCodes.influxRefused, ...replyQuarantineReasons].map((reason) => `'${reason}'`).join(', ');

const where =
  '(@reason IS NULL OR reason = @reason) AND (@device IS NULL OR device_id = @device) AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))';
const params = (f: QuarantineFilter) => ({ reason: f.reason ?? null, device: f.deviceId ?? null, ids: f.ids ? JSON.stringify(f.ids) : null });

/** Rejected messages, bounded in entries and in bytes: past either the oldest go, and `append` says how many. */
export class QuarantineStore {
  /** Entries held, counted once and then kept up to date, so that staying bounded costs no full count per write. */
  private size: number | null = null;
  /** Bytes held (`stored_bytes`), summed once and then kept up to date likewise. */
  private held: number | null = null;

  constructor(
    private readonly db: Database,
    private readonly limits: { maxEntries: number; maxBytes: number },
  ) {}

  /** Appends (inside the caller's transaction, if any); returns how many of the oldest entries were dropped to stay bounded. */
  append(entries: readonly QuarantineEntry[]): number {
    if (entries.length === 0) return 0;
    let size = this.count();
    let held = this.bytes();
    const insert = this.db.prepare(
      `INSERT INTO quarantine (received_at, topic, device_id, client_id, username, reason, detail, payload, payload_size, payload_sha256, stored_bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const e of entries) {
      const bytes = storedBytes(e);
      insert.run(e.receivedAt, e.topic, e.deviceId, e.clientId, e.username, e.reason, e.detail, e.payload, e.payloadSize, e.payloadSha256, bytes);
      size += 1;
      held += bytes;
    }
    // The oldest go until both bounds hold (the newest entry too, if it alone is larger than maxBytes).
    let dropped = 0;
    let lastDropped: number | null = null;
    if (size > this.limits.maxEntries || held > this.limits.maxBytes) {
      for (const row of this.db.prepare<[], { id: number; stored_bytes: number }>('SELECT id, stored_bytes FROM quarantine ORDER BY id').iterate()) {
        if (size <= this.limits.maxEntries && held <= this.limits.maxBytes) break;
        lastDropped = row.id;
        dropped += 1;
        size -= 1;
        held -= row.stored_bytes;
      }
    }
    if (lastDropped !== null) this.db.prepare('DELETE FROM quarantine WHERE id <= ?').run(lastDropped);
    this.size = size;
    this.held = held;
    return dropped;
  }

  /**
   * The matching entries, newest first, read one at a time, so that a page whose byte budget is spent stops
   * reading. Consume it at once: the store runs nothing else until the loop ends.
   */
  *list(filter: QuarantineFilter & { limit: number; offset: number }): Generator<StoredQuarantineEntry> {
    const rows = this.db
      .prepare<[object], QuarantineRow>(`SELECT * FROM quarantine WHERE ${where} ORDER BY id DESC LIMIT @limit OFFSET @offset`)
      .iterate({ ...params(filter), limit: filter.limit, offset: filter.offset });
    for (const row of rows) yield toEntry(row);
  }

  /**
   * Takes the matching device messages out, oldest first (for a replay, which quarantines again what still
   * fails). Points InfluxDB refused are not device messages, and the replies to prompts the surveys refused were
   * received already (a device's is in the durable log): they stay for inspection.
   */
  take(filter: QuarantineFilter, limit: number): StoredQuarantineEntry[] {
    const before = this.count();
    const heldBefore = this.bytes();
    return this.db.transaction(() => {
      // A message kept truncated can never be accepted: it stays, for inspection.
      const rows = this.db
        .prepare<[object], QuarantineRow & { stored_bytes: number }>(
          `SELECT * FROM quarantine WHERE ${where} AND reason NOT IN (${notReplayed}) AND payload_size = length(payload) ORDER BY id LIMIT @limit`,
        )
        .all({ ...params(filter), limit });
      const remove = this.db.prepare('DELETE FROM quarantine WHERE id = ?');
      for (const row of rows) remove.run(row.id);
      this.size = before - rows.length;
      this.held = heldBefore - rows.reduce((sum, row) => sum + row.stored_bytes, 0);
      return rows.map(toEntry);
    })();
  }

  /** After a rolled-back transaction the kept count and bytes may be wrong: count again on next use. */
  recount(): void {
    this.size = null;
    this.held = null;
  }

  count(): number {
    this.size ??= this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM quarantine').get()!.n;
    return this.size;
  }

  /** Bytes held, as counted against `maxBytes`. */
  bytes(): number {
    this.held ??= this.db.prepare<[], { n: number }>('SELECT COALESCE(SUM(stored_bytes), 0) AS n FROM quarantine').get()!.n;
    return this.held;
  }

  /** Entries received at or after `since` and still held, by the UTC minute they were received in (its start, in ms). */
  countPerMinute(since: number): Map<number, number> {
    return receivedPerMinute(this.db, 'quarantine', since);
  }

  countByReason(): Record<string, number> {
    const rows = this.db.prepare<[], { reason: string; n: number }>('SELECT reason, COUNT(*) AS n FROM quarantine GROUP BY reason').all();
    return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
  }
}
