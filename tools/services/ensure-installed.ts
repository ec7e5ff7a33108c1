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
  ensurePresent(binary, () => onPath(binary));
}

/** Runs the project's install script when `present()` does not hold (what it checks: `what`, for the error). */
export function ensurePresent(what: string, present: () => boolean): void {
  if (present()) return;
  const script = installScript();
  execFileSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (!present()) throw new Error(`${what} is still missing after ${script}`);
}

/** Runs the project's install script when an R package is missing (its Debian package, `r-cran-…`, as root). */
export function ensureRPackage(name: string): void {
  ensureInstalled('Rscript');
  ensurePresent(`the R package ${name}`, () => spawnSync('Rscript', ['-e', `library(${name})`], { stdio: 'ignore' }).status === 0);
}
