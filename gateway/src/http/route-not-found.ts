import { errorCodes, idMaxLength } from '@parcours/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { pathSegmentTooLong, sendProblem, type CountHttpError } from './errors.js';

/** The methods an `Allow` header may list, in its order. */
const methods: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The answer when no route matches: 405 with the methods that would (`Allow`, RFC 9110 §15.5.6) when the
 * path exists under another method (fastify itself says 404), else 404. A path segment longer than any id
 * is 414 as in a route's parameter (`maxParamLength`), whatever the method. Bad percent-encoding has been
 * refused before (request-checks.ts), so every lookup here sees a valid path.
 */
export function routeNotFound(app: FastifyInstance, count: CountHttpError) {
  return (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?', 1)[0] ?? '';
    if (path.split('/').some((segment) => decodeURIComponent(segment).length > idMaxLength))
      return sendProblem(reply, count, 414, errorCodes.urlTooLong, pathSegmentTooLong);
    // A route of the request's own method that answers 404 itself (a missing file of /docs) is no 405.
    const allowed = methods.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length > 0 && !allowed.includes(request.method as HTTPMethods)) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(reply, count, 405, errorCodes.methodNotAllowed, `${request.method} is not allowed here; ${allowed.join(', ')} are`);
    }
    return sendProblem(reply, count, 404, errorCodes.noRoute, `no route for ${request.method} ${path}`);
  };
}
