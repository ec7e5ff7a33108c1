import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.js';
import { WalSync } from '../../src/store/wal-sync.js';

let db: Database | null = null;
let wal: WalSync | null = null;

afterEach(() => {
  wal?.stop();
  db?.close();
  wal = null;
  db = null;
});

describe('WalSync', () => {
  it('resolves every caller, those arriving while an fsync runs sharing the next one', async () => {
    db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-wal-')));
    db.exec('CREATE TABLE t (x INTEGER)');
    wal = new WalSync(`${db.name}-wal`);
    wal.start();
    const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
    const synced: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        insert.run(i);
        return wal!.sync().then(() => synced.push(i));
      }),
    );
    expect(synced).toHaveLength(50);
    expect(new Set(synced).size).toBe(50);
  });

  it('refuses to start without a WAL file rather than acknowledging writes it cannot make durable', () => {
    const missing = new WalSync(join(mkdtempSync(join(tmpdir(), 'parcours-wal-')), 'missing.db-wal'));
    expect(() => missing.start()).toThrow(/ENOENT/);
  });

  it('rejects a sync after stop', async () => {
    db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-wal-')));
    db.exec('CREATE TABLE t (x INTEGER)');
    const stopped = new WalSync(`${db.name}-wal`);
    stopped.start();
    stopped.stop();
    await expect(stopped.sync()).rejects.toThrow(/not open/);
  });
});
