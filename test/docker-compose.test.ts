import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureInstalled } from '../tools/services/ensure-installed.js';

const composeFile = fileURLToPath(new URL('../docker-compose.yml', import.meta.url));

/** No container engine runs here: docker-compose only validates the file (its structure is checked in dashboards/test/compose.test.ts). */
describe('docker-compose.yml', () => {
  it('is valid for docker-compose', () => {
    ensureInstalled('docker-compose');
    const result = spawnSync('docker-compose', ['-f', composeFile, 'config', '-q'], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  });
});
