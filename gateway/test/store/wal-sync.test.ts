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
  it('resolves every caller of many syncs at once', async () => {
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

  it('starts an fsync for a commit made while one runs, and resolves the callers in order', async () => {
    db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-wal-')));
    db.exec('CREATE TABLE t (x INTEGER)');
    // The fsyncs' ends, in the order they started: the test decides when each one ends.
    const ends: ((error: NodeJS.ErrnoException | null) => void)[] = [];
    wal = new WalSync(`${db.name}-wal`, (_fd, callback) => {
      ends.push(callback);
    });
    wal.start();
    const resolved: number[] = [];
    const call = (n: number) => wal!.sync().then(() => resolved.push(n));
    const first = call(1);
    const second = call(2);
    expect(ends).toHaveLength(2);
    const third = call(3);
    expect(ends).toHaveLength(2);
    // The second fsync ends first: it started after the first caller's commit, so it covers both.
    ends[1]!(null);
    await Promise.all([first, second]);
    expect(resolved).toEqual([1, 2]);
    expect(ends).toHaveLength(3);
    ends[0]!(null);
    ends[2]!(null);
    await third;
    expect(resolved).toEqual([1, 2, 3]);
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
