import { ensureInstalled } from './ensure-installed.js';
import { freePort } from './free-port.js';
import { acceptsTcp, makeTempDir, startProcess } from './managed-process.js';

/** Debian's Redis on a free loopback port, without persistence. */
export async function startRedis(): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  ensureInstalled('redis-server');
  const port = await freePort();
  const dir = await makeTempDir('redis');
  const process = await startProcess({
    name: 'redis-server',
    dir,
    command: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    ready: () => acceptsTcp(port),
  });
  return { url: `redis://127.0.0.1:${port}`, port, stop: process.stop };
}
