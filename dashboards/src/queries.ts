import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { influxQLQuerySchema } from './influxql.js';

export interface PanelQuery {
  dashboard: string;
  panelId: number;
  title: string;
  refId: string;
  resultFormat: 'time_series' | 'table';
  query: string;
}

export interface DashboardVariable {
  name: string;
  /** An InfluxQL query for the variable's values. */
  query: string;
  /** Several values, "All" among them; else one. */
  multi: boolean;
  /** The saved value. */
  current: string | string[] | undefined;
}

const isRow = (panel: Panel | RowPanel): panel is RowPanel => panel.type === 'row';

/** The dashboard's panels, those in rows included. */
export const panelsOf = (dashboard: Dashboard): Panel[] => (dashboard.panels ?? []).flatMap((panel) => (isRow(panel) ? panel.panels : [panel]));

/** Every panel's raw InfluxQL query, one per target; throws when a panel is unnamed or a target is not raw InfluxQL. */
export function listDashboardQueries(dashboard: Dashboard): PanelQuery[] {
  return panelsOf(dashboard).flatMap((panel) => {
    const { id, title } = panel;
    if (id === undefined || !title) throw new Error(`${dashboard.uid}: a panel has no id or no title`);
    return (panel.targets ?? []).map((target) => {
      const { refId, resultFormat, query } = influxQLQuerySchema.parse(target);
      return { dashboard: dashboard.uid ?? '', panelId: id, title, refId, resultFormat, query };
    });
  });
}

/** The template variables, in the order Grafana resolves them; throws when one's query is not InfluxQL text. */
export function listDashboardVariables(dashboard: Dashboard): DashboardVariable[] {
  return (dashboard.templating.list ?? []).map(({ name, query, multi, current }) => {
    if (typeof query !== 'string') throw new Error(`${dashboard.uid}: variable ${name} has no InfluxQL query`);
    return { name, query, multi: multi === true, current: current?.value };
  });
}
