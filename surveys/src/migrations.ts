import type { Migration } from '@parcours/gateway';

/**
 * The surveys' tables: every version of every survey as it was made, its window (startsAt resolved, endsAt)
 * beside it for the trigger job's query; each survey's latest version and state; and every prompt decision.
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
  {
    // Every prompt decision, its context as of the trigger, and what became of the prompt.
    name: 'surveys-002-prompts',
    sql: `
      CREATE TABLE survey_prompts (
        prompt_id TEXT PRIMARY KEY, survey_id TEXT NOT NULL, version INTEGER NOT NULL, person_id TEXT NOT NULL,
        trigger TEXT NOT NULL, decision TEXT NOT NULL, detail TEXT NOT NULL,
        send_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, decided_at INTEGER NOT NULL, triggered_at INTEGER NOT NULL,
        session_id TEXT, journey_id TEXT, device_type TEXT, path TEXT, collectives TEXT NOT NULL, stratum TEXT, community TEXT,
        delivered_at INTEGER, shown_at INTEGER, answered_at INTEGER, dismissed_at INTEGER, answer TEXT);
      CREATE INDEX survey_prompts_person ON survey_prompts (person_id, send_at);
      CREATE INDEX survey_prompts_survey ON survey_prompts (survey_id, send_at);
      CREATE INDEX survey_prompts_undelivered ON survey_prompts (send_at) WHERE decision = 'sent' AND delivered_at IS NULL;
    `,
  },
  {
    // The derived results announced and not yet matched against the surveys' triggers: added in the transaction
    // that commits them, removed in the one that records their prompts.
    name: 'surveys-003-trigger-inbox',
    sql: `CREATE TABLE survey_trigger_inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, result TEXT NOT NULL);`,
  },
  {
    // When a delivered prompt's retained messages were cleared (answered, dismissed or expired).
    name: 'surveys-004-prompt-clearing',
    sql: `
      ALTER TABLE survey_prompts ADD COLUMN cleared_at INTEGER;
      CREATE INDEX survey_prompts_to_clear ON survey_prompts (expires_at) WHERE delivered_at IS NOT NULL AND cleared_at IS NULL;
    `,
  },
  {
    // The device and the rule of each prompt's trigger: re-derived sessions and journeys (late data moving a start,
    // results merging) relink their prompts, and are recognised as what was already asked about. Earlier prompts get
    // the device of their session and the rules their trigger key names.
    name: 'surveys-005-prompt-uses',
    sql: `
      ALTER TABLE survey_prompts ADD COLUMN device_id TEXT;
      ALTER TABLE survey_prompts ADD COLUMN trigger_rule TEXT;
      UPDATE survey_prompts SET device_id = substr(session_id, 1, length(rtrim(session_id, '0123456789')) - 1)
        WHERE session_id IS NOT NULL;
      UPDATE survey_prompts SET trigger_rule = CASE
        WHEN trigger LIKE 'session:%' THEN 'session_closed'
        WHEN trigger LIKE 'journey:%:closed' THEN 'journey_closed'
        WHEN trigger LIKE 'event:%' THEN 'event' END;
      CREATE INDEX survey_prompts_device_use ON survey_prompts (device_id, triggered_at) WHERE device_id IS NOT NULL;
      CREATE INDEX survey_prompts_person_use ON survey_prompts (person_id, triggered_at);
    `,
  },
];
