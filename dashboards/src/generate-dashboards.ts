import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { boards } from './boards/index.js';
import { dashboardsDir } from './shipped-dashboards.js';

/**
 * Each shipped dashboard's file name and JSON text, as its builder makes it (src/boards). The files in json/ are
 * these texts; a unit test fails when they differ.
 *
 *   npm run dashboards:build
 */
export function renderDashboards(): { file: string; text: string }[] {
  return Object.entries(boards).map(([file, build]) => ({ file, text: `${JSON.stringify(build(), null, 2)}\n` }));
}

/** Writes json/ anew: every rendered dashboard, and no file that no builder makes any more. */
export function writeDashboards(dir = dashboardsDir): string[] {
  const rendered = renderDashboards();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && !rendered.some((r) => r.file === f))) rmSync(`${dir}${file}`);
  for (const { file, text } of rendered) writeFileSync(`${dir}${file}`, text);
  return rendered.map((r) => `${dir}${r.file}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const file of writeDashboards()) console.log(file);
}
