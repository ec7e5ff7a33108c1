import { errorCodes } from '@parcours/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';

let app: ParcoursApp;
const call = <T = unknown>(method: string, path: string, body?: unknown) => api<T>(app.urls.http, method, `/api/v1${path}`, body);

beforeAll(async () => {
  app = await startApp(testConfig());
  await call('POST', '/subjects', { id: 'ana', kind: 'individual', type: 'person', name: 'Ana' });
  await call('POST', '/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  await call('POST', '/devices', { id: 'tv', type: 'tv' });
});

afterAll(() => app.stop());

describe('registry HTTP API: update, delete, history', () => {
  it('corrects a membership interval under the same overlap rules', async () => {
    await call('POST', '/memberships', {
      id: 'm1',
      individualId: 'ana',
      collectiveId: 'home',
      validFrom: '2026-01-01T00:00:00Z',
      validTo: '2026-02-01T00:00:00Z',
    });
    await call('POST', '/memberships', { id: 'm2', individualId: 'ana', collectiveId: 'home', validFrom: '2026-03-01T00:00:00Z' });
    const clash = await call<{ code: string }>('PATCH', '/memberships/m1', { validTo: '2026-03-15T00:00:00Z' });
    expect(clash).toMatchObject({ status: 409, body: { code: errorCodes.overlap } });
    const fixed = await call<{ validTo: string }>('PATCH', '/memberships/m1', { validTo: '2026-02-15T00:00:00Z', role: 'parent' });
    expect(fixed).toMatchObject({ status: 200, body: { validTo: '2026-02-15T00:00:00.000Z', role: 'parent' } });
    expect((await call('PATCH', '/memberships/m1', { collectiveId: 'elsewhere' })).status).toBe(400);
  });

  it('moves a device by correcting its assignment, and checks the assignment belongs to the device', async () => {
    await call('POST', '/devices/tv/assignments', { id: 'a1', subjectId: 'home', validFrom: '2026-01-01T00:00:00Z' });
    expect((await call('PATCH', '/devices/tv/assignments/a1', { subjectId: 'ana' })).body).toMatchObject({ subjectId: 'ana' });
    expect((await call('GET', '/devices/other/assignments/a1')).status).toBe(404);
    expect((await call('PATCH', '/devices/tv/assignments/a1', { subjectId: 'nobody' })).status).toBe(404);
  });

  it('refuses to delete what history still names, then deletes in order', async () => {
    expect((await call<{ code: string }>('DELETE', '/subjects/home')).body).toMatchObject({ code: errorCodes.conflict });
    expect((await call<{ code: string }>('DELETE', '/devices/tv')).body).toMatchObject({ code: errorCodes.conflict });
    expect((await call('DELETE', '/devices/tv/assignments/a1')).status).toBe(204);
    expect((await call('DELETE', '/devices/tv')).status).toBe(204);
    expect((await call('GET', '/devices/tv')).status).toBe(404);
  });

  it('keeps every change with its time, before and after', async () => {
    const { body } = await call<{ items: { entity: string; entityId: string; action: string; before: unknown; after: unknown; at: string }[] }>(
      'GET',
      '/registry/changes?entity=membership&entityId=m1',
    );
    expect(body.items.map((c) => c.action)).toEqual(['create', 'update']);
    expect(body.items[1]).toMatchObject({
      before: { validTo: Date.parse('2026-02-01T00:00:00Z') },
      after: { validTo: Date.parse('2026-02-15T00:00:00Z'), role: 'parent' },
    });
    const devices = await call<{ items: { action: string }[] }>('GET', '/registry/changes?entity=device&entityId=tv');
    expect(devices.body.items.map((c) => c.action)).toEqual(['create', 'delete']);
  });

  it('documents every route in the OpenAPI document', async () => {
    const openapi = (await api<{ paths: Record<string, Record<string, unknown>> }>(app.urls.http, 'GET', '/openapi.json')).body;
    const documented = new Set(Object.entries(openapi.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)));
    const routes = app.httpRoutes().filter((r) => r.url.startsWith('/api/') || r.url === '/healthz');
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) expect(documented, `${route.method} ${route.url}`).toContain(`${route.method} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
  });
});
