import type { Migration } from '@parcours/gateway';

/**
 * The panels' tables: each panel's draw definition, and what happened to its members (for churn and history);
 * weighting schemes, every version kept, and the weights, report and inputs of each version's last run.
 */
export const panelMigrations: readonly Migration[] = [
  {
    name: 'panels-001-definitions',
    sql: `
      CREATE TABLE panel_definitions (panel_id TEXT PRIMARY KEY, definition TEXT NOT NULL, created_at INTEGER NOT NULL);
      CREATE TABLE panel_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, panel_id TEXT NOT NULL, individual_id TEXT NOT NULL,
        action TEXT NOT NULL, reason TEXT, at INTEGER NOT NULL);
      CREATE INDEX panel_events_panel ON panel_events (panel_id, at);
    `,
  },
  {
    name: 'panels-002-weighting-schemes',
    sql: `
      CREATE TABLE weighting_schemes (
        scheme_id TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT NULL, created_at INTEGER NOT NULL,
        PRIMARY KEY (scheme_id, version));
      CREATE TABLE weighting_runs (
        scheme_id TEXT NOT NULL, version INTEGER NOT NULL, ran_at INTEGER NOT NULL, report TEXT NOT NULL,
        PRIMARY KEY (scheme_id, version));
      CREATE TABLE weighting_weights (
        scheme_id TEXT NOT NULL, version INTEGER NOT NULL, individual_id TEXT NOT NULL,
        base_weight REAL NOT NULL, weight REAL NOT NULL,
        PRIMARY KEY (scheme_id, version, individual_id));
    `,
  },
  {
    // What a run weighted, so that weighted figures redo the same weighting for their variances.
    name: 'panels-003-weighting-inputs',
    sql: 'ALTER TABLE weighting_runs ADD COLUMN inputs TEXT;',
  },
];
