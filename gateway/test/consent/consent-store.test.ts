import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes } from '@parcours/contracts';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConsentStore } from '../../src/consent/consent-store.js';
import { RegistryStore } from '../../src/registry/registry-store.js';
import { migrate, openDatabase } from '../../src/store/database.js';
import { gatewayMigrations } from '../../src/store/migrations.js';

const day = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);
let registry: RegistryStore;
let consents: ConsentStore;

beforeEach(() => {
  const db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-consent-')));
  migrate(db, gatewayMigrations);
  registry = new RegistryStore(db);
  consents = new ConsentStore(db, registry);
  for (const id of ['ana', 'ben']) registry.createSubject({ id, kind: 'individual', type: 'person', name: id, attributes: {} });
  registry.createSubject({ id: 'home', kind: 'collective', type: 'household', name: 'Home', attributes: {} });
  registry.createSubject({ id: 'p1', kind: 'collective', type: 'panel', name: 'Panel', attributes: {} });
  registry.createSubject({ id: 'c1', kind: 'collective', type: 'community', name: 'Photo', attributes: {} });
  const draw = { inclusionProbability: 0.1, stratum: 'region=11', rotationGroup: 0 };
  registry.createMembership({ id: 'ana-home', individualId: 'ana', collectiveId: 'home', role: null, validFrom: t0, validTo: null });
  registry.createMembership({ id: 'ana-p1', individualId: 'ana', collectiveId: 'p1', role: null, validFrom: t0, validTo: null, draw });
  registry.createMembership({ id: 'ana-c1', individualId: 'ana', collectiveId: 'c1', role: null, validFrom: t0 + 20 * day, validTo: null });
  registry.createMembership({ id: 'ben-p1', individualId: 'ben', collectiveId: 'p1', role: null, validFrom: t0, validTo: null, draw });
});

describe('consent per purpose', () => {
  it('keeps how a panel member was drawn on the membership', () => {
    expect(registry.getMembership('ana-p1')?.draw).toEqual({ inclusionProbability: 0.1, stratum: 'region=11', rotationGroup: 0 });
    expect(registry.getMembership('ana-home')).not.toHaveProperty('draw');
  });

  it('ends panel and community memberships at the opt-out, and only those', () => {
    consents.record('ana', 'panel', false, t0 + 10 * day);
    expect(registry.getMembership('ana-p1')?.validTo).toBe(t0 + 10 * day);
    // A community membership that had not started yet is gone.
    expect(registry.getMembership('ana-c1')).toBeNull();
    expect(registry.getMembership('ana-home')?.validTo).toBeNull();
    expect(registry.getMembership('ben-p1')?.validTo).toBeNull();
  });

  it('is read as of a date, the last word winning', () => {
    consents.record('ana', 'panel', false, t0 + 10 * day);
    consents.record('ana', 'panel', true, t0 + 30 * day);
    consents.record('ben', 'surveys', false, t0 + 5 * day);
    expect(consents.optedOut('ana', 'panel', t0 + 9 * day)).toBe(false);
    expect(consents.optedOut('ana', 'panel', t0 + 10 * day)).toBe(true);
    expect(consents.optedOut('ana', 'panel', t0 + 30 * day)).toBe(false);
    expect([...consents.optedOutAll('panel', t0 + 20 * day)]).toEqual(['ana']);
    expect([...consents.optedOutAll('surveys', t0 + 20 * day)]).toEqual(['ben']);
    expect(registry.getMembership('ben-p1')?.validTo).toBeNull();
    expect(consents.history('ana').map((c) => c.granted)).toEqual([false, true]);
  });

  it('is given by individuals only', () => {
    expect(() => consents.record('home', 'panel', false, t0)).toThrow(expect.objectContaining({ code: errorCodes.notIndividual }));
    expect(() => consents.record('nobody', 'panel', false, t0)).toThrow(expect.objectContaining({ code: errorCodes.notFound }));
  });
});
