import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { configSchema, errorCodes } from '@parcours/contracts';
import { createInfluxWriter, writeIsolatingRefused } from '@parcours/gateway';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startInfluxDB, type InfluxServer } from '../tools/services/index.js';

const logger = pino({ level: 'silent' });
const influxConfig = (overrides: Record<string, unknown>) => configSchema.parse({ influx: { database: 'writer_test', ...overrides } }).influx;
const point = (power: number | string, ts = 1_700_000_000_000) => ({
  measurement: 'telemetry',
  tags: { device: 'tv-1' },
  fields: { power_w: power },
  timestampMs: ts,
});

let servers: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

async function influx(options: { port?: number } = {}): Promise<InfluxServer> {
  const server = await startInfluxDB(options);
  servers.push(server);
  return server;
}

async function rows(server: InfluxServer, q: string): Promise<unknown[][]> {
  const body = (await server.query(q, 'writer_test')) as { results: { series?: { values: unknown[][] }[] }[] };
  return body.results[0]?.series?.[0]?.values ?? [];
}

describe('InfluxDB writer against a real InfluxDB 1.6', () => {
  it('detects the v1 API, creates the database, and overwrites rather than duplicates a re-written point', async () => {
    const server = await influx();
    const writer = createInfluxWriter(influxConfig({ url: server.url }), logger);
    expect(writer.apiVersion).toBeNull();
    await writer.write([point(10), point(20, 1_700_000_060_000)]);
    expect(writer.apiVersion).toBe('v1');
    await writer.write([point(11)]);
    expect(await rows(server, 'SELECT power_w FROM telemetry')).toEqual([
      [1_700_000_000_000, 11],
      [1_700_000_060_000, 20],
    ]);
  });

  it('does not retry a point the server refuses, and gives its reason', async () => {
    const server = await influx();
    const writer = createInfluxWriter(influxConfig({ url: server.url }), logger);
    await writer.write([point(10)]);
    const refused = writer.write([point('text', 1_700_000_120_000)]);
    await expect(refused).rejects.toMatchObject({ code: errorCodes.influxWrite, retryable: false, status: 400 });
    await expect(refused).rejects.toThrow(/field type conflict/);
  });

  it('waits for a server that is not up yet, then writes', async () => {
    const port = await freePort();
    const writing = createInfluxWriter(influxConfig({ url: `http://127.0.0.1:${port}` }), logger).write([point(5)]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const server = await influx({ port });
    await writing;
    expect(await rows(server, 'SELECT power_w FROM telemetry')).toEqual([[1_700_000_000_000, 5]]);
  });

  it('stops retrying when its signal aborts', async () => {
    const port = await freePort();
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('stopping')), 300);
    const writer = createInfluxWriter(influxConfig({ url: `http://127.0.0.1:${port}`, apiVersion: 'v1' }), logger);
    await expect(writer.write([point(1)], { signal: abort.signal })).rejects.toThrow('stopping');
  });
});

describe('InfluxDB writer, v2 API', () => {
  // No InfluxDB 1.8+/2.x/3.x package exists here: this checks the request on the wire, at a local HTTP server.
  it('posts gzipped line protocol to /api/v2/write with the token, org and bucket', async () => {
    const requests: { url: string; auth: string | undefined; body: string }[] = [];
    let failures = 1;
    const server: Server = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
        requests.push({ url: request.url ?? '', auth: request.headers.authorization, body });
        if (failures-- > 0) {
          response.writeHead(503, { 'retry-after': '0' }).end('{"code":"unavailable","message":"busy"}');
        } else {
          response.writeHead(204).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push({ stop: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const writer = createInfluxWriter(influxConfig({ url, apiVersion: 'v2', token: 'secret', org: 'acme', bucket: 'parcours' }), logger);
    const points = Array.from({ length: 60 }, (_, i) => point(i, 1_700_000_000_000 + i * 1000));
    await writer.write(points);
    expect(requests).toHaveLength(2); // one 503, then the retry
    const last = requests[1]!;
    const query = new URL(last.url, url).searchParams;
    expect(new URL(last.url, url).pathname).toBe('/api/v2/write');
    expect([query.get('org'), query.get('bucket'), query.get('precision')]).toEqual(['acme', 'parcours', 'ns']);
    expect(last.auth).toBe('Token secret');
    expect(last.body.split('\n')).toHaveLength(60);
    expect(last.body.split('\n')[0]).toBe('telemetry,device=tv-1 power_w=0 1700000000000000000');
  });
});

describe('writeIsolatingRefused', () => {
  it('writes every point but the one the server refuses for good', async () => {
    const server = await influx();
    const writer = createInfluxWriter(influxConfig({ url: server.url }), logger);
    await writer.write([point(1)]);
    const refused: unknown[] = [];
    const points = [point(2, 1_700_000_001_000), point('oops', 1_700_000_002_000), point(4, 1_700_000_003_000), point(5, 1_700_000_004_000)];
    await writeIsolatingRefused(writer, points, (p) => refused.push(p.fields.power_w));
    expect(refused).toEqual(['oops']);
    expect((await rows(server, 'SELECT power_w FROM telemetry')).map((r) => r[1])).toEqual([1, 2, 4, 5]);
  });
});
