import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../scripts/install-test-services.sh', import.meta.url));

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

/** Runs the project's install script when a server binary is missing (apt-get, as root). */
export function ensureInstalled(binary: string): void {
  if (onPath(binary)) return;
  execFileSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (!onPath(binary)) throw new Error(`${binary} is still missing after ${script}`);
}
