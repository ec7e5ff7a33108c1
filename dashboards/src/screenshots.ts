import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { readShippedDashboards } from './shipped-dashboards.js';

/**
 * Renders each shipped dashboard of a running Grafana to a PNG, with Debian's chromium through
 * playwright-core (never a downloaded browser). No Grafana runs where the tests run, so only the parts
 * before the browser are tested; the rest is kept short.
 *
 *   node dashboards/dist/screenshots.js --url http://localhost:3000 --out screenshots [--from now-24h --to now]
 *
 * Credentials: GRAFANA_TOKEN (a service account token) or GRAFANA_USER and GRAFANA_PASSWORD.
 */

export interface ScreenshotOptions {
  url: string;
  out: string;
  from: string;
  to: string;
  width: number;
  height: number;
  chromium: string;
  auth: { token: string } | { user: string; password: string } | null;
}

const usage =
  'usage: screenshots --url <grafana url> [--out dir] [--from now-24h] [--to now] [--width 1600] [--height 1000] [--chromium /usr/bin/chromium]; credentials in GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD';

/** The options from the command line and the environment; throws a sentence with the usage when they are wrong. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): ScreenshotOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: env.GRAFANA_URL },
      out: { type: 'string', default: 'screenshots' },
      from: { type: 'string', default: 'now-24h' },
      to: { type: 'string', default: 'now' },
      width: { type: 'string', default: '1600' },
      height: { type: 'string', default: '1000' },
      chromium: { type: 'string', default: '/usr/bin/chromium' },
    },
    strict: true,
  });
  if (!values.url) throw new Error(`no Grafana URL: pass --url or set GRAFANA_URL\n${usage}`);
  let base: URL;
  try {
    base = new URL(values.url);
  } catch {
    throw new Error(`--url ${values.url} is not a URL\n${usage}`);
  }
  const size = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 200) throw new Error(`--${name} must be a whole number of pixels, at least 200\n${usage}`);
    return n;
  };
  const token = env.GRAFANA_TOKEN;
  const user = env.GRAFANA_USER;
  const password = env.GRAFANA_PASSWORD;
  if ((user === undefined) !== (password === undefined)) throw new Error(`set both GRAFANA_USER and GRAFANA_PASSWORD, or neither\n${usage}`);
  return {
    url: base.href.replace(/\/$/, ''),
    out: values.out,
    from: values.from,
    to: values.to,
    width: size('width', values.width),
    height: size('height', values.height),
    chromium: values.chromium,
    auth: token ? { token } : user !== undefined && password !== undefined ? { user, password } : null,
  };
}

/** The headers Grafana's HTTP API and pages accept for these credentials. */
export function authHeaders(auth: ScreenshotOptions['auth']): Record<string, string> {
  if (auth === null) return {};
  if ('token' in auth) return { Authorization: `Bearer ${auth.token}` };
  return { Authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` };
}

/** One page per shipped dashboard, in kiosk mode, with the time range; the PNG is named after the uid. */
export function dashboardPages(options: Pick<ScreenshotOptions, 'url' | 'out' | 'from' | 'to'>): { uid: string; title: string; url: string; file: string }[] {
  return readShippedDashboards().map(({ file, dashboard: { uid, title } }) => {
    if (!uid || !title) throw new Error(`${file}: a dashboard without uid or title`);
    const query = new URLSearchParams({ orgId: '1', from: options.from, to: options.to, kiosk: '' });
    return { uid, title, url: `${options.url}/d/${uid}?${query.toString()}`, file: join(options.out, `${uid}.png`) };
  });
}

/**
 * Fails with a sentence saying what is wrong when Grafana cannot be used: unreachable, refusing the
 * credentials, or without the provisioned dashboards.
 */
export async function checkGrafana(options: Pick<ScreenshotOptions, 'url' | 'auth'>, uids: string[], timeoutMs = 5_000): Promise<void> {
  const get = async (path: string) => {
    try {
      return await fetch(`${options.url}${path}`, { headers: authHeaders(options.auth), signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new Error(
        `Grafana is unreachable at ${options.url} (${error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)}): start it (docker compose up) or pass --url`,
      );
    }
  };
  const health = await get('/api/health');
  if (!health.ok) throw new Error(`${options.url}/api/health answered ${health.status}: is this Grafana?`);
  for (const uid of uids) {
    const response = await get(`/api/dashboards/uid/${uid}`);
    if (response.status === 401 || response.status === 403)
      throw new Error(`Grafana refused the credentials (${response.status}): set GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD`);
    if (!response.ok) throw new Error(`Grafana has no dashboard ${uid} (${response.status}): is the Parcours provisioning loaded (dashboards/README.md)?`);
  }
}

/** Renders every page to its PNG; waits for the panels' queries to settle before each shot. */
export async function renderScreenshots(options: ScreenshotOptions): Promise<string[]> {
  const pages = dashboardPages(options);
  await checkGrafana(
    options,
    pages.map((p) => p.uid),
  );
  if (!existsSync(options.chromium))
    throw new Error(`no browser at ${options.chromium}: install Debian's chromium (apt-get install chromium) or pass --chromium`);
  mkdirSync(options.out, { recursive: true });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: options.chromium,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: options.width, height: options.height }, extraHTTPHeaders: authHeaders(options.auth) });
    const page = await context.newPage();
    for (const { url, file } of pages) {
      await page.goto(url, { waitUntil: 'networkidle', timeout: 60_000 });
      await page.screenshot({ path: file, fullPage: true });
    }
    return pages.map((p) => p.file);
  } finally {
    await browser.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const files = await renderScreenshots(parseOptions(process.argv.slice(2), process.env));
    for (const file of files) console.log(file);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
