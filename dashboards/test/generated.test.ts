import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDashboards, writeDashboards } from '../src/generate-dashboards.js';
import { dashboardsDir } from '../src/index.js';

const jsonFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();

describe('the dashboard JSON', () => {
  it('is exactly what the builders of src/boards make: edit those, then run npm run dashboards:build', () => {
    const rendered = renderDashboards();
    expect(jsonFiles(dashboardsDir)).toEqual(rendered.map((r) => r.file).sort());
    for (const { file, text } of rendered) expect(readFileSync(`${dashboardsDir}${file}`, 'utf8'), `json/${file} is not what its builder makes`).toBe(text);
  });

  it('is written anew, without the files of dashboards no builder makes any more', () => {
    const dir = `${mkdtempSync(join(tmpdir(), 'parcours-dashboards-'))}/`;
    try {
      writeFileSync(`${dir}renamed.json`, '{}');
      writeDashboards(dir);
      expect(jsonFiles(dir)).toEqual(jsonFiles(dashboardsDir));
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
