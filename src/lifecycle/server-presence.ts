import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { errorCodes, ParcoursError } from '@parcours/contracts';
import { z } from 'zod';
import { processRuns } from '../nodes/node-identity.js';

const presenceSchema = z.object({
  token: z.string(),
  pid: z.number().int(),
  host: z.string(),
  /** The server's HTTP API, where it takes what may not be done beside it. */
  http: z.string(),
  since: z.string(),
});
export type ServerPresence = z.infer<typeof presenceSchema>;

/** In the data folder: which server runs on it. */
export const presenceFile = 'server.json';

/**
 * The mark a running server leaves in its data folder, for the commands that must not change its store
 * beside it (it keeps sessions and journeys in progress in memory, and would overwrite their changes).
 * Written once the server has started, removed when it stops; one left by a crash names a process that
 * no longer runs, and counts for nothing on its host.
 */
export class ServerPresenceMark {
  private readonly token = randomUUID();

  constructor(private readonly dataDir: string) {}

  async write(http: string): Promise<void> {
    const presence: ServerPresence = { token: this.token, pid: process.pid, host: hostname(), http, since: new Date().toISOString() };
    const path = join(this.dataDir, presenceFile);
    // Written aside, then renamed into place: a command never reads half of it.
    await writeFile(`${path}.${this.token}`, `${JSON.stringify(presence)}\n`);
    await rename(`${path}.${this.token}`, path);
  }

  /** Removes the mark, unless another server (a standby that took over) has written its own since. */
  async remove(): Promise<void> {
    const path = join(this.dataDir, presenceFile);
    const current = parse(await readFile(path, 'utf8').catch(() => ''));
    if (current?.token === this.token) await unlink(path).catch(() => undefined);
  }
}

/** The server running on this data folder, if any: on this host, only if its process still runs. */
export function runningServer(dataDir: string): ServerPresence | null {
  let text: string;
  try {
    text = readFileSync(join(dataDir, presenceFile), 'utf8');
  } catch {
    return null;
  }
  const presence = parse(text);
  if (!presence) return null;
  return presence.host !== hostname() || processRuns(presence.pid) ? presence : null;
}

function parse(text: string): ServerPresence | null {
  try {
    return presenceSchema.parse(JSON.parse(text));
  } catch {
    return null;
  }
}

/**
 * For the commands that must not change the store beside a running server (it keeps sessions and journeys
 * in progress in memory, would go on from them and overwrite what the command wrote): throws
 * `PARCOURS_E_SERVER_RUNNING` naming the server, with `advice` on what to do instead.
 */
export function refuseBesideServer(dataDir: string, advice: (server: ServerPresence) => string): void {
  const server = runningServer(dataDir);
  if (!server) return;
  throw new ParcoursError(
    errorCodes.serverRunning,
    `a Parcours server runs on this data folder (pid ${server.pid} on ${server.host}, since ${server.since}; if none does, delete ${join(dataDir, presenceFile)}); ${advice(server)}`,
  );
}
