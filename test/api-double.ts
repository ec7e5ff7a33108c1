import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  assignmentCreateSchema,
  deviceCreateSchema,
  errorCodes,
  idSchema,
  membershipCreateSchema,
  problemType,
  subjectCreateSchema,
} from '@parcours/contracts';
import type { z } from 'zod';

/**
 * A test double of the registry routes (the five record routes and the bulk import) of the Parcours HTTP API, in memory: bodies are validated with
 * the contracts' schemas, an identical re-post answers 200, other content under an existing id 409.
 */
export interface ApiDouble {
  url: string;
  records: Map<string, Map<string, unknown>>;
  requests: { method: string; path: string; status: number }[];
  authenticate(username: string | undefined, password: string | undefined): boolean;
  close(): Promise<void>;
}

type Reply = { status: number; body: unknown };

function error(status: number, code: string, message: string): Reply {
  return { status, body: { type: problemType(code), title: 'Error', status, detail: message, code } };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

export async function startApiDouble(): Promise<ApiDouble> {
  const records = new Map<string, Map<string, unknown>>(['subjects', 'memberships', 'devices', 'assignments'].map((k) => [k, new Map()]));
  const secrets = new Map<string, string>();
  const requests: ApiDouble['requests'] = [];

  function upsert(kind: string, schema: z.ZodType, body: unknown, extra: object = {}): Reply {
    const parsed = schema.safeParse(body);
    if (!parsed.success) return error(400, errorCodes.validation, parsed.error.message);
    const record = { ...(parsed.data as { id: string }), ...extra };
    const store = records.get(kind)!;
    const existing = store.get(record.id);
    if (existing === undefined) {
      store.set(record.id, record);
      return { status: 201, body: record };
    }
    if (JSON.stringify(existing) === JSON.stringify(record)) return { status: 200, body: existing };
    return error(409, errorCodes.conflict, `${kind} ${record.id} exists with other content`);
  }

  /** Like Parcours' bulk import: created and unchanged counts per kind, problems listed per row (not transactional here). */
  function importAll(body: Record<string, unknown[]>): Reply {
    const schemas = {
      subjects: subjectCreateSchema,
      devices: deviceCreateSchema,
      memberships: membershipCreateSchema,
      assignments: assignmentCreateSchema.extend({ deviceId: idSchema }),
    };
    const counts = () => ({ subjects: 0, devices: 0, memberships: 0, assignments: 0 });
    const created = counts();
    const unchanged = counts();
    const errors: { path: string; message: string }[] = [];
    for (const kind of ['subjects', 'devices', 'memberships', 'assignments'] as const) {
      (body[kind] ?? []).forEach((row, i) => {
        const reply = upsert(kind, schemas[kind], row);
        if (reply.status === 201) created[kind]++;
        else if (reply.status === 200) unchanged[kind]++;
        else errors.push({ path: `${kind}[${i}]`, message: (reply.body as { detail: string }).detail });
      });
    }
    if (errors.length === 0) return { status: 200, body: { created, unchanged } };
    const problem = error(400, errorCodes.validation, `${errors.length} rows break the registry's rules; nothing was imported`);
    return { ...problem, body: { ...(problem.body as object), errors } };
  }

  async function route(method: string, path: string, request: IncomingMessage): Promise<Reply> {
    if (method !== 'POST') return error(404, errorCodes.notFound, 'no such route');
    const body = await readJson(request);
    if (path === '/api/v1/import') return importAll(body as Record<string, unknown[]>);
    if (path === '/api/v1/subjects') return upsert('subjects', subjectCreateSchema, body);
    if (path === '/api/v1/memberships') return upsert('memberships', membershipCreateSchema, body);
    if (path === '/api/v1/devices') {
      const reply = upsert('devices', deviceCreateSchema, body);
      // Like Parcours: a new device comes with its credentials.
      if (reply.status !== 201) return reply;
      const { id } = reply.body as { id: string };
      return { status: 201, body: { ...(reply.body as object), credentials: issue(id) } };
    }
    const match = /^\/api\/v1\/devices\/([^/]+)\/(assignments|credentials)$/.exec(path);
    if (!match) return error(404, errorCodes.notFound, 'no such route');
    const deviceId = decodeURIComponent(match[1]!);
    if (!records.get('devices')!.has(deviceId)) return error(404, errorCodes.notFound, `no device ${deviceId}`);
    if (match[2] === 'assignments') return upsert('assignments', assignmentCreateSchema, body, { deviceId });
    return { status: 201, body: issue(deviceId) };
  }

  function issue(deviceId: string): { deviceId: string; username: string; secret: string } {
    const secret = randomBytes(12).toString('hex');
    secrets.set(deviceId, secret);
    return { deviceId, username: deviceId, secret };
  }

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    route(request.method ?? 'GET', path, request)
      .catch((e: Error) => error(500, errorCodes.internal, e.message))
      .then(({ status, body }) => {
        requests.push({ method: request.method ?? 'GET', path, status });
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    requests,
    authenticate: (username, password) => username !== undefined && secrets.get(username) === password,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
