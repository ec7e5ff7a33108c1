import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { freePort } from '../tools/services/index.js';
import { waitUntil } from './mqtt-clients.js';
import { nodeEnv } from './node-process.js';

const bin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));

it('stops cleanly on Ctrl-C during start-up, while the built-in fleet is still being registered', async () => {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'parcours-interrupted-'));
  const child = spawn(process.execPath, [bin, 'start'], {
    env: nodeEnv(
      { http: httpPort, mqtt: mqttPort },
      { PARCOURS_DATA_DIR: dataDir, PARCOURS_SIM_SCENARIO: 'small', PARCOURS_SIM_BACKFILL: '1d', PARCOURS_LOG_LEVEL: 'info' },
    ),
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The API answers before the fleet registers through it; the banner comes once the fleet runs.
  await waitUntil(
    () =>
      fetch(`http://127.0.0.1:${httpPort}/healthz`).then(
        (r) => r.ok,
        () => false,
      ),
    120_000,
  );
  child.kill('SIGINT');
  expect(await exited, output).toBe(0);
  expect(output).toContain('"stopping once started"');
  expect(existsSync(join(dataDir, 'server.json'))).toBe(false);
}, 180_000);
