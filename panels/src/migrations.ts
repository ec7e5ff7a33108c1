import type { Migration } from '@parcours/gateway';

/** The panels' tables: each panel's draw definition, and what happened to its members (for churn and history). */
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
];
