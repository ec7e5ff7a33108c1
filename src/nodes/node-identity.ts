import { randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

const storeIdFile = 'store-id';

/**
 * The id of the store in `dataDir`: created once, with the folder's first lease, and kept there. Two
 * nodes with the same store id derive from the same log, so one may take over from the other.
 */
export async function readStoreId(dataDir: string): Promise<string> {
  const path = join(dataDir, storeIdFile);
  const existing = await readExisting(path);
  if (existing) return existing;
  await mkdir(dataDir, { recursive: true });
  // Written aside, then linked into place (link fails if the name exists): of two nodes starting on a new
  // shared folder at once, one creates it and the other reads it, never a half-written file.
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, `${randomUUID()}\n`);
  try {
    await link(draft, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(draft);
  }
  return readExisting(path);
}

async function readExisting(path: string): Promise<string> {
  return readFile(path, 'utf8').then(
    (text) => text.trim(),
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    },
  );
}

/**
 * This node's name: `node.id`, else the host name and a random suffix. Not kept in the data folder: a
 * standby shares the active node's folder and must not share its name.
 */
export function nodeName(configured: string): string {
  return configured || `${hostname()}-${randomBytes(2).toString('hex')}`;
}

/** Whether a process of this host with this pid is running (EPERM: it runs, as another user). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
