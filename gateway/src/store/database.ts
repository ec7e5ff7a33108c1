import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

export type Database = BetterSqlite3.Database;
export type Statement<Params extends unknown[] | object = unknown[], Row = unknown> = BetterSqlite3.Statement<Params, Row>;

/** A schema change, applied once, in list order; `name` is recorded so it never runs twice. */
export interface Migration {
  name: string;
  sql: string;
}

/** The file of the embedded store in its data folder. */
export const storeFileName = 'parcours.db';

/** Whether a data folder holds a store (a server started on it once). */
export function storeExists(dataDir: string): boolean {
  return existsSync(join(dataDir, storeFileName));
}

/**
 * Opens the embedded store in WAL mode with `synchronous = NORMAL`: a commit survives a crash of the process
 * (sqlite.org/pragma.html#pragma_synchronous); where a write must also survive a power cut (the broker's
 * ack-after-store), the writer fsyncs the WAL itself through `WalSync`, off the event loop.
 */
export function openDatabase(dataDir: string, fileName = storeFileName): Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new BetterSqlite3(join(dataDir, fileName));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)');
  return db;
}

export function migrate(db: Database, migrations: readonly Migration[]): void {
  const applied = new Set(
    db
      .prepare<[], { name: string }>('SELECT name FROM migrations')
      .all()
      .map((row) => row.name),
  );
  const record = db.prepare('INSERT INTO migrations (name, applied_at) VALUES (?, ?)');
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      record.run(migration.name, Date.now());
    })();
  }
}

/**
 * `db.prepare` that compiles each SQL text once: for stores whose statements run per record or per
 * subject (compiling costs more than running a small indexed query).
 */
export function statementCache(db: Database): Database['prepare'] {
  const cache = new Map<string, Statement>();
  return ((sql: string) => {
    let statement = cache.get(sql);
    if (!statement) cache.set(sql, (statement = db.prepare(sql)));
    return statement;
  }) as Database['prepare'];
}
