export { panelMigrations } from './migrations.js';
export { PanelService, type PanelServiceDeps } from './panel-service.js';
export { PanelStore } from './panel-store.js';
export { panelRoutes } from './http/panel-routes.js';
export { storeUniverseSources, type ProfileAttributesAsOf } from './universe-sources.js';
export { buildUniverse, type UniverseKept, type UniverseMember, type UniverseSources } from './universe.js';
export { PanelHealthJob } from './panel-health-job.js';
