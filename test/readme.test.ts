import { readFileSync } from 'node:fs';
import { listSettings } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { withConfigTable } from '../src/docs/config-table.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README.md', () => {
  it('has the configuration table generated from the schema (run `npm run docs:config` after changing it)', () => {
    expect(readme).toBe(withConfigTable(readme));
    for (const setting of listSettings()) expect(readme).toContain(`| \`${setting.env}\` |`);
  });

  it('gives a new user exactly the two commands, start and test', () => {
    const commands = readme.split('## Two commands')[1]!.split('```sh')[1]!.split('```')[0]!.trim().split('\n');
    expect(commands.map((line) => line.split('#')[0]!.trim())).toEqual(['npm ci && npm start', 'npm test']);
  });
});
