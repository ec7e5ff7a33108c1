import type { StatusPayload } from '@parcours/contracts';
import type { Database, Statement } from '../store/database.js';

export interface PresenceChange {
  deviceId: string;
  status: StatusPayload;
  at: number;
}

/** The last `online`/`offline` state of each device, from its retained status and last will. */
export class PresenceStore {
  private upsert: Statement | null = null;

  constructor(private readonly db: Database) {}

  /** Applies inside the caller's transaction (every group commit: prepared once). */
  apply(changes: readonly PresenceChange[]): void {
    if (changes.length === 0) return;
    const upsert = (this.upsert ??= this.db.prepare(
      `INSERT INTO device_presence (device_id, status, since) VALUES (?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET status = excluded.status, since = excluded.since WHERE status <> excluded.status`,
    ));
    for (const c of changes) upsert.run(c.deviceId, c.status, c.at);
  }

  countOnline(): number {
    return this.db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM device_presence WHERE status = 'online'").get()!.n;
  }
}
