export { checkDashboard, checkDashboards } from './check-dashboard.js';
export { dashboardSchema, datasourceUid, type Dashboard, type Panel, type Variable } from './dashboard-schema.js';
export { listDashboardQueries, type PanelQuery } from './queries.js';
export { dashboardsDir, readShippedDashboards, type ShippedDashboard } from './shipped-dashboards.js';
export { builtinVariables, substitute, variablesIn, type Substitutions } from './substitute.js';
