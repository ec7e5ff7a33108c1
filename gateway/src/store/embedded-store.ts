import type { Config } from '@parcours/contracts';
import { migrate, openDatabase, type Database, type Migration } from './database.js';
import { WalSync } from './wal-sync.js';

/**
 * The embedded store of one Parcours process: the SQLite database in the data folder, migrated with every
 * package's tables before any part is built on it (their constructors prepare statements), and the WAL
 * fsync that makes an acknowledged message survive a power cut when `data.sync` is `full`.
 */
export class EmbeddedStore {
  private closed = false;

  private constructor(
    readonly db: Database,
    readonly walSync: WalSync | null,
  ) {}

  /** Opens (creating it if needed) and migrates the store: the one place where a process touches its data folder. */
  static open(data: Pick<Config['data'], 'dir' | 'sync'>, migrations: readonly Migration[]): EmbeddedStore {
    const db = openDatabase(data.dir);
    try {
      migrate(db, migrations);
      const walSync = data.sync === 'full' ? new WalSync(`${db.name}-wal`) : null;
      walSync?.start();
      return new EmbeddedStore(db, walSync);
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
    this.db.close();
  }
}
