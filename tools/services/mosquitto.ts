import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureInstalled } from './ensure-installed.js';
import { freePort } from './free-port.js';
import { acceptsTcp, makeTempDir, startProcess } from './managed-process.js';

/** Debian's Mosquitto 2 on a free loopback port; limits raised so a fast QoS 1 publisher loses nothing. */
export async function startMosquitto(options: { extraConfig?: string } = {}): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  ensureInstalled('mosquitto');
  const port = await freePort();
  const dir = await makeTempDir('mosquitto');
  await writeFile(
    join(dir, 'mosquitto.conf'),
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 1000\nmax_queued_messages 100000\n${options.extraConfig ?? ''}\n`,
  );
  const process = await startProcess({
    name: 'mosquitto',
    dir,
    command: 'mosquitto',
    args: ['-c', join(dir, 'mosquitto.conf')],
    ready: () => acceptsTcp(port),
  });
  return { url: `mqtt://127.0.0.1:${port}`, port, stop: process.stop };
}
