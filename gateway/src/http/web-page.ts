import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** Where the web page is served; `/` leads there. */
export const webPagePrefix = '/ui/';

/** The page's own files, beside this package's `src/` and `dist/`. */
const webDir = fileURLToPath(new URL('../../web/', import.meta.url));

const contentTypes = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' } as const;

/** Every file the page is made of, by its path under the prefix: an explicit list, nothing else is served. */
const pageFiles: { path: string; file: string; type: keyof typeof contentTypes }[] = [
  { path: '', file: `${webDir}index.html`, type: 'html' },
  { path: 'style.css', file: `${webDir}style.css`, type: 'css' },
  { path: 'app.js', file: `${webDir}app.js`, type: 'js' },
  { path: 'api.js', file: `${webDir}api.js`, type: 'js' },
  { path: 'charts.js', file: `${webDir}charts.js`, type: 'js' },
  { path: 'dates.js', file: `${webDir}dates.js`, type: 'js' },
  { path: 'fleet-view.js', file: `${webDir}fleet-view.js`, type: 'js' },
  { path: 'day-view.js', file: `${webDir}day-view.js`, type: 'js' },
  { path: 'paths-view.js', file: `${webDir}paths-view.js`, type: 'js' },
  { path: 'vendor/echarts.min.js', file: createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js'), type: 'js' },
];

/**
 * Only the page's own files may run or style it, and it may only call its own origin: no inline script or
 * style, no other origin, no framing. ECharts draws on a canvas and sets styles through the DOM, which this allows.
 */
export const webPageSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the web page's static files, read once when the app is built. Each answer carries an ETag and
 * `Cache-Control: no-cache`: a browser asks again every time and gets a 304 while the file is unchanged,
 * so a new version shows at once. The files hold no data, so they need no key; the page asks for one.
 */
export async function serveWebPage(app: FastifyInstance): Promise<void> {
  for (const { path, file, type } of pageFiles) {
    const body = await readFile(file);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    app.get(`${webPagePrefix}${path}`, { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
      reply.headers({
        'content-security-policy': webPageSecurityPolicy,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-cache',
        etag,
      });
      if (request.headers['if-none-match']?.split(',').some((tag) => tag.trim() === etag)) return reply.code(304).send();
      return reply.type(contentTypes[type]).send(body);
    });
  }
  for (const from of ['/', webPagePrefix.slice(0, -1)])
    app.get(from, { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => reply.redirect(webPagePrefix, 302));
}
