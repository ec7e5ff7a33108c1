import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmbeddedStore } from '../../src/store/embedded-store.js';

const migrations = [{ name: 'rows', sql: 'CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)' }];
let store: EmbeddedStore | null = null;

afterEach(() => {
  store?.close();
  store = null;
});

function openStore(onCheckpointFailure?: (error: unknown) => void): EmbeddedStore {
  return EmbeddedStore.open({ dir: mkdtempSync(join(tmpdir(), 'parcours-checkpoint-')), sync: 'full' }, migrations, onCheckpointFailure);
}

/** About 200 pages of WAL, far below the main connection's automatic checkpoint; resolves once the worker has copied them. */
async function writeAndCheckpoint(db: EmbeddedStore['db']): Promise<void> {
  const sizeBefore = statSync(db.name).size;
  const insert = db.prepare('INSERT INTO rows (body) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < 200; i++) insert.run('x'.repeat(3000));
  })();
  await vi.waitFor(() => expect(statSync(db.name).size).toBeGreaterThan(sizeBefore + 500_000), { timeout: 30_000, interval: 20 });
}

describe('WAL checkpoints in a worker', () => {
  it('copies the WAL into the database file without the main connection checkpointing', async () => {
    store = openStore((error) => expect.fail(String(error)));
    await writeAndCheckpoint(store.db);
  });

  it('closes its connection before the store closes, so the last connection removes the WAL', async () => {
    store = openStore((error) => expect.fail(String(error)));
    await writeAndCheckpoint(store.db);
    const wal = `${store.db.name}-wal`;
    expect(existsSync(wal)).toBe(true);
    store.close();
    expect(existsSync(wal)).toBe(false);
  });
});
