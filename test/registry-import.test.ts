import { errorCodes } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, startApp, testConfig } from './helpers.js';

let app: ParcoursApp;

async function postCsv<T>(kind: string, csv: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${app.urls.http}/api/v1/import/${kind}`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', authorization: `Bearer ${adminKey()}` },
    body: csv,
  });
  return { status: response.status, body: (await response.json()) as T };
}

const countSubjects = () => app.gateway.registry.listSubjects({ limit: 1000, offset: 0 }).length;

beforeAll(async () => {
  app = await startApp(testConfig());
});

afterAll(() => app.stop());

describe('bulk import of a CRM export', () => {
  it('imports subjects from CSV with their segment columns as attributes, then memberships, devices and assignments', async () => {
    const subjects = [
      'id,kind,type,name,region,age_band,plan',
      'ana,individual,person,Ana Martin,lyon,35-44,premium',
      '"ben",individual,person,"Martin, Ben",lyon,,basic',
      'hh-1,collective,household,Martin household,lyon,,',
    ].join('\r\n');
    const imported = await postCsv<{ created: Record<string, number> }>('subjects', subjects);
    expect(imported).toMatchObject({ status: 200, body: { created: { subjects: 3 } } });
    expect(app.gateway.registry.getSubject('ben')).toEqual({
      id: 'ben',
      kind: 'individual',
      type: 'person',
      name: 'Martin, Ben',
      attributes: { region: 'lyon', plan: 'basic' },
    });
    const memberships =
      'individual_id,collective_id,role,valid_from,valid_to\nana,hh-1,parent,2025-01-01T00:00:00Z,\nben,hh-1,,2025-01-01T00:00:00Z,2026-06-01T00:00:00Z\n';
    expect((await postCsv('memberships', memberships)).status).toBe(200);
    expect(
      app.gateway.registry
        .listMemberships({ collectiveId: 'hh-1', limit: 10, offset: 0 })
        .map((m) => [m.individualId, m.validTo])
        .sort(),
    ).toEqual([
      ['ana', null],
      ['ben', Date.parse('2026-06-01T00:00:00Z')],
    ]);
    const json = await api<{ created: Record<string, number>; unchanged: Record<string, number> }>(app.urls.http, 'POST', '/api/v1/import', {
      devices: [{ id: 'tv-1', type: 'tv' }],
      assignments: [{ deviceId: 'tv-1', subjectId: 'hh-1', validFrom: '2025-01-01T00:00:00Z' }],
      subjects: [{ id: 'ana', kind: 'individual', type: 'person', name: 'Ana Martin', attributes: { region: 'lyon', age_band: '35-44', plan: 'premium' } }],
    });
    expect(json).toMatchObject({ status: 200, body: { created: { devices: 1, assignments: 1, subjects: 0 }, unchanged: { subjects: 1 } } });
  });

  it('refuses a file with bad rows as a whole, naming every bad line', async () => {
    const before = countSubjects();
    const csv = 'id,kind,type,name\nok-1,individual,person,Fine\nbad-1,robot,person,Bad kind\nok-2,individual,person,Fine too\nbad-2,individual,person,\n';
    const { status, body } = await postCsv<{ code: string; errors: { path: string; message: string }[] }>('subjects', csv);
    expect(status).toBe(400);
    expect(body.code).toBe(errorCodes.validation);
    expect(body.errors.map((e) => e.path)).toEqual(['subjects.csv line 3', 'subjects.csv line 5']);
    expect(body.errors[0]!.message).toMatch(/^kind: /);
    expect(countSubjects()).toBe(before);
  });

  it('rolls everything back when a row breaks the registry rules', async () => {
    const before = countSubjects();
    const response = await api<{ errors: { path: string; message: string }[] }>(app.urls.http, 'POST', '/api/v1/import', {
      subjects: [{ id: 'carl', kind: 'individual', type: 'person', name: 'Carl' }],
      memberships: [
        { individualId: 'carl', collectiveId: 'hh-1', validFrom: '2025-01-01T00:00:00Z' },
        { individualId: 'ana', collectiveId: 'hh-1', validFrom: '2025-06-01T00:00:00Z' },
        { individualId: 'nobody', collectiveId: 'hh-1', validFrom: '2025-06-01T00:00:00Z' },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { path: 'memberships[1]', message: expect.stringMatching(new RegExp(`^${errorCodes.overlap}: `)) },
      { path: 'memberships[2]', message: expect.stringMatching(new RegExp(`^${errorCodes.notFound}: `)) },
    ]);
    expect(countSubjects()).toBe(before);
    expect(app.gateway.registry.getSubject('carl')).toBeNull();
  });

  it('names unknown CSV columns', async () => {
    const { status, body } = await postCsv<{ errors: { path: string; message: string }[] }>('devices', 'id,type,colour\ntv-2,tv,red\n');
    expect(status).toBe(400);
    expect(body.errors).toEqual([{ path: 'devices.csv line 1', message: expect.stringContaining('colour') }]);
  });
});
