import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folder of the dashboard JSON that the provisioning loads. */
export const dashboardsDir = fileURLToPath(new URL('../json/', import.meta.url));

export interface ShippedDashboard {
  file: string;
  /** Grafana's dashboard model: the files are what the builders of src/boards make (a unit test compares them). */
  dashboard: Dashboard;
}

/** Every shipped dashboard, by file name, as Grafana reads it. */
export function readShippedDashboards(): ShippedDashboard[] {
  return readdirSync(dashboardsDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(`${dashboardsDir}${file}`, 'utf8')) as Dashboard }));
}
