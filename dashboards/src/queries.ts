import { dashboardSchema } from './dashboard-schema.js';

export interface PanelQuery {
  dashboard: string;
  panelId: number;
  title: string;
  refId: string;
  resultFormat: 'time_series' | 'table';
  query: string;
}

/** Every panel's raw InfluxQL query, one per target; throws when the JSON is not a Parcours dashboard. */
export function listDashboardQueries(json: unknown): PanelQuery[] {
  const dashboard = dashboardSchema.parse(json);
  return dashboard.panels.flatMap((panel) =>
    panel.targets.map((target) => ({
      dashboard: dashboard.uid,
      panelId: panel.id,
      title: panel.title,
      refId: target.refId,
      resultFormat: target.resultFormat,
      query: target.query,
    })),
  );
}
