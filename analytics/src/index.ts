export { Analytics, type AnalyticsOptions } from './analytics.js';
export { SessionBuilder, type OpenSession, type SessionRules } from './sessions/session-builder.js';
export type { SessionStore } from './sessions/session-store.js';
export { accuracyReportSchema, computeAccuracy, type AccuracyInput, type AccuracyReport, type JourneySession } from './accuracy/accuracy-report.js';
export type { JourneyStore } from './journeys/journey-store.js';
export type { PendingJourney } from './journeys/journey-builder.js';
export { batchJobs, batchJobNames, type BatchJob, type BatchJobResult, type BatchProgress } from './batch/batch-jobs.js';
export { readRange, rederiveReadOptions, type DeviceSelection } from './sessions/rederive-sessions.js';
export { analyticsMigrations } from './migrations.js';
