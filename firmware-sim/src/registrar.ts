import {
  ParcoursError,
  deviceCredentialsSchema,
  errorCodes,
  problemSchema,
  toIso,
  type DeviceCreate,
  type DeviceCredentials,
  type ErrorCode,
  type MembershipCreate,
  type SubjectCreate,
} from '@parcours/contracts';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { World } from './scenario/schema.js';
import type { VisitorStay } from './timeline/plans.js';
import { assignmentsOf } from './world/world-index.js';
import { forEachLimited } from './limit.js';

/**
 * Registers a world through the Parcours HTTP API before its devices publish. Every record carries the
 * scenario's id, so a second run posts the same records and finds them unchanged; a 409 (or an import
 * refused for a clash) means the registry holds other content under that id, which the simulator cannot
 * resolve: it stops.
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

/** Rows per import request: well under the API's 50 MB body limit, and one transaction each. */
const importChunk = 5000;

const importCounts = z.object({ subjects: z.number(), devices: z.number(), memberships: z.number(), assignments: z.number() });
const importResultSchema = z.object({ created: importCounts, unchanged: importCounts });

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
  // An import lists its problems per row: the first few say which records clash.
  const rows = body.success
    ? (body.data.errors ?? [])
        .slice(0, 5)
        .map((e) => `\n  ${e.path}: ${e.message}`)
        .join('')
    : '';
  const detail = body.success ? `${body.data.code}: ${body.data.detail}${rows}` : text.slice(0, 300);
  const hint = response.status === 409 ? ' (the registry holds other content under this id: fix the scenario or the registry)' : '';
  const retryable = response.status === 429 || response.status >= 500;
  return new ParcoursError(statusCodes[response.status] ?? errorCodes.internal, `registering ${what}: HTTP ${response.status} ${detail}${hint}`, retryable);
}

/** What a failed fetch says: its cause's (ECONNREFUSED, bad port) rather than undici's "fetch failed". */
function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

export class ApiClient {
  constructor(private readonly options: RegistrarOptions) {}

  /**
   * POSTs JSON, or CSV when the body is text; resolves to the response body, and whether it was created (201)
   * or already there (200).
   */
  async post(path: string, body: object | string | null, what: string): Promise<{ body: unknown; created: boolean }> {
    const attempts = this.options.attempts ?? 5;
    const url = new URL(path, this.options.apiUrl);
    for (let attempt = 1; ; attempt++) {
      let error: ParcoursError;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${this.options.apiKey}`,
            ...(body === null ? {} : { 'content-type': typeof body === 'string' ? 'text/csv' : 'application/json' }),
          },
          ...(body === null ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        });
        if (response.status === 200 || response.status === 201) return { body: await response.json(), created: response.status === 201 };
        error = await failure(response, what);
      } catch (cause) {
        if (cause instanceof ParcoursError) throw cause;
        error = new ParcoursError(
          errorCodes.unreachable,
          `registering ${what}: cannot reach the Parcours API at ${url.origin} (${reason(cause)}): is it running there?`,
          true,
          {
            cause,
          },
        );
      }
      if (!error.retryable || attempt >= attempts) throw error;
      // The reason alone: the stack of an expected condition says nothing to whoever reads the log.
      this.options.logger.warn({ code: error.code, reason: error.message, attempt }, 'registration request failed, retrying');
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** (attempt - 1)));
    }
  }
}

/**
 * Registers subjects, memberships (the scenario's and the visitors' of the run), devices and assignments,
 * then issues fresh MQTT credentials for every device: a secret is shown only once, so each run gets its own.
 */
export async function registerWorld(world: World, options: RegistrarOptions, stays: readonly VisitorStay[] = []): Promise<Map<string, DeviceCredentials>> {
  const api = new ApiClient(options);
  const device = (id: string, rest: string) => `/api/v1/devices/${encodeURIComponent(id)}/${rest}`;
  let created = 0;
  let existing = 0;
  const credentials = new Map<string, DeviceCredentials>();
  const keep = (id: string, body: unknown) => {
    const parsed = deviceCredentialsSchema.safeParse(body);
    if (!parsed.success) throw new ParcoursError(errorCodes.internal, `credentials of ${id}: unexpected response ${JSON.stringify(body)}`);
    credentials.set(id, parsed.data);
  };

  const limit = options.concurrency ?? 16;
  // Records go through the all-or-nothing bulk import, a few thousand rows a request (creating a device
  // one POST at a time costs ~12 ms each: a minute for a city); then one credentials request per device.
  const importRows = async (kind: 'subjects' | 'devices' | 'memberships' | 'assignments', rows: object[]) => {
    for (let i = 0; i < rows.length; i += importChunk) {
      const chunk = rows.slice(i, i + importChunk);
      const result = importResultSchema.parse((await api.post('/api/v1/import', { [kind]: chunk }, `${kind} ${i + 1}–${i + chunk.length}`)).body);
      created += result.created[kind];
      existing += result.unchanged[kind];
    }
  };
  await importRows('subjects', [
    ...world.collectives.map((c) => ({ id: c.id, kind: 'collective', type: c.type, name: c.name, attributes: c.attributes }) satisfies SubjectCreate),
    ...world.individuals.map((p) => ({ id: p.id, kind: 'individual', type: p.type, name: p.name, attributes: p.attributes }) satisfies SubjectCreate),
    ...stays.map(
      (v) =>
        ({ id: v.individualId, kind: 'individual', type: 'visitor', name: `Visitor ${v.individualId}`, attributes: { rule: v.rule } }) satisfies SubjectCreate,
    ),
  ]);
  await importRows('memberships', [
    ...world.individuals.flatMap((p) =>
      p.memberships.map(
        (m) =>
          ({
            id: m.id,
            individualId: p.id,
            collectiveId: m.collective,
            role: m.role,
            validFrom: toIso(m.validFrom),
            validTo: m.validTo === null ? null : toIso(m.validTo),
          }) satisfies MembershipCreate,
      ),
    ),
    ...stays.map(
      (v) =>
        ({
          id: `${v.individualId}.${v.collective}`,
          individualId: v.individualId,
          collectiveId: v.collective,
          role: v.role,
          validFrom: toIso(v.validFrom),
          validTo: toIso(v.validTo),
        }) satisfies MembershipCreate,
    ),
  ]);
  await importRows(
    'devices',
    world.devices.map((d) => ({ id: d.id, type: d.type, model: d.model, name: d.name ?? null }) satisfies DeviceCreate),
  );
  await importRows(
    'assignments',
    world.devices.flatMap((d) =>
      assignmentsOf(d).map((a) => ({
        id: a.id,
        deviceId: d.id,
        subjectId: a.owner,
        validFrom: toIso(a.validFrom),
        validTo: a.validTo === null ? null : toIso(a.validTo),
      })),
    ),
  );
  await forEachLimited(world.devices, limit, async (d) => {
    keep(d.id, (await api.post(device(d.id, 'credentials'), null, `credentials of ${d.id}`)).body);
  });
  options.logger.info({ created, existing, devices: credentials.size }, 'world registered');
  return credentials;
}
