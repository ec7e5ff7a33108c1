import { errorCodes, ParcoursError, type ApiKeyInfo } from '@parcours/contracts';
import type { FastifyRequest } from 'fastify';
import { allows } from './access.js';

/** Paths open without a key: the health check, and the API's own description (it holds no data). */
function isPublic(url: string): boolean {
  return url === '/healthz' || url === '/openapi.json' || url === '/docs' || url.startsWith('/docs/');
}

function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey : null;
}

/**
 * The `onRequest` check of every route: a known key (`Authorization: Bearer …` or `X-API-Key`) whose
 * role allows the request; 401 without one, 403 when the role does not allow it.
 */
export function requireKey(verify: (key: string) => ApiKeyInfo | null, onFailure: (reason: 'missing' | 'unknown' | 'forbidden') => void) {
  return async (request: FastifyRequest): Promise<void> => {
    const routeUrl = request.routeOptions.url;
    if (routeUrl === undefined || isPublic(routeUrl)) return;
    const key = presentedKey(request);
    if (!key) {
      onFailure('missing');
      throw new ParcoursError(errorCodes.unauthorized, 'an API key is required: Authorization: Bearer <key>');
    }
    const info = verify(key);
    if (!info) {
      onFailure('unknown');
      throw new ParcoursError(errorCodes.unauthorized, 'unknown API key');
    }
    if (!allows(info, { method: request.method, routeUrl, params: request.params as Record<string, string> })) {
      onFailure('forbidden');
      throw new ParcoursError(errorCodes.forbidden, `the ${info.role} key "${info.name}" may not ${request.method} ${routeUrl}`);
    }
  };
}
