import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCodes, ParcoursError, ParcoursInputError, sourceSchema } from '@parcours/contracts';
import { resolvePlace } from '@parcours/geography';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProfileStore } from '../../src/profiles/profile-store.js';
import { RegistryStore } from '../../src/registry/registry-store.js';
import { migrate, openDatabase, type Database } from '../../src/store/database.js';
import { gatewayMigrations } from '../../src/store/migrations.js';

let db: Database;
let registry: RegistryStore;
let profiles: ProfileStore;
let clock: number;
const day = 86_400_000;
const jan = Date.UTC(2026, 0, 1);
const mar = Date.UTC(2026, 2, 1);

const crm = { id: 'crm', kind: 'crm', name: 'CRM', joinKeys: ['crm_id'], priority: 100, expectedFreshness: '7d' } as const;
const loyalty = { id: 'loyalty', kind: 'loyalty', name: 'Loyalty programme', joinKeys: ['loyalty_card'], priority: 70, expectedFreshness: '30d' } as const;
const web = {
  id: 'web',
  kind: 'web_analytics',
  name: 'Web analytics',
  joinKeys: ['email_sha256', 'app_install_id'],
  priority: 50,
  expectedFreshness: null,
} as const;

function refusal(run: () => unknown): ParcoursError {
  try {
    run();
  } catch (error) {
    if (error instanceof ParcoursError) return error;
    throw error;
  }
  throw new Error('not refused');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const traits = (source: string, ...lines: string[]) => profiles.importTraits(source, { csv: csv(...lines) });

beforeEach(() => {
  db = openDatabase(mkdtempSync(join(tmpdir(), 'parcours-profiles-')));
  migrate(db, gatewayMigrations);
  registry = new RegistryStore(db);
  clock = Date.UTC(2026, 3, 1);
  profiles = new ProfileStore(db, registry, () => clock);
  for (const id of ['ana', 'ben', 'carla']) registry.createSubject({ id, kind: 'individual', type: 'person', name: id, attributes: {} });
  registry.createSubject({ id: 'hh', kind: 'collective', type: 'household', name: 'Home', attributes: {} });
  for (const source of [crm, loyalty, web]) profiles.createSource(sourceSchema.parse(source));
  profiles.importIdentities({
    csv: csv('individual_id,crm_id,loyalty_card,email', 'ana,C-1,L-1, Family@Example.org', 'ben,C-2,,family@example.org', 'carla,C-3,L-3,carla@example.org'),
  });
});

afterEach(() => db.close());

describe('sources', () => {
  it('creates idempotently, refuses a different source under the same id, and updates trust and freshness', () => {
    expect(profiles.createSource(sourceSchema.parse(crm)).created).toBe(false);
    expect(refusal(() => profiles.createSource(sourceSchema.parse({ ...crm, priority: 1 }))).code).toBe(errorCodes.conflict);
    expect(profiles.listSources().map((s) => s.id)).toEqual(['crm', 'loyalty', 'web']);
    expect(profiles.updateSource('web', { priority: 60, expectedFreshness: 86_400_000 })).toMatchObject({ priority: 60, expectedFreshness: day });
    expect(refusal(() => profiles.updateSource('nope', { priority: 1 })).code).toBe(errorCodes.notFound);
  });

  it('is overdue when never imported or imported longer ago than its expected freshness', () => {
    const overdue = () => Object.fromEntries(profiles.freshness().map((f) => [f.source, f.overdue]));
    expect(overdue()).toEqual({ crm: true, loyalty: true, web: false });
    traits('crm', 'crm_id,plan', 'C-1,premium');
    expect(profiles.getSource('crm')).toMatchObject({ lastImportAt: clock, overdue: false });
    clock += 7 * day + 1;
    expect(overdue()).toEqual({ crm: true, loyalty: true, web: false });
  });
});

describe('identities', () => {
  it('stores an address only as the SHA-256 of its trimmed, lower-cased form, and replaces an individual’s keys', () => {
    expect(profiles.getIdentity('ana').keys).toEqual({ crm_id: 'C-1', loyalty_card: 'L-1', email_sha256: sha256('family@example.org') });
    expect(JSON.stringify(db.prepare('SELECT * FROM identities').all())).not.toContain('@');
    expect(profiles.setIdentity('ben', { crm_id: 'C-2b', email_sha256: 'Ben@Example.org' }).keys).toEqual({
      crm_id: 'C-2b',
      email_sha256: sha256('ben@example.org'),
    });
  });

  it('imports all or nothing, naming every bad row', () => {
    const error = refusal(() =>
      profiles.importIdentities({
        json: [
          { individualId: 'ana', keys: { app_install_id: 'A-1' } },
          { individualId: 'nobody', keys: { crm_id: 'C-9' } },
          { individualId: 'hh', keys: { crm_id: 'C-8' } },
          { individualId: 'ben', keys: {} },
          { individualId: 'carla', keys: { email_sha256: 'not-a-hash' } },
        ],
      }),
    );
    expect(error).toBeInstanceOf(ParcoursInputError);
    expect((error as ParcoursInputError).details.map((d) => d.path)).toEqual(['rows[1]', 'rows[2]', 'rows[3]', 'rows[4]']);
    expect(profiles.getIdentity('ana').keys.app_install_id).toBeUndefined();
  });
});

describe('trait import and attributes as of a date', () => {
  it('lets the most trusted source win, lists the others as overridden, and dates each value', () => {
    traits('web', 'email,app_install_id,valid_from,plan,newsletter', 'carla@example.org,,2026-01-01,basic,yes');
    traits('crm', 'crm_id,valid_from,plan', 'C-3,2026-02-01,premium');
    const before = profiles.subjectAttributes('carla', jan + day);
    expect(before.attributes.plan).toMatchObject({ value: 'basic', source: 'web', validFrom: jan, overridden: [] });
    const after = profiles.subjectAttributes('carla', mar);
    expect(after.attributes.plan).toEqual({
      value: 'premium',
      source: 'crm',
      validFrom: Date.UTC(2026, 1, 1),
      importedAt: clock,
      overridden: [{ value: 'basic', source: 'web', validFrom: jan, importedAt: clock }],
    });
    expect(after.attributes.newsletter?.value).toBe('yes');
    expect(profiles.resolvedAttributes(mar).get('carla')).toEqual({ plan: 'premium', newsletter: 'yes' });
    expect(profiles.resolvedAttributes(mar, ['plan', 'tier']).get('carla')).toEqual({ plan: 'premium' });
    expect(profiles.resolvedAttributes(mar, []).size).toBe(0);
    expect(profiles.resolvedAttributes(jan - 1).has('carla')).toBe(false);
  });

  it('moves a person: the région changes from the new address’s date, not before', () => {
    const paris = resolvePlace({ postcode: '75001' });
    const marseille = resolvePlace({ postcode: '13001' });
    if (!paris.ok || !marseille.ok) throw new Error('geography');
    traits('crm', 'crm_id,valid_from,postcode', 'C-1,2025-06-01,75001');
    traits('crm', 'crm_id,valid_from,postcode', 'C-1,2026-02-01,13001');
    expect(profiles.subjectAttributes('ana', jan).attributes.region?.value).toBe(paris.place.region.code);
    expect(profiles.subjectAttributes('ana', mar).attributes.region?.value).toBe(marseille.place.region.code);
    expect(profiles.resolvedAttributes(jan).get('ana')?.region).toBe(paris.place.region.code);
    expect(profiles.resolvedAttributes(mar).get('ana')).toMatchObject({ postcode: '13001', region: marseille.place.region.code });
  });

  it('flags an ambiguous postcode: stored without a commune (an earlier one no longer holds), département and région derived', () => {
    const ambiguous = resolvePlace({ postcode: '01400' });
    if (!ambiguous.ok || !ambiguous.place.ambiguity) throw new Error('01400 serves several communes');
    const chosen = ambiguous.place.ambiguity.communes[0]!.code;
    traits('crm', 'crm_id,valid_from,postcode,commune_code', `C-2,2025-01-01,01400,${chosen}`);
    expect(profiles.subjectAttributes('ben', jan).attributes.commune?.value).toBe(chosen);
    const report = traits('crm', 'crm_id,valid_from,postcode', 'C-2,2026-02-01,1400', 'C-3,2026-02-01,99999');
    expect(report.flaggedPlaces).toEqual({
      count: 1,
      rows: [{ row: 'traits.csv line 2', postcode: '01400', communes: ambiguous.place.ambiguity.communes.map((c) => c.code) }],
    });
    expect(report.unresolvedPlaces).toEqual({
      count: 1,
      rows: [{ row: 'traits.csv line 3', code: errorCodes.unknownPostcode, message: expect.stringContaining('99999') }],
    });
    const now = profiles.subjectAttributes('ben', mar).attributes;
    expect(now.commune).toBeUndefined();
    expect(now.region?.value).toBe(ambiguous.place.region.code);
    expect(now.departement?.value).toBe(ambiguous.place.departement.code);
  });

  it('reports unmatched and ambiguous rows (a shared family address) without storing them', () => {
    const report = traits('web', 'email,app_install_id,plan', 'family@example.org,,basic', 'stranger@example.org,,basic', 'carla@example.org,,basic');
    expect(report).toMatchObject({
      rows: 3,
      matched: 1,
      unmatched: { count: 1, rows: ['traits.csv line 3'] },
      ambiguous: { count: 1, rows: [{ row: 'traits.csv line 2', individuals: ['ana', 'ben'] }] },
      values: 1,
    });
    expect(profiles.resolvedAttributes(clock)).toEqual(new Map([['carla', { plan: 'basic' }]]));
  });

  it('counts a conflicting row once, listing each attribute that contradicts a more trusted source at the row’s date', () => {
    traits('crm', 'crm_id,valid_from,plan,age_band', 'C-1,2025-01-01,premium,35-44', 'C-3,2025-01-01,basic,25-34');
    const report = traits(
      'loyalty',
      'loyalty_card,valid_from,plan,age_band,tier',
      'L-1,2026-01-01,basic,45-54,gold',
      'L-3,2026-01-01,basic,25-34,silver',
      'L-3,2024-01-01,gold,18-24,silver',
    );
    expect(report.conflicting).toEqual({
      count: 1,
      rows: [
        { row: 'traits.csv line 2', individual: 'ana', attribute: 'plan', value: 'basic', winning: { source: 'crm', value: 'premium' } },
        { row: 'traits.csv line 2', individual: 'ana', attribute: 'age_band', value: '45-54', winning: { source: 'crm', value: '35-44' } },
      ],
    });
    expect(report.values).toBe(9);
    expect(profiles.subjectAttributes('ana', mar).attributes.plan?.overridden.map((o) => o.source)).toEqual(['loyalty']);
  });

  it('refuses a file with malformed rows as a whole, naming every one', () => {
    const error = refusal(() =>
      traits('crm', 'crm_id,valid_from,plan', 'C-1,2026-01-01,basic', ',2026-01-01,basic', 'C-2,2026-13-45,basic', 'C-3,yesterday,basic'),
    );
    expect((error as ParcoursInputError).details.map((d) => d.path)).toEqual(['traits.csv line 3', 'traits.csv line 4', 'traits.csv line 5']);
    expect(profiles.resolvedAttributes(clock).size).toBe(0);
    expect(profiles.getSource('crm')?.lastImportAt).toBeNull();
  });

  it('refuses columns the source cannot have: another source’s key, a plain address it does not join on, a derived place', () => {
    for (const [header, named] of [
      ['crm_id,loyalty_card', 'loyalty_card'],
      ['crm_id,email', 'email'],
      ['crm_id,region', 'region'],
      ['crm_id,Plan', 'Plan'],
    ] as const) {
      const error = refusal(() => traits('crm', header, 'C-1,x')) as ParcoursInputError;
      expect(error.details).toEqual([{ path: 'traits.csv line 1', message: expect.stringContaining(named) }]);
    }
    const rows = refusal(() =>
      profiles.importTraits('web', { json: [{ email: 'carla@example.org', crm_id: 'C-3' }, { plan: 'basic' }, { app_install_id: 'A', tags: ['x'] }] }),
    );
    expect((rows as ParcoursInputError).details.map((d) => d.path)).toEqual(['rows[0]', 'rows[1]', 'rows[2]']);
    expect(refusal(() => traits('nope', 'crm_id', 'C-1')).code).toBe(errorCodes.notFound);
  });

  it('takes the import’s date for rows without valid_from, and JSON values as they are', () => {
    const report = profiles.importTraits('web', { json: [{ email: 'carla@example.org', visits: 12, app_user: true, note: null }] }, jan);
    expect(report).toMatchObject({ matched: 1, values: 2 });
    expect(profiles.subjectAttributes('carla', jan).attributes).toMatchObject({ visits: { value: 12, validFrom: jan }, app_user: { value: true } });
    expect(refusal(() => profiles.subjectAttributes('nobody', jan)).code).toBe(errorCodes.notFound);
  });
});
