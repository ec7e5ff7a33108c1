import type { Migration } from './database.js';

/** The gateway's tables: the registry (its change times are in registry_changes), the event log, consumer offsets, presence, the quarantine and the profiles. */
export const gatewayMigrations: readonly Migration[] = [
  {
    name: 'gateway-001-registry',
    sql: `
      CREATE TABLE subjects (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('individual', 'collective')),
        type TEXT NOT NULL, name TEXT NOT NULL, attributes TEXT NOT NULL DEFAULT '{}');
      CREATE TABLE memberships (
        id TEXT PRIMARY KEY, individual_id TEXT NOT NULL REFERENCES subjects(id),
        collective_id TEXT NOT NULL REFERENCES subjects(id), role TEXT,
        valid_from INTEGER NOT NULL, valid_to INTEGER);
      CREATE INDEX memberships_individual ON memberships (individual_id, valid_from);
      CREATE INDEX memberships_collective ON memberships (collective_id, valid_from);
      CREATE TABLE devices (
        id TEXT PRIMARY KEY, type TEXT NOT NULL, model TEXT, name TEXT, secret_hash TEXT);
      CREATE TABLE assignments (
        id TEXT PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id),
        subject_id TEXT NOT NULL REFERENCES subjects(id),
        valid_from INTEGER NOT NULL, valid_to INTEGER);
      CREATE INDEX assignments_subject ON assignments (subject_id, valid_from);
      CREATE INDEX assignments_device ON assignments (device_id, valid_from);
    `,
  },
  {
    name: 'gateway-002-event-log',
    sql: `
      CREATE TABLE events (
        offset INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL, seq INTEGER NOT NULL, channel TEXT NOT NULL,
        ts INTEGER NOT NULL, received_at INTEGER NOT NULL,
        device_type TEXT NOT NULL, subject_id TEXT, subject_kind TEXT, subject_type TEXT,
        actor TEXT, actor_rejected INTEGER NOT NULL DEFAULT 0,
        type TEXT, metrics TEXT, attrs TEXT,
        UNIQUE (device_id, seq));
      CREATE INDEX events_subject_ts ON events (subject_id, ts);
      CREATE INDEX events_ts ON events (ts);
      CREATE TABLE consumer_offsets (consumer TEXT PRIMARY KEY, offset INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE device_presence (device_id TEXT PRIMARY KEY, status TEXT NOT NULL, since INTEGER NOT NULL);
      CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY AUTOINCREMENT, received_at INTEGER NOT NULL, topic TEXT NOT NULL,
        device_id TEXT, client_id TEXT, reason TEXT NOT NULL, detail TEXT NOT NULL, payload BLOB NOT NULL);
      CREATE INDEX quarantine_reason ON quarantine (reason, id);
    `,
  },
  {
    name: 'gateway-003-registry-changes',
    sql: `
      CREATE TABLE registry_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, entity TEXT NOT NULL, entity_id TEXT NOT NULL,
        action TEXT NOT NULL, before TEXT, after TEXT);
      CREATE INDEX registry_changes_entity ON registry_changes (entity, entity_id, seq);
    `,
  },
  {
    name: 'gateway-004-api-keys',
    sql: `
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, subjects TEXT NOT NULL DEFAULT '[]',
        key_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
    `,
  },
  {
    // The actor the device named, kept even when it was not accepted, so a corrected registry can accept it.
    name: 'gateway-005-actor-hint',
    sql: `ALTER TABLE events ADD COLUMN actor_hint TEXT;`,
  },
  {
    name: 'gateway-006-device-time',
    sql: `ALTER TABLE events ADD COLUMN device_ts INTEGER;`,
  },
  {
    name: 'gateway-007-quarantine-username',
    sql: `ALTER TABLE quarantine ADD COLUMN username TEXT;`,
  },
  {
    name: 'gateway-008-device-status-events',
    sql: `
      CREATE TABLE device_status_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, status TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX device_status_events_device ON device_status_events (device_id, at);
    `,
  },
  {
    // Re-deriving one device's sessions when a late record reaches it reads that device by device time.
    name: 'gateway-009-events-device-time',
    sql: `CREATE INDEX events_device_ts ON events (device_id, ts);`,
  },
  {
    name: 'gateway-010-store-probe',
    // One row rewritten by the health check: proof that the store still takes writes.
    sql: 'CREATE TABLE store_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);',
  },
  {
    // Of an oversized payload only a prefix is kept, with the whole one's size and hash; the quarantine is
    // bounded in bytes too. Messages stored before were kept whole (their hash is computed when read). The
    // index covers summing and dropping by bytes, which would otherwise read every row past its payload.
    name: 'gateway-011-quarantine-bytes',
    sql: `
      ALTER TABLE quarantine ADD COLUMN payload_size INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE quarantine ADD COLUMN payload_sha256 TEXT;
      ALTER TABLE quarantine ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
      UPDATE quarantine SET
        payload_size = length(payload),
        stored_bytes = length(payload) + length(CAST(topic AS BLOB)) + length(CAST(detail AS BLOB))
          + COALESCE(length(CAST(client_id AS BLOB)), 0) + COALESCE(length(CAST(username AS BLOB)), 0);
      CREATE INDEX quarantine_stored_bytes ON quarantine (id, stored_bytes);
    `,
  },
  {
    // A person's events include those they were the actor of, on others' devices; most records name none.
    name: 'gateway-012-events-actor',
    sql: 'CREATE INDEX events_actor_ts ON events (actor, ts) WHERE actor IS NOT NULL;',
  },
  {
    // The fleet's messages per minute read the last hour by receive time; retention deletes by it too.
    name: 'gateway-013-received-at',
    sql: `
      CREATE INDEX events_received_at ON events (received_at);
      CREATE INDEX quarantine_received_at ON quarantine (received_at);
    `,
  },
  {
    // Profiles from several sources (docs/profiles.md). An attribute value is one source's for one date:
    // importing it again replaces it. Its primary key reads a subject's values as of t, and, scanned in
    // order, every individual's at once; a null value is a source saying it no longer knows the attribute.
    name: 'gateway-014-profiles',
    sql: `
      CREATE TABLE sources (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, join_keys TEXT NOT NULL,
        priority INTEGER NOT NULL, expected_freshness INTEGER, last_import_at INTEGER);
      CREATE TABLE identities (
        key_type TEXT NOT NULL, key_value TEXT NOT NULL, individual_id TEXT NOT NULL,
        PRIMARY KEY (individual_id, key_type)) WITHOUT ROWID;
      CREATE INDEX identities_key ON identities (key_type, key_value);
      CREATE TABLE attribute_values (
        subject_id TEXT NOT NULL, name TEXT NOT NULL, source_id TEXT NOT NULL, valid_from INTEGER NOT NULL,
        value TEXT, imported_at INTEGER NOT NULL,
        PRIMARY KEY (subject_id, name, source_id, valid_from)) WITHOUT ROWID;
    `,
  },
  {
    // A panel member carries how it was drawn; consent per purpose is kept as a history (as of any date).
    name: 'gateway-015-panels',
    sql: `
      ALTER TABLE memberships ADD COLUMN inclusion_probability REAL;
      ALTER TABLE memberships ADD COLUMN stratum TEXT;
      ALTER TABLE memberships ADD COLUMN rotation_group INTEGER;
      CREATE TABLE consents (
        individual_id TEXT NOT NULL REFERENCES subjects(id), purpose TEXT NOT NULL, granted INTEGER NOT NULL,
        at INTEGER NOT NULL, recorded_at INTEGER NOT NULL);
      CREATE INDEX consents_individual ON consents (individual_id, purpose, at);
    `,
  },
];
