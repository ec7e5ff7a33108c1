import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
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

const gzipped = promisify(gzip);

/** Whether an `Accept-Encoding` header takes gzip (`gzip` or `*`, not with `q=0`). */
export function acceptsGzip(header: string | undefined): boolean {
  return (header ?? '').split(',').some((part) => {
    const [coding, ...parameters] = part.split(';').map((token) => token.trim().toLowerCase());
    return (coding === 'gzip' || coding === '*') && !parameters.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

/**
 * Serves the web page's static files, read once when the app is built. Each answer carries an ETag and
 * `Cache-Control: no-cache`: a browser asks again every time and gets a 304 while the file is unchanged,
 * so a new version shows at once. A browser that takes gzip gets it (ECharts is a megabyte, a third of
 * that compressed), compressed at its first request. The files hold no data, so they need no key; the
 * page asks for one.
 */
export async function serveWebPage(app: FastifyInstance): Promise<void> {
  for (const { path, file, type } of pageFiles) {
    const body = await readFile(file);
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
    // Each representation its own strong tag: the file itself, and gzipped.
    const etags = { identity: `"${hash}"`, gzip: `"${hash}-gzip"` };
    let compressed: Promise<Buffer> | null = null;
    app.get(`${webPagePrefix}${path}`, { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
      const coding = acceptsGzip(request.headers['accept-encoding']) ? 'gzip' : 'identity';
      const etag = etags[coding];
      reply.headers({
        'content-security-policy': webPageSecurityPolicy,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-cache',
        vary: 'accept-encoding',
        etag,
      });
      if (request.headers['if-none-match']?.split(',').some((tag) => tag.trim() === etag)) return reply.code(304).send();
      reply.type(contentTypes[type]);
      if (coding === 'identity') return reply.send(body);
      compressed ??= gzipped(body, { level: 9 });
      return reply.header('content-encoding', 'gzip').send(await compressed);
    });
  }
  for (const from of ['/', webPagePrefix.slice(0, -1)])
    app.get(from, { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => reply.redirect(webPagePrefix, 302));
}
