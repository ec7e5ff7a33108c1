import type { Migration } from '@parcours/gateway';

/**
 * The surveys' tables: every version of every survey as it was made, its window (startsAt resolved, endsAt)
 * beside it for the trigger job's query; and each survey's latest version and state.
 */
export const surveyMigrations: readonly Migration[] = [
  {
    name: 'surveys-001-definitions',
    sql: `
      CREATE TABLE survey_versions (
        survey_id TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL,
        starts_at INTEGER NOT NULL, ends_at INTEGER, created_at INTEGER NOT NULL,
        PRIMARY KEY (survey_id, version));
      CREATE TABLE surveys (
        survey_id TEXT PRIMARY KEY, latest_version INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'closed')), closed_at INTEGER, closed_reason TEXT);
      CREATE INDEX surveys_state ON surveys (state, survey_id);
    `,
  },
];
