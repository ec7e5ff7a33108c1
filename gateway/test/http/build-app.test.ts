import type { ApiKeyInfo } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { requireKey } from '../../src/auth/require-key.js';
import { buildHttpApp, type HttpApp } from '../../src/http/build-app.js';

const reader: ApiKeyInfo = { id: 'r', name: 'dashboard', role: 'reader', subjects: [], createdAt: 0 };
const failures: string[] = [];

function build(routes: FastifyPluginAsync[]): Promise<HttpApp> {
  return buildHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    health: () => ({ store: { ok: true } }),
    routes,
    version: '0.0.0',
    authorize: requireKey(
      (key) => (key === 'pk_reader' ? reader : null),
      (reason) => failures.push(reason),
    ),
    countError: () => {},
    requestTimeout: 60_000,
  });
}

let app: HttpApp | undefined;
afterEach(() => app?.close());

describe('route access in the HTTP app', () => {
  it('refuses at start-up a route that declares no access, naming it', async () => {
    const forgetful: FastifyPluginAsync = async (api) => {
      api.get('/things', async () => ({}));
    };
    await expect(build([forgetful])).rejects.toThrow(/GET \/api\/v1\/things declares no valid access/);
  });

  it('opens the health check and the API description, asks a key everywhere else, and documents which routes need none', async () => {
    const things: FastifyPluginAsync = async (api) => {
      api.get('/things', { config: { access: 'read' } }, async () => ({ items: [] }));
      api.post('/things', { config: { access: 'write' } }, async () => ({}));
    };
    app = await build([things]);
    // Requests injected into the app, as fastify recommends for tests (no socket), redirects followed as a browser does.
    const call = async (method: 'GET' | 'HEAD' | 'POST', path: string, key?: string): Promise<number> => {
      const response = await app!.inject({ method, url: path, headers: key ? { authorization: `Bearer ${key}` } : {} });
      const location = response.headers.location;
      return response.statusCode === 302 && typeof location === 'string'
        ? call(method, new URL(location, `http://app${path}`).pathname, key)
        : response.statusCode;
    };

    for (const path of ['/healthz', '/openapi.json', '/docs', '/docs/', '/docs/json', '/docs/static/index.html'])
      expect(await call('GET', path), path).toBe(200);
    expect(await call('HEAD', '/healthz')).toBe(200);
    expect(await call('GET', '/nowhere')).toBe(404);
    failures.length = 0;
    expect(await call('GET', '/metrics')).toBe(401);
    expect(await call('GET', '/api/v1/things', 'pk_wrong')).toBe(401);
    expect(await call('GET', '/api/v1/things', 'pk_reader')).toBe(200);
    expect(await call('HEAD', '/api/v1/things', 'pk_reader')).toBe(200);
    expect(await call('POST', '/api/v1/things', 'pk_reader')).toBe(403);
    expect(failures).toEqual(['missing', 'unknown', 'forbidden']);

    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      security: unknown;
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    expect(document.security).toEqual([{ apiKey: [] }]);
    expect(document.paths['/healthz']!.get!.security).toEqual([]);
    expect(document.paths['/api/v1/things']!.get!.security).toBeUndefined();
  });
});
