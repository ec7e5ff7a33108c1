import type { Database } from './database.js';

/** Rows of a table with a `received_at` column (the log, the quarantine) received at or after `since`, by the UTC minute they were received in (its start, in ms). */
export function receivedPerMinute(db: Database, table: 'events' | 'quarantine', since: number): Map<number, number> {
  const rows = db
    .prepare<[number], { minute: number; n: number }>(
      `SELECT received_at / 60000 * 60000 AS minute, COUNT(*) AS n FROM ${table} WHERE received_at >= ? GROUP BY minute`,
    )
    .all(since);
  return new Map(rows.map((r) => [r.minute, r.n]));
}
