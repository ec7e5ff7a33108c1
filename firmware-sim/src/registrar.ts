import {
  ParcoursError,
  deviceCredentialsSchema,
  errorCodes,
  problemSchema,
  toIso,
  type AssignmentCreate,
  type DeviceCreate,
  type DeviceCredentials,
  type ErrorCode,
  type MembershipCreate,
  type SubjectCreate,
} from '@parcours/contracts';
import type { Logger } from 'pino';
import type { World } from './scenario/schema.js';
import type { VisitorStay } from './timeline/plans.js';
import { assignmentsOf } from './world/world-index.js';

/**
 * Registers a world through the Parcours HTTP API before its devices publish. Every record carries the
 * scenario's id, so a second run posts the same records and gets 200 instead of 201; a 409 means the
 * registry holds other content under that id, which the simulator cannot resolve: it stops.
 */

export interface RegistrarOptions {
  apiUrl: string;
  /** Sent as `Authorization: Bearer …`. */
  apiKey: string;
  logger: Logger;
  /** Attempts per request when the API is unreachable or answers 5xx/429 (it may still be starting). */
  attempts?: number;
  /** Requests in flight at once: a city of thousands of records registers in seconds, not minutes. */
  concurrency?: number;
}

/** Runs `task` over `items` with at most `limit` at once; rejects with the first failure. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const statusCodes: Record<number, ErrorCode> = {
  400: errorCodes.validation,
  401: errorCodes.unauthorized,
  403: errorCodes.unauthorized,
  404: errorCodes.notFound,
  409: errorCodes.conflict,
};

async function failure(response: Response, what: string): Promise<ParcoursError> {
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // Not a Parcours error body (a proxy's HTML page, say): the raw text is reported instead.
  }
  const body = problemSchema.safeParse(json);
  const detail = body.success ? `${body.data.code}: ${body.data.detail}` : text.slice(0, 300);
  const hint = response.status === 409 ? ' (the registry holds other content under this id: fix the scenario or the registry)' : '';
  const retryable = response.status === 429 || response.status >= 500;
  return new ParcoursError(statusCodes[response.status] ?? errorCodes.internal, `registering ${what}: HTTP ${response.status} ${detail}${hint}`, retryable);
}

class ApiClient {
  constructor(private readonly options: RegistrarOptions) {}

  /** POSTs a record; resolves to the response body and whether it was created (201) or already there (200). */
  async post(path: string, body: object | null, what: string): Promise<{ created: boolean; body: unknown }> {
    const attempts = this.options.attempts ?? 5;
    const url = new URL(path, this.options.apiUrl);
    for (let attempt = 1; ; attempt++) {
      let error: ParcoursError;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.apiKey}`, ...(body === null ? {} : { 'content-type': 'application/json' }) },
          ...(body === null ? {} : { body: JSON.stringify(body) }),
        });
        if (response.status === 200 || response.status === 201) return { created: response.status === 201, body: await response.json() };
        error = await failure(response, what);
      } catch (cause) {
        if (cause instanceof ParcoursError) throw cause;
        error = new ParcoursError(errorCodes.internal, `registering ${what}: ${url.origin} unreachable (${(cause as Error).message})`, true, { cause });
      }
      if (!error.retryable || attempt >= attempts) throw error;
      this.options.logger.warn({ err: error, attempt }, 'registration request failed, retrying');
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** (attempt - 1)));
    }
  }
}

/**
 * Registers subjects, memberships (the scenario's and the visitors' of the run), devices and assignments. A new device comes with its MQTT credentials;
 * one that already existed (a later run) gets fresh ones, since the secret is shown only once.
 */
export async function registerWorld(world: World, options: RegistrarOptions, stays: readonly VisitorStay[] = []): Promise<Map<string, DeviceCredentials>> {
  const api = new ApiClient(options);
  const device = (id: string, rest: string) => `/api/v1/devices/${encodeURIComponent(id)}/${rest}`;
  let created = 0;
  let existing = 0;
  const post = async (path: string, body: object, what: string) => {
    const result = await api.post(path, body, what);
    if (result.created) created++;
    else existing++;
    return result;
  };
  const credentials = new Map<string, DeviceCredentials>();
  const keep = (id: string, body: unknown) => {
    const parsed = deviceCredentialsSchema.safeParse(body);
    if (!parsed.success) throw new ParcoursError(errorCodes.internal, `credentials of ${id}: unexpected response ${JSON.stringify(body)}`);
    credentials.set(id, parsed.data);
  };

  const limit = options.concurrency ?? 16;
  // Dependency order: subjects, then memberships and devices, then assignments; each stage in parallel.
  const subjects: SubjectCreate[] = [
    ...world.collectives.map((c) => ({ id: c.id, kind: 'collective' as const, type: c.type, name: c.name, attributes: c.attributes })),
    ...world.individuals.map((p) => ({ id: p.id, kind: 'individual' as const, type: p.type, name: p.name, attributes: p.attributes })),
    ...stays.map((v) => ({ id: v.individualId, kind: 'individual' as const, type: 'visitor', name: `Visitor ${v.individualId}`, attributes: { rule: v.rule } })),
  ];
  await forEachLimited(subjects, limit, async (body) => void (await post('/api/v1/subjects', body, `subject ${body.id}`)));
  const memberships: MembershipCreate[] = [
    ...world.individuals.flatMap((p) =>
      p.memberships.map((m) => ({ id: m.id, individualId: p.id, collectiveId: m.collective, role: m.role, validFrom: toIso(m.validFrom), validTo: m.validTo === null ? null : toIso(m.validTo) })),
    ),
    ...stays.map((v) => ({ id: `${v.individualId}.${v.collective}`, individualId: v.individualId, collectiveId: v.collective, role: v.role, validFrom: toIso(v.validFrom), validTo: toIso(v.validTo) })),
  ];
  await forEachLimited(memberships, limit, async (body) => void (await post('/api/v1/memberships', body, `membership ${body.id}`)));
  await forEachLimited(world.devices, limit, async (d) => {
    const registered = await post('/api/v1/devices', { id: d.id, type: d.type, model: d.model, name: d.name ?? null } satisfies DeviceCreate, `device ${d.id}`);
    if (registered.created) keep(d.id, (registered.body as { credentials?: unknown }).credentials);
  });
  const assignments = world.devices.flatMap((d) => assignmentsOf(d).map((a) => ({ deviceId: d.id, a })));
  await forEachLimited(assignments, limit, async ({ deviceId, a }) => {
    const body: AssignmentCreate = { id: a.id, subjectId: a.owner, validFrom: toIso(a.validFrom), validTo: a.validTo === null ? null : toIso(a.validTo) };
    await post(device(deviceId, 'assignments'), body, `assignment ${a.id}`);
  });
  await forEachLimited(world.devices.filter((d) => !credentials.has(d.id)), limit, async (d) => {
    keep(d.id, (await api.post(device(d.id, 'credentials'), null, `credentials of ${d.id}`)).body);
  });
  options.logger.info({ created, existing, devices: credentials.size }, 'world registered');
  return credentials;
}
