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
