import type { Database } from '@parcours/gateway';

/** How far one derived output has been written to InfluxDB from the store. */
export interface InfluxPosition {
  /** What its points follow besides the store (a funnel's steps); another definition starts it again. */
  definition: string;
  /** Its points are written for the results starting before this time (null: none yet). */
  writtenTo: number | null;
  /** All written: the jobs keep it in step from now on. */
  complete: boolean;
}

/**
 * What the store's derived outputs (sessions, journeys, aggregates, each funnel) have in InfluxDB: the
 * position of their catch-up, or complete. A result committed without InfluxDB puts them all behind.
 */
export class InfluxPositions {
  constructor(private readonly db: Database) {}

  get(output: string): InfluxPosition | null {
    const row = this.db
      .prepare<[string], { definition: string; written_to: number | null; complete: number }>(
        'SELECT definition, written_to, complete FROM influx_catch_up WHERE output = ?',
      )
      .get(output);
    return row ? { definition: row.definition, writtenTo: row.written_to, complete: row.complete === 1 } : null;
  }

  set(output: string, position: InfluxPosition): void {
    this.db
      .prepare('INSERT OR REPLACE INTO influx_catch_up (output, definition, written_to, complete) VALUES (?, ?, ?, ?)')
      .run(output, position.definition, position.writtenTo, position.complete ? 1 : 0);
  }

  /** Forgets the outputs not in `outputs` (a funnel no longer declared is not kept in step). */
  keepOnly(outputs: readonly string[]): void {
    this.db.prepare('DELETE FROM influx_catch_up WHERE output NOT IN (SELECT value FROM json_each(?))').run(JSON.stringify(outputs));
  }

  /** InfluxDB no longer has every result: inside the transaction that commits one without it. */
  forgetAll(): void {
    this.db.prepare('DELETE FROM influx_catch_up').run();
  }
}
