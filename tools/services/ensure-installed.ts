import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's install script, found upwards from here (this file runs from source in tests, compiled in the benchmark). */
function installScript(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'scripts', 'install-test-services.sh');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('scripts/install-test-services.sh not found');
}

function onPath(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
}

/** Runs the project's install script when a server binary is missing (apt-get, as root). */
export function ensureInstalled(binary: string): void {
  if (onPath(binary)) return;
  const script = installScript();
  execFileSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (!onPath(binary)) throw new Error(`${binary} is still missing after ${script}`);
}

/** Runs the project's install script when an R package is missing (its Debian package, `r-cran-…`, as root). */
export function ensureRPackage(name: string): void {
  ensureInstalled('Rscript');
  const loads = () => spawnSync('Rscript', ['-e', `library(${name})`], { stdio: 'ignore' }).status === 0;
  if (loads()) return;
  const script = installScript();
  execFileSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (!loads()) throw new Error(`the R package ${name} is still missing after ${script}`);
}
