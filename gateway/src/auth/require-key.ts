import { errorCodes, ParcoursError, type ApiKeyInfo } from '@parcours/contracts';
import type { FastifyRequest } from 'fastify';
import { allows, declaredAccess } from './access.js';

function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  const key = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : request.headers['x-api-key'];
  return typeof key === 'string' && key !== '' ? key : null;
}

/**
 * The `onRequest` check of every route: the access the route declares (see access.ts) must allow the key
 * presented (`Authorization: Bearer …` or `X-API-Key`); 401 without a known key, 403 when it is not enough.
 */
export function requireKey(verify: (key: string) => ApiKeyInfo | null, onFailure: (reason: 'missing' | 'unknown' | 'forbidden') => void) {
  return async (request: FastifyRequest): Promise<void> => {
    // A path that matches no route answers 404 to anyone: it reaches no data.
    if (request.is404) return;
    const { config, method, url } = request.routeOptions;
    // Checked when the route was added; a route added without that check is refused here, not opened.
    const access = declaredAccess({ method, url: url ?? '', config });
    const presented = presentedKey(request);
    const key = presented === null ? null : verify(presented);
    if (allows(key, access, { method: request.method, params: request.params as Record<string, string | undefined> })) return;
    if (presented === null) {
      onFailure('missing');
      throw new ParcoursError(errorCodes.unauthorized, 'an API key is required: Authorization: Bearer <key>');
    }
    if (!key) {
      onFailure('unknown');
      throw new ParcoursError(errorCodes.unauthorized, 'unknown API key');
    }
    onFailure('forbidden');
    throw new ParcoursError(errorCodes.forbidden, `the ${key.role} key "${key.name}" may not ${request.method} ${url}`);
  };
}
