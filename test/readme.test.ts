import { readFileSync } from 'node:fs';
import { listSettings } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { configPage, withConfigTable } from '../src/docs/config-table.js';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const readme = read('README.md');

describe('README.md', () => {
  it('gives a new user exactly the two commands, start and test', () => {
    const commands = readme.split('## Two commands')[1]!.split('```sh')[1]!.split('```')[0]!.trim().split('\n');
    expect(commands.map((line) => line.split('#')[0]!.trim())).toEqual(['npm ci && npm start', 'npm test']);
  });

  it('stays a page read in two minutes: at most 90 lines', () => {
    expect(readme.trimEnd().split('\n').length).toBeLessThanOrEqual(90);
  });
});

describe(configPage, () => {
  it('has the configuration table generated from the schema (run `npm run docs:config` after changing it)', () => {
    const page = read(configPage);
    expect(page).toBe(withConfigTable(page));
    for (const setting of listSettings()) expect(page).toContain(`| \`${setting.env}\``);
  });
});

describe('docs/limits.md', () => {
  it('names only settings of the schema', () => {
    const settings = new Set(listSettings().map((setting) => setting.path));
    const sections = new Set([...settings].map((path) => path.split('.')[0]));
    // A setting is named in backticks, as `mqtt.maxPending`.
    const named = [...read('docs/limits.md').matchAll(/`([a-z]+)\.([A-Za-z]+)`/g)]
      .filter(([, section]) => sections.has(section))
      .map(([, section, key]) => `${section}.${key}`);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((path) => !settings.has(path))).toEqual([]);
  });
});
