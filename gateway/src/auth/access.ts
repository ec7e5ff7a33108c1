import type { ApiKeyInfo } from '@parcours/contracts';
import { z } from 'zod';

/**
 * Who may call a route, declared by the route itself in its options (`config: { access }`):
 * - `public`: anyone, without a key (the health check, the API's own description: they hold no data);
 * - `read`: admin and reader keys;
 * - `write`: admin keys only;
 * - `{ subjectParam }`: admin and reader keys, and integrator keys granted the subject that this path
 *   parameter names (the results about that subject).
 * - `{ subjectOf }`: admin and reader keys, and integrator keys granted the subject that `subjectOf` finds from
 *   the path parameters (null: none), with any method: what the subject does through the integrator's app (a
 *   person answering their prompt).
 * Except under `subjectOf`, only an admin key may call a route that is not public with a method other than GET or HEAD.
 */
type SubjectOf = (params: Readonly<Record<string, string | undefined>>) => string | null;
export const accessSchema = z.union([
  z.enum(['public', 'read', 'write']),
  z.strictObject({ subjectParam: z.string().min(1) }),
  z.strictObject({ subjectOf: z.custom<SubjectOf>((value) => typeof value === 'function', 'a function of the path parameters') }),
]);
export type Access = z.infer<typeof accessSchema>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; a route without one is refused when it is added (`declaredAccess`). */
    access?: Access;
  }
}

/** Whether this key (or no key) may make this request of a route with this access: every rule is here, and unit-tested. */
export function allows(key: ApiKeyInfo | null, access: Access, request: { method: string; params: Readonly<Record<string, string | undefined>> }): boolean {
  if (access === 'public') return true;
  if (!key) return false;
  const reading = request.method === 'GET' || request.method === 'HEAD';
  switch (key.role) {
    case 'admin':
      return true;
    case 'reader':
      return reading && access !== 'write';
    case 'integrator': {
      if (typeof access === 'object' && 'subjectOf' in access) {
        const subject = access.subjectOf(request.params);
        return subject !== null && key.subjects.includes(subject);
      }
      if (!reading || typeof access !== 'object') return false;
      const subject = request.params[access.subjectParam];
      return subject !== undefined && key.subjects.includes(subject);
    }
  }
}

/**
 * The access a route declares, checked when the route is added: a route without one, or with one that
 * cannot work (a subject parameter missing from its path), stops the start-up rather than every request.
 */
export function declaredAccess(route: { method: string | string[]; url: string; config?: { access?: unknown } }): Access {
  const where = `${[route.method].flat().join(',')} ${route.url}`;
  const parsed = accessSchema.safeParse(route.config?.access);
  if (!parsed.success)
    throw new Error(
      `${where} declares no valid access: give it config: { access: 'public' | 'read' | 'write' | { subjectParam: '<path parameter>' } | { subjectOf: (params) => subject } }`,
    );
  const access = parsed.data;
  if (typeof access === 'object' && 'subjectParam' in access && !route.url.split('/').includes(`:${access.subjectParam}`))
    throw new Error(`${where} grants integrators the subject of :${access.subjectParam}, which its path does not have`);
  return access;
}
