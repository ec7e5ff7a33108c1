import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ambientTypes, builtInSessionRules, configSchema, type Config, type ConfigInput } from '@parcours/contracts';
import { pino } from 'pino';
import { ParcoursApp } from '../src/app.js';

/** `/metrics` as Prometheus would scrape it, with a key. */
export async function scrapeMetrics(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${adminKey()}` } })).text();
}

/** Session rules for sessions from usage events only (no telemetry thresholds), the built-in ambient types kept. */
export const eventSessionRules = Object.fromEntries([...ambientTypes(builtInSessionRules)].map((type) => [type, { ambient: true }]));

/** A whole Parcours on free ports with a fresh data folder and no simulated fleet. */
export function testConfig(overrides: ConfigInput = {}): Config {
  const dir = mkdtempSync(join(tmpdir(), 'parcours-test-'));
  return configSchema.parse({
    ...overrides,
    data: { dir, logRetention: '0s', ...overrides.data },
    log: { level: 'error', format: 'json', ...overrides.log },
    http: { host: '127.0.0.1', port: 0, ...overrides.http },
    // Simulated fleets replay days at full speed, far above a device's publish rate; the limit's own tests set it.
    mqtt: { host: '127.0.0.1', port: 0, publishRate: 1_000_000, ...overrides.mqtt },
    sim: { scenario: 'none', ...overrides.sim },
    // Tests replay fixed dates, whatever the machine's clock says; the device-time tests set their own limits.
    gateway: { maxClockSkew: '3650d', maxLateness: '3650d', ...overrides.gateway },
    // For the same reason the watermark moves with device time only: the clock's would be months ahead of the replay.
    analytics: { idleAdvanceAfter: '0s', ...overrides.analytics },
  });
}

let admin: string | null = null;

/** The admin key printed by the first start of the latest fresh test app (kept across its restarts). */
export function adminKey(): string {
  if (!admin) throw new Error('no test app was started');
  return admin;
}

export async function startApp(config: Config, logTo?: NodeJS.WritableStream): Promise<ParcoursApp> {
  const logger = logTo ? pino({ level: config.log.level }, logTo) : pino({ level: config.log.level });
  const app = await ParcoursApp.open(config, logger);
  await app.start();
  admin = app.initialAdminKey ?? admin;
  return app;
}

/** Calls the API, with the admin key unless another key (or `null`: none) is given. */
export async function api<T = unknown>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  key: string | null = adminKey(),
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}
