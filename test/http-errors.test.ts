import { connect, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { errorCodes, problemContentType } from '@parcours/contracts';
import { buildHttpApp } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { adminKey, api, scrapeMetrics, startApp, testConfig } from './helpers.js';
import { waitUntil } from './mqtt-clients.js';

/**
 * Every way the HTTP port can refuse a request, spoken over raw sockets (fetch would fix a bad
 * percent-encoding or refuse to send a 20 KiB header): each answer is an RFC 9457 problem with its stable
 * code, and counted.
 */
let app: ParcoursApp;
let port: number;

/** The server's log, to see what a 500 logged that its answer did not show. */
const logged: string[] = [];
const log = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logged.push(chunk.toString('utf8'));
    done();
  },
});

beforeAll(async () => {
  app = await startApp(testConfig({ http: { requestTimeout: '2s' } }), log);
  port = Number(new URL(app.urls.http).port);
});

const sockets = new Set<Socket>();

afterAll(async () => {
  // A test that failed may have left a connection waiting: it would hold the server's close.
  for (const socket of sockets) socket.destroy();
  await app.stop();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `request` as it is on a new connection and reads the answer until the server closes it (never
 * closing first: a half-closed connection is a request the server may drop).
 */
function raw(request: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    sockets.add(socket);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    // The server may close before reading everything it was sent (a header overflow): the answer came first.
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const status = Number(statusLine.split(' ')[1]);
      if (!status) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status, headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(request);
  });
}

/** An HTTP/1.1 request as text; `Connection: close` so that the server ends the connection after answering. */
function request(method: string, target: string, headers: Record<string, string> = {}, text: string | Buffer = ''): Buffer {
  const body = Buffer.from(text);
  const all = { host: `127.0.0.1:${port}`, connection: 'close', ...(body.length > 0 ? { 'content-length': String(body.length) } : {}), ...headers };
  const head = `${method} ${target} HTTP/1.1\r\n${Object.entries(all)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

const auth = () => ({ authorization: `Bearer ${adminKey()}` });
const json = (charset = '') => ({ ...auth(), 'content-type': `application/json${charset}` });
const longId = 'x'.repeat(10_000);
const validDevice = '{"id":"d1","type":"meter"}';

interface Case {
  name: string;
  request: () => Buffer;
  status: number;
  code: string;
  allow?: string;
}

const cases: Case[] = [
  { name: 'an unknown route', request: () => request('GET', '/nowhere'), status: 404, code: errorCodes.noRoute },
  { name: 'an unknown API route, with a key', request: () => request('GET', '/api/v1/nowhere', auth()), status: 404, code: errorCodes.noRoute },
  { name: 'a missing file of the API page', request: () => request('GET', '/docs/static/nowhere.js'), status: 404, code: errorCodes.noRoute },
  {
    name: 'a method the health check does not serve',
    request: () => request('DELETE', '/healthz'),
    status: 405,
    code: errorCodes.methodNotAllowed,
    allow: 'GET, HEAD',
  },
  {
    name: 'a method no route serves',
    request: () => request('PUT', '/api/v1/devices', auth()),
    status: 405,
    code: errorCodes.methodNotAllowed,
    allow: 'GET, HEAD, POST',
  },
  { name: 'a WebDAV method', request: () => request('PROPFIND', '/openapi.json'), status: 405, code: errorCodes.methodNotAllowed, allow: 'GET, HEAD' },
  { name: 'CONNECT, as to a proxy', request: () => request('CONNECT', `127.0.0.1:${port}`), status: 405, code: errorCodes.methodNotAllowed, allow: '' },
  { name: 'a bad percent-encoding in a path parameter', request: () => request('GET', '/api/v1/devices/%zz', auth()), status: 400, code: errorCodes.badUrl },
  { name: 'a bad percent-encoding in an unknown path', request: () => request('GET', '/nowhere/%E0%A4%A'), status: 400, code: errorCodes.badUrl },
  { name: 'a bad percent-encoding in the query', request: () => request('GET', '/api/v1/devices?type=%zz', auth()), status: 400, code: errorCodes.badUrl },
  {
    name: 'percent-encoded invalid UTF-8 in the query',
    request: () => request('GET', '/api/v1/devices?type=%C3%28', auth()),
    status: 400,
    code: errorCodes.badUrl,
  },
  { name: 'a 10,000-character id', request: () => request('GET', `/api/v1/devices/${longId}`, auth()), status: 414, code: errorCodes.urlTooLong },
  { name: 'a 10,000-character path segment', request: () => request('GET', `/nowhere/${longId}`), status: 414, code: errorCodes.urlTooLong },
  { name: 'a 10,000-character query value', request: () => request('GET', `/api/v1/devices?type=${longId}`, auth()), status: 400, code: errorCodes.validation },
  {
    name: '20 KiB of headers',
    request: () => request('GET', '/healthz', { 'x-padding': 'x'.repeat(20 * 1024) }),
    status: 431,
    code: errorCodes.headersTooLarge,
  },
  {
    name: 'a header line without a colon',
    request: () => Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n'),
    status: 400,
    code: errorCodes.badRequest,
  },
  { name: 'a method HTTP does not know', request: () => request('FROB', '/healthz'), status: 400, code: errorCodes.badRequest },
  {
    name: 'a Content-Length that is not a number',
    request: () => request('POST', '/api/v1/devices', { ...json(), 'content-length': 'ten' }),
    status: 400,
    code: errorCodes.badRequest,
  },
  {
    name: 'an HTTP/1.1 request without Host',
    request: () => Buffer.from('GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'),
    status: 400,
    code: errorCodes.badRequest,
  },
  {
    name: 'an expectation other than 100-continue',
    request: () => request('GET', '/healthz', { expect: 'teapot' }),
    status: 417,
    code: errorCodes.expectationFailed,
  },
  {
    name: 'a body over 1 MiB',
    request: () => request('POST', '/api/v1/devices', { ...json(), 'content-length': String(2 * 1024 * 1024) }),
    status: 413,
    code: errorCodes.oversize,
  },
  {
    name: 'a CSV import over 50 MiB',
    request: () => request('POST', '/api/v1/import/devices', { ...auth(), 'content-type': 'text/csv', 'content-length': String(60 * 1024 * 1024) }),
    status: 413,
    code: errorCodes.oversize,
  },
  {
    name: 'an XML body',
    request: () => request('POST', '/api/v1/devices', { ...auth(), 'content-type': 'application/xml' }, '<device/>'),
    status: 415,
    code: errorCodes.unsupportedMediaType,
  },
  {
    name: 'a body without a Content-Type',
    request: () => request('POST', '/api/v1/devices', auth(), validDevice),
    status: 415,
    code: errorCodes.unsupportedMediaType,
  },
  {
    name: 'JSON declared as UTF-16',
    request: () => request('POST', '/api/v1/devices', json('; charset=utf-16'), validDevice),
    status: 415,
    code: errorCodes.unsupportedMediaType,
  },
  {
    name: 'JSON declared as Latin-1',
    request: () => request('POST', '/api/v1/devices', json('; charset=iso-8859-1'), validDevice),
    status: 415,
    code: errorCodes.unsupportedMediaType,
  },
  {
    name: 'JSON with invalid UTF-8',
    request: () =>
      request('POST', '/api/v1/devices', json(), Buffer.concat([Buffer.from('{"id":"d'), Buffer.from([0xff, 0xfe]), Buffer.from('","type":"meter"}')])),
    status: 400,
    code: errorCodes.badEncoding,
  },
  {
    name: 'JSON with a UTF-16 surrogate encoded in UTF-8',
    request: () =>
      request(
        'POST',
        '/api/v1/devices',
        json(),
        Buffer.concat([Buffer.from('{"id":"d","type":"meter","name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      ),
    status: 400,
    code: errorCodes.badEncoding,
  },
  { name: 'malformed JSON', request: () => request('POST', '/api/v1/devices', json(), '{"id":'), status: 400, code: errorCodes.badJson },
  {
    name: 'an empty JSON body',
    request: () => request('POST', '/api/v1/devices', { ...json(), 'content-length': '0' }),
    status: 400,
    code: errorCodes.badJson,
  },
  {
    name: 'a JSON body setting __proto__',
    request: () => request('POST', '/api/v1/devices', json(), '{"id":"d","type":"meter","__proto__":{"x":1}}'),
    status: 400,
    code: errorCodes.badJson,
  },
  { name: 'a device that fails its schema', request: () => request('POST', '/api/v1/devices', json(), '{"id":"d"}'), status: 400, code: errorCodes.validation },
  {
    name: 'a CSV import with invalid UTF-8',
    request: () =>
      request(
        'POST',
        '/api/v1/import/subjects',
        { ...auth(), 'content-type': 'text/csv' },
        Buffer.concat([Buffer.from('id,kind,type,name\np1,individual,person,Ren'), Buffer.from([0xe9]), Buffer.from('e\n')]),
      ),
    status: 400,
    code: errorCodes.badEncoding,
  },
  {
    name: 'a CSV import declared as Windows-1252',
    request: () =>
      request('POST', '/api/v1/import/subjects', { ...auth(), 'content-type': 'text/csv; charset=windows-1252' }, 'id,kind,type\np1,individual,person\n'),
    status: 415,
    code: errorCodes.unsupportedMediaType,
  },
  { name: 'the metrics without a key', request: () => request('GET', '/metrics'), status: 401, code: errorCodes.unauthorized },
  {
    name: 'a WebSocket upgrade off the MQTT path',
    request: () => request('GET', '/api/v1/devices', { upgrade: 'websocket', connection: 'Upgrade' }),
    status: 404,
    code: errorCodes.noRoute,
  },
  {
    name: 'a WebSocket handshake without its key',
    request: () => request('GET', '/mqtt', { upgrade: 'websocket', connection: 'Upgrade' }),
    status: 400,
    code: errorCodes.badRequest,
  },
  {
    name: 'a WebSocket handshake by POST',
    request: () =>
      request('POST', '/mqtt', { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' }),
    status: 405,
    code: errorCodes.methodNotAllowed,
    allow: 'GET',
  },
];

function expectProblem(response: RawResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(new RegExp(`^${problemContentType.replace('+', '\\+')}`));
  const problem = JSON.parse(response.body) as Record<string, unknown>;
  expect(problem).toMatchObject({ status, code, type: `urn:parcours:error:${code}` });
  expect(problem).not.toHaveProperty('stack');
}

describe('an HTTP request the API refuses', () => {
  it.each(cases)('$name: $status $code as a problem', async ({ request, status, code, allow }) => {
    const response = await raw(request());
    expectProblem(response, status, code);
    if (allow !== undefined) expect(response.headers.allow).toBe(allow);
  });

  it('that sends its body too slowly gets 408 once the request timeout is over', async () => {
    const response = await raw(request('POST', '/api/v1/devices', { ...json(), 'content-length': '100' }, '{"id":'));
    expectProblem(response, 408, errorCodes.requestTimeout);
  });

  it('whose handler fails gets 500 with a code and no detail of the failure', async () => {
    const spy = vi.spyOn(app.gateway.registry, 'listDevices').mockImplementation(() => {
      throw new Error('disk on fire at /var/lib/secret');
    });
    try {
      const response = await raw(request('GET', '/api/v1/devices', auth()));
      expectProblem(response, 500, errorCodes.internal);
      expect(response.body).not.toContain('/var/lib/secret');
      expect(logged.join('')).toContain('disk on fire at /var/lib/secret');
    } finally {
      spy.mockRestore();
    }
  });

  it('is counted by status and code', async () => {
    const metrics = await scrapeMetrics(app.urls.http);
    for (const { status, code } of [...cases, { status: 408, code: errorCodes.requestTimeout }, { status: 500, code: errorCodes.internal }])
      expect(metrics).toMatch(new RegExp(`parcours_http_errors_total\\{status="${status}",code="${code}"\\} [1-9]`));
  });
});

describe('a valid request', () => {
  it('still works: a device with the longest id, JSON declared as UTF-8, a UTF-8 CSV with accents', async () => {
    const id = `d${'x'.repeat(127)}`;
    const created = await raw(request('POST', '/api/v1/devices', json('; charset=UTF-8'), JSON.stringify({ id, type: 'meter', name: 'Compteur élevé' })));
    expect(created.status).toBe(201);
    const read = await api<{ name: string }>(app.urls.http, 'GET', `/api/v1/devices/${id}`);
    expect(read).toMatchObject({ status: 200, body: { name: 'Compteur élevé' } });
    const csv = '\uFEFFid,kind,type,name\np1,individual,person,Renée\n';
    const imported = await raw(request('POST', '/api/v1/import/subjects', { ...auth(), 'content-type': 'text/csv; charset=utf-8' }, Buffer.from(csv)));
    expect(imported.status).toBe(200);
    expect((await api<{ name: string }>(app.urls.http, 'GET', '/api/v1/subjects/p1')).body.name).toBe('Renée');
  });
});

describe('a request arriving while the API closes', () => {
  it('is answered as usual, not with a 503 of fastify', async () => {
    let started = false;
    let release = () => {};
    const slow: FastifyPluginAsync = async (api) => {
      api.get('/slow', { config: { access: 'public' } }, async () => {
        started = true;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return { slow: true };
      });
    };
    const http = await buildHttpApp({
      logger: pino({ level: 'silent' }),
      metrics: new Registry(),
      health: () => ({}),
      routes: [slow],
      version: '0.0.0',
      authorize: async () => {},
      countError: () => {},
      requestTimeout: 60_000,
    });
    await http.listen({ host: '127.0.0.1', port: 0 });
    let received = 0;
    http.server.on('request', () => received++);
    const socket = connect((http.server.address() as AddressInfo).port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write('GET /api/v1/slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitUntil(() => started);
    const closing = http.close();
    // Pipelined behind the request in progress, so the connection is busy and stays open while fastify closes.
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await waitUntil(() => received === 2);
    release();
    await closed;
    await closing;
    // Each answer's status line follows the previous answer's body on the same line.
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
    expect(statuses).toEqual([200, 200]);
  });
});
