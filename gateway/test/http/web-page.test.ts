import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { requireKey } from '../../src/auth/require-key.js';
import { buildHttpApp, type HttpApp } from '../../src/http/build-app.js';
import { acceptsGzip, webPageSecurityPolicy } from '../../src/http/web-page.js';

let app: HttpApp | undefined;
afterEach(() => app?.close());

async function build(): Promise<HttpApp> {
  app = await buildHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    health: () => ({}),
    routes: [],
    version: '0.0.0',
    authorize: requireKey(
      () => null,
      () => {},
    ),
    countError: () => {},
    requestTimeout: 60_000,
  });
  return app;
}

describe('the web page', () => {
  it('leads from / to /ui/, where it serves the page and the ECharts build without a key, under a strict security policy', async () => {
    const http = await build();
    for (const url of ['/', '/ui']) expect((await http.inject({ url })).headers.location, url).toBe('/ui/');
    const page = await http.inject({ url: '/ui/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<script type="module" src="app.js"></script>');
    expect(page.headers['content-security-policy']).toBe(webPageSecurityPolicy);
    expect(webPageSecurityPolicy).toContain("script-src 'self';");
    expect(webPageSecurityPolicy).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const echarts = await http.inject({ url: '/ui/vendor/echarts.min.js' });
    expect(echarts.statusCode).toBe(200);
    expect(echarts.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(echarts.body).toContain('echarts');
    for (const file of ['app.js', 'api.js', 'charts.js', 'dates.js', 'fleet-view.js', 'day-view.js', 'paths-view.js', 'style.css'])
      expect((await http.inject({ url: `/ui/${file}` })).statusCode, file).toBe(200);
  });

  it('answers 304 to a browser holding the current version, and 200 with the file to one holding another', async () => {
    const http = await build();
    const first = await http.inject({ url: '/ui/app.js' });
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers['cache-control']).toBe('no-cache');
    const again = await http.inject({ url: '/ui/app.js', headers: { 'if-none-match': `"other", ${etag}` } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
    const stale = await http.inject({ url: '/ui/app.js', headers: { 'if-none-match': '"other"' } });
    expect(stale.statusCode).toBe(200);
    expect(stale.body).toBe(first.body);
    expect((await http.inject({ url: '/ui/index.html' })).statusCode).toBe(404);
    expect((await http.inject({ url: '/ui/../package.json' })).statusCode).toBe(404);
  });

  it('sends a browser that takes gzip the same file compressed, and one that does not the file itself', async () => {
    const http = await build();
    const plain = await http.inject({ url: '/ui/vendor/echarts.min.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('accept-encoding');
    const zipped = await http.inject({ url: '/ui/vendor/echarts.min.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.etag).toBe(`${String(plain.headers.etag).slice(0, -1)}-gzip"`);
    const held = { 'accept-encoding': 'gzip', 'if-none-match': String(zipped.headers.etag) };
    expect((await http.inject({ url: '/ui/vendor/echarts.min.js', headers: held })).statusCode).toBe(304);
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
    expect(gunzipSync(zipped.rawPayload).equals(plain.rawPayload)).toBe(true);
  });

  it('reads Accept-Encoding as RFC 9110 writes it', () => {
    expect(['gzip', 'deflate, GZIP;q=0.5', '*', 'br, *;q=1'].map(acceptsGzip)).toEqual([true, true, true, true]);
    expect([undefined, '', 'br', 'gzip;q=0', 'gzip; q=0.000', 'identity'].map(acceptsGzip)).toEqual([false, false, false, false, false, false]);
  });
});
