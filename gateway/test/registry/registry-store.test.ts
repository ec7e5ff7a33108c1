import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes, ParcoursError, type Subject } from '@parcours/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegistryStore } from '../../src/registry/registry-store.js';
import { migrate, openDatabase, type Database } from '../../src/store/database.js';
import { gatewayMigrations } from '../../src/store/migrations.js';

let db: Database;
let registry: RegistryStore;
const t0 = Date.UTC(2026, 0, 1);

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ParcoursError) return error.code;
    throw error;
  }
  return 'no error';
}

beforeEach(() => {
  db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-registry-')));
  migrate(db, gatewayMigrations);
  migrate(db, gatewayMigrations); // a second run applies nothing
  registry = new RegistryStore(db);
  registry.createSubject({ id: 'ana', kind: 'individual', type: 'person', name: 'Ana', attributes: { region: 'north' } });
  registry.createSubject({ id: 'home', kind: 'collective', type: 'household', name: 'Home', attributes: {} });
  registry.createDevice({ id: 'tv', type: 'tv', model: 'X1', name: null });
});

afterEach(() => db.close());

describe('RegistryStore', () => {
  it('treats re-creating an identical record as success and a different one as a conflict', () => {
    expect(registry.createSubject({ id: 'ana', kind: 'individual', type: 'person', name: 'Ana', attributes: { region: 'north' } }).created).toBe(false);
    expect(code(() => registry.createSubject({ id: 'ana', kind: 'individual', type: 'person', name: 'Anna', attributes: {} }))).toBe(errorCodes.conflict);
  });

  it('refuses memberships of the wrong kinds, backwards intervals and overlaps of the same pair', () => {
    expect(code(() => registry.createMembership({ individualId: 'home', collectiveId: 'ana', role: null, validFrom: t0, validTo: null }))).toBe(
      errorCodes.notIndividual,
    );
    expect(code(() => registry.createMembership({ individualId: 'ana', collectiveId: 'home', role: null, validFrom: t0, validTo: t0 }))).toBe(
      errorCodes.badInterval,
    );
    registry.createMembership({ individualId: 'ana', collectiveId: 'home', role: null, validFrom: t0, validTo: t0 + 1000 });
    expect(code(() => registry.createMembership({ individualId: 'ana', collectiveId: 'home', role: null, validFrom: t0 + 999, validTo: null }))).toBe(
      errorCodes.overlap,
    );
    expect(registry.createMembership({ individualId: 'ana', collectiveId: 'home', role: null, validFrom: t0 + 1000, validTo: null }).created).toBe(true);
  });

  it('lists the individuals of a type, or all, with their records’ attributes', () => {
    registry.createSubject({ id: 'kiosk', kind: 'individual', type: 'visitor', name: 'Kiosk', attributes: {} });
    expect(registry.individualAttributes(null)).toEqual([
      { id: 'ana', attributes: { region: 'north' } },
      { id: 'kiosk', attributes: {} },
    ]);
    expect(registry.individualAttributes('visitor').map((s) => s.id)).toEqual(['kiosk']);
  });

  it('creates a collective with its members under the rules of single memberships, all of them or none', () => {
    registry.createSubject({ id: 'ben', kind: 'individual', type: 'person', name: 'Ben', attributes: {} });
    const panel: Subject = { id: 'panel', kind: 'collective', type: 'panel', name: 'Panel', attributes: {} };
    const member = (individualId: string, validFrom = t0, validTo: number | null = null) => ({ individualId, role: 'panelist', validFrom, validTo });
    const refusal = (members: ReturnType<typeof member>[], collective = panel) => code(() => registry.createCollectiveWithMembers(collective, members));
    expect(refusal([member('ana'), member('nobody')])).toBe(errorCodes.notFound);
    expect(refusal([member('ana'), member('home')])).toBe(errorCodes.notIndividual);
    expect(refusal([member('ana', t0, t0)])).toBe(errorCodes.badInterval);
    expect(refusal([member('ana', t0, t0 + 1000), member('ana', t0 + 999)])).toBe(errorCodes.overlap);
    expect(refusal([member('ana')], { ...panel, kind: 'individual' })).toBe(errorCodes.notCollective);
    expect(refusal([member('ana')], { ...panel, id: 'home' })).toBe(errorCodes.conflict);
    expect(registry.getSubject('panel')).toBeNull();
    expect(registry.listMemberships({ individualId: 'ana', limit: -1, offset: 0 })).toEqual([]);

    const { memberships } = registry.createCollectiveWithMembers(panel, [member('ana', t0, t0 + 1000), member('ana', t0 + 1000), member('ben')]);
    expect(registry.listMemberships({ collectiveId: 'panel', limit: -1, offset: 0 })).toEqual(
      [...memberships].sort((a, b) => a.validFrom - b.validFrom || (a.id < b.id ? -1 : 1)),
    );
    expect(registry.changes({ afterSeq: 0, limit: 100 }).filter((c) => c.entityId === 'panel' || memberships.some((m) => m.id === c.entityId))).toHaveLength(4);
    expect(code(() => registry.createMembership({ individualId: 'ben', collectiveId: 'panel', role: null, validFrom: t0 + 5, validTo: null }))).toBe(
      errorCodes.overlap,
    );
  });

  it('refuses a device assigned to two subjects at once, and accepts a move', () => {
    registry.createAssignment({ deviceId: 'tv', subjectId: 'home', validFrom: t0, validTo: t0 + 5000 });
    expect(code(() => registry.createAssignment({ deviceId: 'tv', subjectId: 'ana', validFrom: t0 + 4000, validTo: null }))).toBe(errorCodes.overlap);
    registry.createAssignment({ deviceId: 'tv', subjectId: 'ana', validFrom: t0 + 5000, validTo: null });
    expect(registry.listAssignments({ deviceId: 'tv', limit: 10, offset: 0 }).map((a) => a.subjectId)).toEqual(['home', 'ana']);
    expect(code(() => registry.createAssignment({ deviceId: 'radio', subjectId: 'ana', validFrom: t0, validTo: null }))).toBe(errorCodes.notFound);
  });

  it('verifies only the latest issued secret, and never stores it in clear', async () => {
    const first = await registry.issueCredentials('tv');
    expect(await registry.verifyCredentials('tv', first.secret)).toBe(true);
    const second = await registry.issueCredentials('tv');
    expect(await registry.verifyCredentials('tv', first.secret)).toBe(false);
    expect(await registry.verifyCredentials('tv', second.secret)).toBe(true);
    expect(await registry.verifyCredentials('nope', second.secret)).toBe(false);
    const stored = db.prepare<[], { secret_hash: string }>("SELECT secret_hash FROM devices WHERE id = 'tv'").get()!.secret_hash;
    expect(stored).toMatch(/^sha256\$[\w-]+\$[\w-]+$/);
    db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(db.name).includes(Buffer.from(second.secret))).toBe(false);
  });

  it('filters and pages lists', () => {
    expect(registry.listSubjects({ kind: 'collective', limit: 10, offset: 0 }).map((s) => s.id)).toEqual(['home']);
    expect(registry.listSubjects({ limit: 1, offset: 1 }).map((s) => s.id)).toEqual(['home']);
  });
});
