export type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
export { checkDashboard, checkDashboards } from './check-dashboard.js';
export { datasourceUid } from './influxql.js';
export { listDashboardQueries, listDashboardVariables, type DashboardVariable, type PanelQuery } from './queries.js';
export { dashboardsDir, readShippedDashboards, type ShippedDashboard } from './shipped-dashboards.js';
export { builtinVariables, substitute, variablesIn, type Substitutions } from './substitute.js';
