import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folder of the dashboard JSON that the provisioning loads. */
export const dashboardsDir = fileURLToPath(new URL('../json/', import.meta.url));

export interface ShippedDashboard {
  file: string;
  json: unknown;
}

/** Every shipped dashboard, by file name, as parsed JSON. */
export function readShippedDashboards(): ShippedDashboard[] {
  return readdirSync(dashboardsDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(`${dashboardsDir}${file}`, 'utf8')) as unknown }));
}
