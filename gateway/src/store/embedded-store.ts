import type { Config } from '@parcours/contracts';
import { migrate, openDatabase, type Database, type Migration } from './database.js';
import { WalCheckpointer } from './wal-checkpointer.js';
import { WalSync } from './wal-sync.js';

/**
 * The main connection's automatic checkpoint while a `WalCheckpointer` works (SQLite's default is 1000
 * pages). The WAL starts over only once all of it is copied, which the worker's checkpoints seldom achieve
 * under sustained writes (commits land while they run); this one, right after a commit, has only the pages
 * the worker has not copied yet, and bounds the WAL to about 40 MB (of 4 KiB pages).
 */
const backstopCheckpointPages = 10_000;
/** SQLite's default, back if the worker fails. */
const defaultCheckpointPages = 1_000;

/**
 * The embedded store of one Parcours process: the SQLite database in the data folder, migrated with every
 * package's tables before any part is built on it (their constructors prepare statements), the WAL
 * fsync that makes an acknowledged message survive a power cut when `data.sync` is `full`, and, for a
 * server, its WAL checkpoints run off the event loop.
 */
export class EmbeddedStore {
  private closed = false;

  private constructor(
    readonly db: Database,
    readonly walSync: WalSync | null,
    private readonly checkpointer: WalCheckpointer | null,
  ) {}

  /**
   * Opens (creating it if needed) and migrates the store: the one place where a process touches its data
   * folder. With `onCheckpointFailure` (a server), a worker thread checkpoints the WAL; it is told if that
   * worker fails, and SQLite's automatic checkpoint is back.
   */
  static open(data: Pick<Config['data'], 'dir' | 'sync'>, migrations: readonly Migration[], onCheckpointFailure?: (error: unknown) => void): EmbeddedStore {
    const db = openDatabase(data.dir);
    try {
      migrate(db, migrations);
      const walSync = data.sync === 'full' ? new WalSync(`${db.name}-wal`) : null;
      walSync?.start();
      let checkpointer: WalCheckpointer | null = null;
      if (onCheckpointFailure) {
        checkpointer = new WalCheckpointer(db.name, (error) => {
          if (db.open) db.pragma(`wal_autocheckpoint = ${defaultCheckpointPages}`);
          onCheckpointFailure(error);
        });
        db.pragma(`wal_autocheckpoint = ${backstopCheckpointPages}`);
        checkpointer.start();
      }
      return new EmbeddedStore(db, walSync, checkpointer);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Whether a write commits now: a real one-row write, so a full disk or a read-only folder shows. */
  writable(): boolean {
    if (this.closed) return false;
    try {
      this.db.prepare('INSERT INTO store_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at').run(Date.now());
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.walSync?.stop();
    // The main connection last: closing, it checkpoints what is left and removes the WAL.
    this.checkpointer?.stop();
    this.db.close();
  }
}
