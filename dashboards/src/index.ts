export { checkDashboard, variablesIn } from './check-dashboard.js';
export { dashboardSchema, type Dashboard, type Panel } from './dashboard-schema.js';
export { listDashboardQueries, substitute, type PanelQuery, type Substitutions } from './queries.js';
export { dashboardsDir, readShippedDashboards } from './shipped-dashboards.js';
