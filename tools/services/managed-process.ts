import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A server process the tests started, with its own temporary folder; `stop()` ends it and removes the
 * folder, unless `keepDir` (to start the same server again on its data, as after an outage).
 */
export interface ManagedProcess {
  dir: string;
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

export async function makeTempDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `parcours-${name}-`));
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Spawns `command`, logging to `<dir>/output.log`, and waits until `ready()` holds. If the process exits
 * first or the timeout passes, the error carries the end of its log.
 */
export async function startProcess(options: {
  name: string;
  dir: string;
  command: string;
  args: string[];
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}): Promise<ManagedProcess> {
  const logPath = join(options.dir, 'output.log');
  const log = createWriteStream(logPath);
  const child = spawn(options.command, options.args, { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const stop = async (stopOptions: { keepDir?: boolean } = {}) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited(child);
      clearTimeout(timer);
    }
    if (!stopOptions.keepDir) await rm(options.dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const output = await readFile(logPath, 'utf8').catch(() => '');
      await stop();
      throw new Error(`${options.name} did not start (${child.exitCode !== null ? `exit ${child.exitCode}` : 'timeout'}):\n${output.slice(-2000)}`);
    }
    if (await options.ready().catch(() => false)) return { dir: options.dir, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether something accepts TCP connections on the port. */
export function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
