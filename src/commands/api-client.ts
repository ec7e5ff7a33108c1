import { errorCodes, ParcoursError, problemSchema, type ErrorCode } from '@parcours/contracts';
import type { z } from 'zod';

/** What a failed fetch says: its cause's (ECONNREFUSED, ENOTFOUND) rather than undici's "fetch failed". */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

const advice: Partial<Record<number, string>> = {
  401: 'give an API key of this Parcours with --api-key or PARCOURS_API_KEY',
  403: 'this key may not read it',
};

/**
 * GETs a Parcours API path with a key and decodes the answer with its schema. Every failure a user can
 * act on is a `ParcoursError` saying what to do: nothing listening, a refused key, an unknown id.
 */
export function apiGet<T extends z.ZodType>(api: { url: string; key: string }, path: string, schema: T): Promise<z.output<T>> {
  return apiRequest(api, 'GET', path, undefined, schema);
}

/** Sends a JSON body (POST, PUT) to a Parcours API path, with the same failures as `apiGet`. */
export async function apiRequest<T extends z.ZodType>(
  api: { url: string; key: string },
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body: unknown,
  schema: T,
): Promise<z.output<T>> {
  const url = new URL(`/api/v1${path}`, api.url);
  let response: Response;
  try {
    const headers: Record<string, string> = { authorization: `Bearer ${api.key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (error) {
    throw new ParcoursError(
      errorCodes.unreachable,
      `cannot reach the Parcours API at ${url.origin} (${networkReason(error)}): is Parcours running there? (--api URL)`,
      true,
      { cause: error },
    );
  }
  const answer: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const problem = problemSchema.safeParse(answer);
    const code = (problem.success ? problem.data.code : errorCodes.internal) as ErrorCode;
    // A refused body's problems, each where it is: the line a user reads must say what to fix.
    const located = problem.success ? (problem.data.errors ?? []).map((e) => `${e.path}: ${e.message}`) : [];
    const detail = problem.success ? [problem.data.detail, ...located].join('; ') : `HTTP ${response.status}`;
    const hint = advice[response.status];
    throw new ParcoursError(code, `${url.origin}: ${detail}${hint ? `: ${hint}` : ''}`, response.status >= 500);
  }
  return schema.parse(answer);
}
