import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Config } from '@parcours/contracts';
import { InfluxWriteError } from './errors.js';
import { check, send, type Transport } from './http.js';

/** On the libuv thread pool: a batch of thousands of lines took the event loop for milliseconds. */
const gzip = promisify(gzipCallback);

function authHeader(config: Config['influx']): Record<string, string> {
  if (!config.username) return {};
  return { authorization: `Basic ${Buffer.from(`${config.username}:${config.password}`).toString('base64')}` };
}

const quoteIdentifier = (name: string) => `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const quoteString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The 1.x API: `POST /write?db=&rp=&precision=ns`, gzipped; the database is created first (idempotent). */
export async function createV1Transport(config: Config['influx']): Promise<Transport> {
  const base = config.url.replace(/\/$/, '');
  const headers = authHeader(config);
  /** InfluxQL answers 200 even when a statement fails: the error is in the body. */
  const query = async (q: string) => {
    const response = await send(`${base}/query`, { method: 'POST', headers, body: new URLSearchParams({ q, db: config.database }) });
    await check(response);
    const body = (await response.json()) as { results?: { error?: string }[] };
    const error = body.results?.find((r) => r.error)?.error;
    if (error) throw new InfluxWriteError(`InfluxDB refused ${q.split(' ')[0]}: ${error}`, false, 200);
  };
  await query(`CREATE DATABASE ${quoteIdentifier(config.database)}`);
  const params = new URLSearchParams({ db: config.database, precision: 'ns', ...(config.retentionPolicy ? { rp: config.retentionPolicy } : {}) });
  return {
    async write(lines) {
      const body = await gzip(lines.join('\n'));
      await check(
        await send(`${base}/write?${params}`, {
          method: 'POST',
          headers: { ...headers, 'content-encoding': 'gzip', 'content-type': 'text/plain; charset=utf-8' },
          body,
        }),
      );
    },
    async deleteRange({ measurement, tags, from, to }) {
      const where = [...Object.entries(tags).map(([k, v]) => `${quoteIdentifier(k)} = ${quoteString(v)}`), `time >= ${from}ms`, `time < ${to}ms`].join(' AND ');
      await query(`DELETE FROM ${quoteIdentifier(measurement)} WHERE ${where}`);
    },
  };
}
