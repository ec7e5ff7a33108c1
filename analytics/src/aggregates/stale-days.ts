import type { Database } from '@parcours/gateway';
import { dayMs, dayOf } from '../calendar.js';

/** A day whose aggregates are to be recomputed, and the version of that mark (bumped by every new mark). */
export interface StaleDay {
  day: number;
  version: number;
}

const upsert = 'ON CONFLICT (day) DO UPDATE SET version = version + 1';

/**
 * Marks the UTC days of these instants stale. The stores call it inside the transaction that changes
 * their rows, so a change and its mark are committed (or lost) together.
 */
export function markStaleDays(db: Database, instants: Iterable<number>): void {
  const days = new Set([...instants].map(dayOf));
  // Most batches of the session job close no session: nothing to compile.
  if (days.size === 0) return;
  const mark = db.prepare(`INSERT INTO stale_days (day, version) VALUES (?, 1) ${upsert}`);
  for (const day of days) mark.run(day);
}

/**
 * Marks stale the days of the rows of `table` that `where` selects (the rows a range delete is about to
 * remove), in one statement. `start` is a row's time in both tables.
 */
export function markStaleRows(db: Database, table: 'usage_sessions' | 'journeys', where: string, ...params: unknown[]): void {
  // Integer division truncates towards 0: the times of the store are after the epoch.
  db.prepare(`INSERT INTO stale_days (day, version) SELECT DISTINCT start / ${dayMs} * ${dayMs}, 1 FROM ${table} WHERE ${where} ${upsert}`).run(...params);
}

export function listStaleDays(db: Database): StaleDay[] {
  return db.prepare<[], StaleDay>('SELECT day, version FROM stale_days ORDER BY day').all();
}

/** Clears the marks handled, except those marked again since they were read (their version moved on). */
export function clearStaleDays(db: Database, handled: readonly StaleDay[]): void {
  const clear = db.prepare('DELETE FROM stale_days WHERE day = ? AND version = ?');
  db.transaction(() => {
    for (const { day, version } of handled) clear.run(day, version);
  })();
}
