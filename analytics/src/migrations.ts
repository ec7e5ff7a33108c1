import type { Migration } from '@parcours/gateway';

/** The analytics' tables in the embedded store. */
export const analyticsMigrations: readonly Migration[] = [
  {
    name: 'analytics-001-sessions',
    sql: `
      CREATE TABLE usage_sessions (
        id TEXT PRIMARY KEY, device_id TEXT NOT NULL, device_type TEXT NOT NULL,
        subject_id TEXT, subject_kind TEXT, subject_type TEXT, actor TEXT,
        start INTEGER NOT NULL, end INTEGER NOT NULL, duration_s REAL NOT NULL, events INTEGER NOT NULL, closed_by TEXT NOT NULL);
      CREATE INDEX usage_sessions_subject ON usage_sessions (subject_id, start);
      CREATE INDEX usage_sessions_actor ON usage_sessions (actor, start);
      CREATE INDEX usage_sessions_device ON usage_sessions (device_id, start);
      CREATE TABLE open_sessions (device_id TEXT PRIMARY KEY, state TEXT NOT NULL);
    `,
  },
  {
    name: 'analytics-002-inferred-actor',
    sql: `
      ALTER TABLE usage_sessions ADD COLUMN inferred_actor TEXT;
      ALTER TABLE usage_sessions ADD COLUMN inference_confidence REAL;
    `,
  },
  {
    name: 'analytics-003-journeys',
    sql: `
      CREATE TABLE journeys (
        id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, subject_kind TEXT, subject_type TEXT,
        start INTEGER NOT NULL, end INTEGER NOT NULL, duration_s REAL NOT NULL, steps INTEGER NOT NULL, path TEXT NOT NULL, sessions TEXT NOT NULL);
      CREATE INDEX journeys_subject ON journeys (subject_id, start);
      CREATE TABLE open_journeys (subject_id TEXT PRIMARY KEY, state TEXT NOT NULL);
      CREATE INDEX usage_sessions_inferred_actor ON usage_sessions (inferred_actor, start);
    `,
  },
  {
    name: 'analytics-004-late-records-outbox',
    sql: `
      CREATE TABLE device_frontiers (device_id TEXT PRIMARY KEY, frontier INTEGER NOT NULL);
      CREATE TABLE session_watermark (id INTEGER PRIMARY KEY CHECK (id = 1), watermark INTEGER NOT NULL);
      CREATE TABLE journey_rederivations (subject_id TEXT PRIMARY KEY, from_ts INTEGER NOT NULL);
      CREATE TABLE mqtt_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload TEXT NOT NULL);
      CREATE INDEX usage_sessions_start ON usage_sessions (start);
    `,
  },
  {
    // Days whose sessions or journeys changed, for the aggregate job: marked in the same transaction as the
    // change, cleared once recomputed unless the version moved on meanwhile.
    name: 'analytics-005-stale-days',
    sql: 'CREATE TABLE stale_days (day INTEGER PRIMARY KEY, version INTEGER NOT NULL);',
  },
  {
    // Weeks whose retention and lifecycle points are to be recomputed, at a slower pace than the days.
    name: 'analytics-006-stale-weeks',
    sql: `CREATE TABLE stale_weeks (week INTEGER PRIMARY KEY);`,
  },
  {
    // The settings the server derived with, for batch commands to check theirs against.
    name: 'analytics-007-derivation-settings',
    sql: `CREATE TABLE derivation_settings (id INTEGER PRIMARY KEY CHECK (id = 1), settings TEXT NOT NULL);`,
  },
  {
    // What the session builder keeps of a device's closed sessions (DeviceMemory, JSON), beside its frontier.
    name: 'analytics-008-device-memory',
    sql: 'ALTER TABLE device_frontiers ADD COLUMN memory TEXT;',
  },
  {
    // How far each derived output has been written to InfluxDB from the store: a data folder that ran
    // without InfluxDB, or a funnel declared later, catches up from here.
    name: 'analytics-009-influx-catch-up',
    sql: 'CREATE TABLE influx_catch_up (output TEXT PRIMARY KEY, definition TEXT NOT NULL, written_to INTEGER, complete INTEGER NOT NULL);',
  },
];
