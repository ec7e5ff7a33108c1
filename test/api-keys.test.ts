import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api, startApp, testConfig } from './helpers.js';

/** Every route, every role: who may call what, the role enforced on every route. */
let app: ParcoursApp;
let keys: Record<'reader' | 'integrator', string>;

/** A concrete URL for a route, with ids that exist where the route needs one. */
function concrete(url: string): string {
  return url
    .replace(':assignmentId', 'a1')
    .replace('/subjects/:id', '/subjects/home')
    .replace('/devices/:id', '/devices/tv')
    .replace('/memberships/:id', '/memberships/m1');
}

beforeAll(async () => {
  app = await startApp(testConfig());
  await api(app.urls.http, 'POST', '/api/v1/subjects', { id: 'home', kind: 'collective', type: 'household', name: 'Home' });
  await api(app.urls.http, 'POST', '/api/v1/subjects', { id: 'flat', kind: 'collective', type: 'household', name: 'Flat' });
  await api(app.urls.http, 'POST', '/api/v1/devices', { id: 'tv', type: 'tv' });
  keys = {
    reader: app.gateway.apiKeys.create({ name: 'dashboard', role: 'reader' }).key,
    integrator: app.gateway.apiKeys.create({ name: 'crm', role: 'integrator', subjects: ['home'] }).key,
  };
});

afterAll(() => app.stop());

describe('API keys and roles', () => {
  it('asks for a key on every route but /healthz (401), and refuses an unknown one', async () => {
    const routes = app.httpRoutes().filter((r) => r.url.startsWith('/api/') || r.url === '/metrics');
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) {
      expect((await api(app.urls.http, route.method, concrete(route.url), undefined, null)).status, `${route.method} ${route.url}`).toBe(401);
      expect((await api(app.urls.http, route.method, concrete(route.url), undefined, 'pk_wrong')).status, `${route.method} ${route.url}`).toBe(401);
    }
    expect((await api(app.urls.http, 'GET', '/healthz', undefined, null)).status).toBe(200);
  });

  it('lets a reader read everything and change nothing (403)', async () => {
    for (const route of app.httpRoutes().filter((r) => r.url.startsWith('/api/'))) {
      const status = (await api(app.urls.http, route.method, concrete(route.url), route.method === 'GET' ? undefined : {}, keys.reader)).status;
      if (route.method === 'GET') expect([200, 400, 404], `${route.method} ${route.url}`).toContain(status);
      else expect(status, `${route.method} ${route.url}`).toBe(403);
    }
  });

  it('lets an integrator read only the subjects granted to it, their sessions and journeys', async () => {
    const range = 'from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z';
    const readable = ['/api/v1/subjects/:id', '/api/v1/subjects/:id/sessions', '/api/v1/subjects/:id/journeys'];
    for (const stream of ['', '/sessions', '/journeys']) {
      expect((await api(app.urls.http, 'GET', `/api/v1/subjects/home${stream}?${range}`, undefined, keys.integrator)).status).toBe(200);
      expect((await api(app.urls.http, 'GET', `/api/v1/subjects/flat${stream}?${range}`, undefined, keys.integrator)).status).toBe(403);
    }
    for (const route of app.httpRoutes().filter((r) => r.url.startsWith('/api/') && !readable.includes(r.url))) {
      expect((await api(app.urls.http, route.method, concrete(route.url), undefined, keys.integrator)).status, `${route.method} ${route.url}`).toBe(403);
    }
  });

  it('counts refusals, and keeps only a hash of each key', async () => {
    const metrics = await (await fetch(`${app.urls.http}/metrics`, { headers: { 'x-api-key': keys.reader } })).text();
    expect(metrics).toMatch(/parcours_http_auth_failures_total\{reason="forbidden"\} [1-9]/);
    expect(metrics).toMatch(/parcours_http_auth_failures_total\{reason="missing"\} [1-9]/);
    const stored = app.gateway.db.prepare<[], { key_hash: string }>('SELECT key_hash FROM api_keys').all();
    expect(stored.every((row) => /^[0-9a-f]{64}$/.test(row.key_hash))).toBe(true);
    expect(stored.map((row) => row.key_hash)).not.toContain(keys.reader);
  });
});
