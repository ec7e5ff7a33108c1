import { errorCodes, ParcoursError } from '@parcours/contracts';
import type { FastifyRequest } from 'fastify';

/**
 * The first `onRequest` check, for what fastify and Node let through or answer in a format of their own:
 * - the Host header every HTTP/1.1 request carries (RFC 9112 §3.2; Node's own check, turned off in
 *   build-app.ts, answers a bare 400);
 * - the URL's percent-encoding: fastify refuses a bad one in a path it routes, but keeps it as typed in the
 *   query string (`?type=%zz` reads `%zz`), and never decodes the path of a method no route has.
 */
export async function checkRequest(request: FastifyRequest): Promise<void> {
  if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
    throw new ParcoursError(errorCodes.badRequest, 'an HTTP/1.1 request needs a Host header');
  }
  try {
    decodeURIComponent(request.url);
  } catch {
    throw new ParcoursError(errorCodes.badUrl, 'the URL is not validly percent-encoded UTF-8');
  }
}
