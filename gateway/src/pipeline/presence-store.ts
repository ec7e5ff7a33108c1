import type { DevicePresence, StatusPayload } from '@parcours/contracts';
import type { Database, Statement } from '../store/database.js';

export interface PresenceChange {
  deviceId: string;
  status: StatusPayload;
  at: number;
}

/**
 * The last `online`/`offline` state of each device, from its retained status and last will, and a
 * `device_status` event for each change (a repeated status, such as a retained one resent, is not one).
 */
export class PresenceStore {
  private upsert: Statement | null = null;
  private record: Statement | null = null;

  constructor(private readonly db: Database) {}

  /** Applies inside the caller's transaction (every group commit: prepared once). */
  apply(changes: readonly PresenceChange[]): void {
    if (changes.length === 0) return;
    this.upsert ??= this.db.prepare(
      `INSERT INTO device_presence (device_id, status, since) VALUES (?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET status = excluded.status, since = excluded.since WHERE status <> excluded.status`,
    );
    this.record ??= this.db.prepare('INSERT INTO device_status_events (device_id, status, at) VALUES (?, ?, ?)');
    const { upsert, record } = this;
    for (const c of changes) {
      if (upsert.run(c.deviceId, c.status, c.at).changes === 1) record.run(c.deviceId, c.status, c.at);
    }
  }

  countOnline(): number {
    return this.db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM device_presence WHERE status = 'online'").get()!.n;
  }

  /** The device's current presence and its `limit` latest changes. */
  get(deviceId: string, limit: number): DevicePresence {
    const current = this.db
      .prepare<[string], { status: StatusPayload; since: number }>('SELECT status, since FROM device_presence WHERE device_id = ?')
      .get(deviceId);
    const changes = this.db
      .prepare<[string, number], { status: StatusPayload; at: number }>(
        'SELECT status, at FROM device_status_events WHERE device_id = ? ORDER BY id DESC LIMIT ?',
      )
      .all(deviceId, limit);
    return { deviceId, status: current?.status ?? null, since: current?.since ?? null, changes };
  }
}
