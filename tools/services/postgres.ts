import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePresent } from './ensure-installed.js';
import { freePort } from './free-port.js';
import { makeTempDir, startProcess } from './managed-process.js';

const installRoot = '/usr/lib/postgresql';

/** The binaries of the newest PostgreSQL Debian installed (they are not on the PATH), if any. */
function binDir(): string | undefined {
  const versions = existsSync(installRoot) ? readdirSync(installRoot).filter((v) => existsSync(join(installRoot, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined ? undefined : join(installRoot, newest, 'bin');
}

/**
 * `initdb` and the server refuse to run as root: as root they run as the `postgres` user the package created,
 * through `setpriv`, which execs (so the server gets the stop signal itself).
 */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', command, ...args]] : [command, args];
}

export interface PostgresServer {
  /** `postgres://parcours@127.0.0.1:{port}/postgres`: the superuser `parcours`, trusted on loopback. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Debian's PostgreSQL on a free loopback port, in a temporary cluster made for the run (fsync on, as in production). */
export async function startPostgres(): Promise<PostgresServer> {
  ensurePresent('PostgreSQL', () => binDir() !== undefined);
  const bin = binDir()!;
  const dir = await makeTempDir('postgres');
  if (process.getuid?.() === 0) {
    const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' })));
    chownSync(dir, uid!, gid!);
  }
  const data = join(dir, 'data');
  const [initdb, initArgs] = asServerUser(join(bin, 'initdb'), ['-D', data, '-U', 'parcours', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  execFileSync(initdb, initArgs, { stdio: 'ignore' });
  const port = await freePort();
  const [server, serverArgs] = asServerUser(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1']);
  // Accepting connections, not only TCP: a server still starting up refuses them.
  const ready = async () => spawnSync(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]).status === 0;
  const running = await startProcess({ name: 'postgres', dir, command: server, args: serverArgs, ready });
  return { url: `postgres://parcours@127.0.0.1:${port}/postgres`, port, stop: running.stop };
}
