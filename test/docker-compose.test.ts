import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensureInstalled } from '../tools/services/ensure-installed.js';

const composeFile = fileURLToPath(new URL('../docker-compose.yml', import.meta.url));
const parcoursBin = fileURLToPath(new URL('../bin/parcours.js', import.meta.url));
const configurationDoc = readFileSync(fileURLToPath(new URL('../docs/configuration.md', import.meta.url)), 'utf8');
const cliDoc = readFileSync(fileURLToPath(new URL('../docs/cli.md', import.meta.url)), 'utf8');

interface Service {
  command?: string[];
  environment?: Record<string, string>;
}
const services = Object.values((parse(readFileSync(composeFile, 'utf8')) as { services: Record<string, Service> }).services);

/** No container engine runs here: docker-compose only validates the file (its structure is checked in dashboards/test/compose.test.ts). */
describe('docker-compose.yml', () => {
  it('is valid for docker-compose', () => {
    ensureInstalled('docker-compose');
    const result = spawnSync('docker-compose', ['-f', composeFile, 'config', '-q'], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
  });

  it('runs parcours commands with the options their help lists', () => {
    const commands = services.map((s) => s.command ?? []).filter((c) => c[1] === 'bin/parcours.js');
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      const subcommand = command.slice(2).filter((word) => !word.startsWith('-'))[0]!;
      const help = spawnSync(process.execPath, [parcoursBin, subcommand, '--help'], { encoding: 'utf8' }).stdout;
      for (const flag of command.filter((word) => word.startsWith('--'))) {
        expect(help, `${subcommand} ${flag}`).toMatch(new RegExp(`^\\s+(-\\w, )?${flag}\\b`, 'm'));
      }
    }
  });

  it('sets only documented environment variables on Parcours services', () => {
    const parcoursVariables = services.flatMap((s) =>
      Object.keys(s.environment ?? {}).filter((name) => name.startsWith('PARCOURS_') || name.startsWith('INFLUX_')),
    );
    expect(parcoursVariables.length).toBeGreaterThan(5);
    for (const name of parcoursVariables) expect(`${configurationDoc}${cliDoc}`, name).toContain(`\`${name}\``);
  });
});
