import { gzipSync } from 'node:zlib';
import type { Config } from '@parcours/contracts';
import { InfluxWriteError, isRetryableStatus, parseRetryAfter } from './errors.js';

export type Transport = (lines: string[]) => Promise<void>;

function authHeader(config: Config['influx']): Record<string, string> {
  if (!config.username) return {};
  return { authorization: `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}` };
}

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    throw new InfluxWriteError(`InfluxDB cannot be reached: ${(error as Error).message}`, true, null);
  }
}

async function check(response: Response): Promise<void> {
  if (response.ok) return;
  const body = (await response.text()).slice(0, 1000);
  throw new InfluxWriteError(`InfluxDB answered ${response.status}: ${body}`, isRetryableStatus(response.status), response.status, parseRetryAfter(response.headers.get('retry-after')));
}

/** The 1.x API: `POST /write?db=&rp=&precision=ns`, gzipped; the database is created first (idempotent). */
export async function createV1Transport(config: Config['influx']): Promise<Transport> {
  const base = config.url.replace(/\/$/, '');
  const headers = authHeader(config);
  await check(await send(`${base}/query`, { method: 'POST', headers, body: new URLSearchParams({ q: `CREATE DATABASE "${config.database.replace(/"/g, '\\"')}"` }) }));
  const params = new URLSearchParams({ db: config.database, precision: 'ns', ...(config.retentionPolicy ? { rp: config.retentionPolicy } : {}) });
  return async (lines) => {
    const body = gzipSync(lines.join('\n'));
    await check(await send(`${base}/write?${params}`, { method: 'POST', headers: { ...headers, 'content-encoding': 'gzip', 'content-type': 'text/plain; charset=utf-8' }, body }));
  };
}
