import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { deviceTelemetry } from './device-telemetry.js';
import { fleetPipeline } from './fleet-pipeline.js';
import { funnelsRetention } from './funnels-retention.js';
import { inTheMomentSurveys } from './in-the-moment-surveys.js';
import { journeysPaths } from './journeys-paths.js';
import { panelsCommunities } from './panels-communities.js';
import { subjects } from './subjects.js';
import { usageSessions } from './usage-sessions.js';
import { weightingQuality } from './weighting-quality.js';

/** Every dashboard Parcours ships, by the name of its file in json/. */
export const boards: Record<string, () => Dashboard> = {
  'device-telemetry.json': deviceTelemetry,
  'fleet-pipeline.json': fleetPipeline,
  'funnels-retention.json': funnelsRetention,
  'in-the-moment-surveys.json': inTheMomentSurveys,
  'journeys-paths.json': journeysPaths,
  'panels-communities.json': panelsCommunities,
  'subjects.json': subjects,
  'usage-sessions.json': usageSessions,
  'weighting-quality.json': weightingQuality,
};
