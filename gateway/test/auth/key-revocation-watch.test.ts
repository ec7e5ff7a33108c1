import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RevokedCredentials } from '@parcours/contracts';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../src/auth/api-key-store.js';
import { KeyRevocationWatch } from '../../src/auth/key-revocation-watch.js';
import { migrate, openDatabase, type Database } from '../../src/store/database.js';
import { gatewayMigrations } from '../../src/store/migrations.js';

/** The server's connection and a command's, on one store. */
let server: Database;
let command: Database;
let told: RevokedCredentials[];
let keys: ApiKeyStore;
let watch: KeyRevocationWatch;

beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'parcours-keys-'));
  server = openDatabase(dir);
  migrate(server, gatewayMigrations);
  command = openDatabase(dir);
  told = [];
  keys = new ApiKeyStore(server, (revoked) => told.push(revoked));
  watch = new KeyRevocationWatch(server, keys, pino({ level: 'silent' }));
  watch.start();
});

afterEach(() => {
  watch.stop();
  server.close();
  command.close();
});

describe('KeyRevocationWatch', () => {
  it('announces the keys remaining once another process revoked one, and only then', () => {
    keys.create({ name: 'crm', role: 'integrator', subjects: ['home'] });
    const bi = keys.create({ name: 'bi', role: 'reader' }).info;
    watch.check();
    expect(told).toEqual([]);
    expect(new ApiKeyStore(command).revoke('crm')).toBe(true);
    watch.check();
    expect(told).toEqual([{ kind: 'apiKeys', remaining: new Set([bi.id]) }]);
    watch.check();
    expect(told).toHaveLength(1);
  });

  it('leaves the revocations of this process to the store, which tells them at once', () => {
    keys.create({ name: 'crm', role: 'integrator', subjects: ['home'] });
    keys.revoke('crm');
    expect(told).toEqual([{ kind: 'apiKeys', remaining: new Set() }]);
    watch.check();
    expect(told).toHaveLength(1);
  });
});
