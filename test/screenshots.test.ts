import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkGrafana, dashboardPages, parseOptions, renderScreenshots } from '../dashboards/src/screenshots.js';

let server: Server | null = null;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = null;
});

/** A stand-in for Grafana's API: Grafana itself does not run here. */
async function fakeGrafana(answer: (path: string, auth: string | undefined) => number): Promise<string> {
  server = createServer((request, response) => {
    response.writeHead(answer(request.url ?? '', request.headers.authorization), { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('checkGrafana', () => {
  it('fails with a clear message when Grafana is unreachable, before any browser starts', async () => {
    const url = await fakeGrafana(() => 200);
    await new Promise((resolve) => server!.close(resolve));
    server = null;
    const options = parseOptions(['--url', url, '--chromium', '/nonexistent/chromium'], {});
    await expect(renderScreenshots(options)).rejects.toThrow(`Grafana is unreachable at ${url}`);
  });

  it('says when Grafana refuses the credentials or lacks the provisioned dashboards', async () => {
    const url = await fakeGrafana((path, auth) =>
      path === '/api/health' ? 200 : auth !== 'Bearer good' ? 401 : path.endsWith('parcours-subjects') ? 404 : 200,
    );
    await expect(checkGrafana({ url, auth: { token: 'bad' } }, ['parcours-subjects'])).rejects.toThrow('Grafana refused the credentials (401)');
    await expect(checkGrafana({ url, auth: { token: 'good' } }, ['parcours-fleet-pipeline', 'parcours-subjects'])).rejects.toThrow(
      'Grafana has no dashboard parcours-subjects (404)',
    );
    await expect(checkGrafana({ url, auth: { token: 'good' } }, ['parcours-fleet-pipeline'])).resolves.toBeUndefined();
  });

  it('says when the browser is missing, once Grafana answers', async () => {
    const url = await fakeGrafana(() => 200);
    await expect(renderScreenshots(parseOptions(['--url', url, '--chromium', '/nonexistent/chromium'], {}))).rejects.toThrow(
      "no browser at /nonexistent/chromium: install Debian's chromium",
    );
  });
});

describe('renderScreenshots', () => {
  // Debian's chromium (installed by scripts/install-test-services.sh), on pages a stand-in Grafana serves.
  it('renders every dashboard page to a PNG with the browser, sending the credentials', async () => {
    const seen: { path: string; auth: string | undefined }[] = [];
    server = createServer((request, response) => {
      seen.push({ path: request.url ?? '', auth: request.headers.authorization });
      if (request.url?.startsWith('/api/')) return response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body><h1>${request.url}</h1></body></html>`);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const out = mkdtempSync(join(tmpdir(), 'parcours-shots-'));
    const files = await renderScreenshots(parseOptions(['--url', url, '--out', out, '--width', '800', '--height', '600'], { GRAFANA_TOKEN: 'glsa_test' }));
    expect(files).toEqual(dashboardPages({ url, out, from: 'now-24h', to: 'now' }).map((p) => p.file));
    for (const file of files) expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
    const pages = seen.filter((r) => r.path.startsWith('/d/'));
    expect(pages.map((r) => r.path.split('?')[0])).toEqual(files.map((f) => `/d/${f.slice(out.length + 1, -'.png'.length)}`));
    expect(new Set(pages.map((r) => r.auth))).toEqual(new Set(['Bearer glsa_test']));
  });
});
