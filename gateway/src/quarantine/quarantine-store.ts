import type { QuarantineReason } from '@parcours/contracts';
import type { Database } from '../store/database.js';

/** A message that was not accepted, kept with its raw payload so that it can be inspected or replayed. */
export interface QuarantineEntry {
  receivedAt: number;
  topic: string;
  deviceId: string | null;
  clientId: string | null;
  reason: QuarantineReason;
  detail: string;
  payload: Buffer;
}

export interface StoredQuarantineEntry extends QuarantineEntry {
  id: number;
}

interface QuarantineRow {
  id: number; received_at: number; topic: string; device_id: string | null; client_id: string | null;
  reason: QuarantineReason; detail: string; payload: Buffer;
}

export class QuarantineStore {
  constructor(private readonly db: Database) {}

  /** Appends inside the caller's transaction. */
  append(entries: readonly QuarantineEntry[]): void {
    const insert = this.db.prepare(
      'INSERT INTO quarantine (received_at, topic, device_id, client_id, reason, detail, payload) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    for (const e of entries) insert.run(e.receivedAt, e.topic, e.deviceId, e.clientId, e.reason, e.detail, e.payload);
  }

  list(filter: { reason?: QuarantineReason; deviceId?: string; limit: number; offset: number }): StoredQuarantineEntry[] {
    return this.db
      .prepare<[object], QuarantineRow>(
        `SELECT * FROM quarantine WHERE (@reason IS NULL OR reason = @reason) AND (@device IS NULL OR device_id = @device)
         ORDER BY id DESC LIMIT @limit OFFSET @offset`,
      )
      .all({ reason: filter.reason ?? null, device: filter.deviceId ?? null, limit: filter.limit, offset: filter.offset })
      .map((r) => ({ id: r.id, receivedAt: r.received_at, topic: r.topic, deviceId: r.device_id, clientId: r.client_id, reason: r.reason, detail: r.detail, payload: r.payload }));
  }

  countByReason(): Record<string, number> {
    const rows = this.db.prepare<[], { reason: string; n: number }>('SELECT reason, COUNT(*) AS n FROM quarantine GROUP BY reason').all();
    return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
  }
}
