import { createHash } from 'node:crypto';
import { errorCodes, problemContentType } from '@parcours/contracts';
import { resolvePlace } from '@parcours/geography';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, scrapeMetrics, startApp, testConfig } from './helpers.js';

let app: ParcoursApp;
let reader: string;

const sources = [
  { id: 'crm', kind: 'crm', name: 'CRM', joinKeys: ['crm_id'], priority: 100, expectedFreshness: '7d' },
  { id: 'loyalty', kind: 'loyalty', name: 'Loyalty programme', joinKeys: ['loyalty_card'], priority: 70, expectedFreshness: '30d' },
  { id: 'web', kind: 'web_analytics', name: 'Web analytics', joinKeys: ['email_sha256', 'app_install_id'], priority: 50, expectedFreshness: null },
];

async function postCsv<T>(path: string, csv: string): Promise<{ status: number; type: string | null; body: T }> {
  const response = await fetch(`${app.urls.http}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', authorization: `Bearer ${adminKey()}` },
    body: csv,
  });
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as T };
}

beforeAll(async () => {
  app = await startApp(testConfig());
  reader = app.gateway.apiKeys.create({ name: 'analyst', role: 'reader' }).key;
  for (const id of ['ana', 'ben', 'carla'])
    expect((await api(app.urls.http, 'POST', '/api/v1/subjects', { id, kind: 'individual', type: 'person', name: id })).status).toBe(201);
});

afterAll(() => app.stop());

describe('profiles over HTTP', () => {
  it('creates sources idempotently, shows their freshness, changes their trust', async () => {
    for (const source of sources) expect((await api(app.urls.http, 'POST', '/api/v1/sources', source)).status).toBe(201);
    expect((await api(app.urls.http, 'POST', '/api/v1/sources', sources[0])).status).toBe(200);
    const clash = await api<{ code: string }>(app.urls.http, 'POST', '/api/v1/sources', { ...sources[0], priority: 1 });
    expect(clash).toMatchObject({ status: 409, body: { code: errorCodes.conflict } });
    const list = await api<{ items: { id: string; expectedFreshness: number | null; overdue: boolean; lastImportAt: string | null }[] }>(
      app.urls.http,
      'GET',
      '/api/v1/sources',
      undefined,
      reader,
    );
    expect(list.body.items.map((s) => [s.id, s.expectedFreshness, s.overdue, s.lastImportAt])).toEqual([
      ['crm', 7 * 86_400_000, true, null],
      ['loyalty', 30 * 86_400_000, true, null],
      ['web', null, false, null],
    ]);
    expect((await api(app.urls.http, 'PATCH', '/api/v1/sources/web', { priority: 55 })).body).toMatchObject({ priority: 55 });
    expect((await api(app.urls.http, 'PATCH', '/api/v1/sources/web', { priority: 55 }, reader)).status).toBe(403);
    expect((await api<{ code: string }>(app.urls.http, 'GET', '/api/v1/sources/nope')).body.code).toBe(errorCodes.notFound);
  });

  it('imports identities from CSV, all or nothing, and sets one individual’s keys', async () => {
    const refused = await postCsv<{ code: string; errors: { path: string }[] }>(
      '/import/identities',
      'individual_id,crm_id,email\nana,C-1,ana@example.org\nnobody,C-9,\nben,,\n',
    );
    expect(refused).toMatchObject({ status: 400, type: expect.stringContaining(problemContentType), body: { code: errorCodes.validation } });
    expect(refused.body.errors.map((e) => e.path)).toEqual(['identities.csv line 3', 'identities.csv line 4']);
    const imported = await postCsv(
      '/import/identities',
      'individual_id,crm_id,loyalty_card,email\nana,C-1,L-1,family@example.org\nben,C-2,,Family@example.org\n',
    );
    expect(imported).toMatchObject({ status: 200, body: { individuals: 2, keys: 5 } });
    const put = await api(app.urls.http, 'PUT', '/api/v1/subjects/carla/identities', { keys: { crm_id: 'C-3', app_install_id: 'A-3' } });
    expect(put).toMatchObject({ status: 200, body: { individualId: 'carla', keys: { crm_id: 'C-3', app_install_id: 'A-3' } } });
    const got = await api<{ keys: Record<string, string> }>(app.urls.http, 'GET', '/api/v1/subjects/ben/identities', undefined, reader);
    expect(got.body.keys).toEqual({ crm_id: 'C-2', email_sha256: createHash('sha256').update('family@example.org').digest('hex') });
    expect((await api<{ code: string }>(app.urls.http, 'GET', '/api/v1/subjects/nobody/identities')).body.code).toBe(errorCodes.notFound);
  });

  it('imports traits as CSV and JSON, reports each class of row, and answers attributes as of a date', async () => {
    const crm = await postCsv<{ matched: number; values: number }>(
      '/import/traits?source=crm',
      'crm_id,valid_from,plan,postcode\nC-1,2025-01-01,premium,75011\nC-3,2025-01-01,basic,13008\n',
    );
    expect(crm).toMatchObject({ status: 200, body: { matched: 2 } });
    const web = await api<Record<string, unknown>>(app.urls.http, 'POST', '/api/v1/import/traits?source=web&validFrom=2026-01-01', [
      { email: 'family@example.org', plan: 'basic' },
      { app_install_id: 'A-3', plan: 'plus', visits: 4 },
      { app_install_id: 'A-404', plan: 'plus' },
    ]);
    expect(web).toMatchObject({
      status: 200,
      body: {
        source: 'web',
        rows: 3,
        matched: 1,
        unmatched: { count: 1, rows: ['rows[2]'] },
        ambiguous: { count: 1, rows: [{ row: 'rows[0]', individuals: ['ana', 'ben'] }] },
        conflicting: {
          count: 1,
          rows: [{ row: 'rows[1]', individual: 'carla', attribute: 'plan', value: 'plus', winning: { source: 'crm', value: 'basic' } }],
        },
        values: 2,
      },
    });
    const place = resolvePlace({ postcode: '13008' });
    if (!place.ok) throw new Error('13008');
    const attributes = await api<{
      at: string;
      attributes: Record<string, { value: unknown; source: string; validFrom: string; overridden: { source: string }[] }>;
    }>(app.urls.http, 'GET', '/api/v1/subjects/carla/attributes?at=2026-02-01', undefined, reader);
    expect(attributes.body.at).toBe('2026-02-01T00:00:00.000Z');
    expect(attributes.body.attributes.plan).toMatchObject({
      value: 'basic',
      source: 'crm',
      validFrom: '2025-01-01T00:00:00.000Z',
      overridden: [{ source: 'web' }],
    });
    expect(attributes.body.attributes.region?.value).toBe(place.place.region.code);
    expect(attributes.body.attributes.visits?.value).toBe(4);
    const before = await api<{ attributes: Record<string, unknown> }>(app.urls.http, 'GET', '/api/v1/subjects/carla/attributes?at=2024-12-31');
    expect(before.body.attributes).toEqual({});
    expect((await api<{ lastImportAt: string | null }>(app.urls.http, 'GET', '/api/v1/sources/crm')).body.lastImportAt).not.toBeNull();
    const metrics = await scrapeMetrics(app.urls.http);
    expect(metrics).toContain('parcours_profile_trait_rows_total{source="web",outcome="ambiguous"} 1');
    expect(metrics).toContain('parcours_profile_identity_keys_total 5');
  });

  it('refuses with problems: an unknown source, a row without the source’s keys, a malformed date, a reader writing', async () => {
    const unknown = await postCsv<{ code: string }>('/import/traits?source=nope', 'crm_id,plan\nC-1,x\n');
    expect(unknown).toMatchObject({ status: 404, body: { code: errorCodes.notFound } });
    const rows = await postCsv<{ code: string; errors: { path: string; message: string }[] }>(
      '/import/traits?source=crm',
      'crm_id,valid_from,plan\n,2026-01-01,x\nC-1,2026-02-30T00:00:00Z,x\nC-2,2026-01-01,y\n',
    );
    expect(rows).toMatchObject({ status: 400, body: { code: errorCodes.validation } });
    expect(rows.body.errors.map((e) => e.path)).toEqual(['traits.csv line 2', 'traits.csv line 3']);
    const otherKeys = await api<{ errors: { path: string; message: string }[] }>(app.urls.http, 'POST', '/api/v1/import/traits?source=crm', [
      { loyalty_card: 'L-1', plan: 'x' },
    ]);
    expect(otherKeys).toMatchObject({ status: 400, body: { errors: [{ path: 'rows[0]', message: expect.stringContaining('loyalty_card') }] } });
    const asReader = await fetch(`${app.urls.http}/api/v1/import/traits?source=crm`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${reader}` },
      body: 'crm_id,plan\nC-1,x\n',
    });
    expect(asReader.status).toBe(403);
    const text = await fetch(`${app.urls.http}/api/v1/import/traits?source=crm`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${adminKey()}` },
      body: 'crm_id,plan\nC-1,x\n',
    });
    expect(text.status).toBe(415);
    expect((await api(app.urls.http, 'GET', '/api/v1/subjects/ben/attributes?at=2026-01-01')).body).toMatchObject({ attributes: {} });
  });
});
