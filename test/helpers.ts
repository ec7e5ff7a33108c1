import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config, type ConfigInput } from '@parcours/contracts';
import { pino } from 'pino';
import { ParcoursApp } from '../src/app.js';

/** A whole Parcours on free ports with a fresh data folder and no simulated fleet. */
export function testConfig(overrides: ConfigInput = {}): Config {
  const dir = mkdtempSync(join(tmpdir(), 'parcours-test-'));
  return configSchema.parse({
    ...overrides,
    data: { dir, ...overrides.data },
    log: { level: 'error', format: 'json', ...overrides.log },
    http: { host: '127.0.0.1', port: 0, ...overrides.http },
    mqtt: { host: '127.0.0.1', port: 0, ...overrides.mqtt },
    sim: { scenario: 'none', ...overrides.sim },
  });
}

export async function startApp(config: Config): Promise<ParcoursApp> {
  const app = new ParcoursApp(config, pino({ level: config.log.level }));
  await app.start();
  return app;
}

export async function api<T = unknown>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}
