import { STATUS_CODES } from 'node:http';
import { errorCodes, idMaxLength, ParcoursError, ParcoursInputError, problemContentType, problemType, type ErrorCode, type Problem } from '@parcours/contracts';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** Told of every error answered, by status and code (`parcours_http_errors_total`). */
export type CountHttpError = (status: number, code: ErrorCode) => void;

const statusByCode: Partial<Record<ErrorCode, number>> = {
  [errorCodes.validation]: 400,
  [errorCodes.badInterval]: 400,
  [errorCodes.notIndividual]: 400,
  [errorCodes.notCollective]: 400,
  [errorCodes.badRequest]: 400,
  [errorCodes.badUrl]: 400,
  [errorCodes.badJson]: 400,
  [errorCodes.badEncoding]: 400,
  [errorCodes.unauthorized]: 401,
  [errorCodes.forbidden]: 403,
  [errorCodes.notFound]: 404,
  [errorCodes.noRoute]: 404,
  [errorCodes.methodNotAllowed]: 405,
  [errorCodes.conflict]: 409,
  [errorCodes.overlap]: 409,
  [errorCodes.oversize]: 413,
  [errorCodes.urlTooLong]: 414,
  [errorCodes.unsupportedMediaType]: 415,
  [errorCodes.communityTooSmall]: 422,
  [errorCodes.quotaShortfall]: 422,
  [errorCodes.weightingEmptyCell]: 422,
  [errorCodes.weightingUnknownLevel]: 422,
  [errorCodes.weightingMissingLevel]: 422,
  [errorCodes.weightingBounds]: 422,
  [errorCodes.weightingNotConverged]: 422,
  [errorCodes.weightingLonelyUnit]: 422,
  [errorCodes.weightingEmptyDomain]: 422,
  [errorCodes.weightsIndividualsOnly]: 422,
  [errorCodes.answerInvalid]: 422,
  [errorCodes.answerNotAsked]: 422,
  [errorCodes.answerMissing]: 422,
  [errorCodes.triggerFunnel]: 422,
  // The answer may be valid: the prompt it answers is in a state (expired) that can no longer take one.
  [errorCodes.promptExpired]: 409,
  [errorCodes.promptAnswered]: 409,
  [errorCodes.promptDismissed]: 409,
  [errorCodes.promptNotSent]: 409,
  [errorCodes.promptUnknown]: 404,
};

export const pathSegmentTooLong = `a path segment is longer than ${idMaxLength} characters (the longest id)`;

/** fastify's own refusals (its lib/errors.js codes) as ours; a detail replaces fastify's message where that echoes the request. */
const fastifyErrors: Record<string, { code: ErrorCode; detail?: (request: FastifyRequest) => string }> = {
  FST_ERR_BAD_URL: { code: errorCodes.badUrl, detail: () => 'the path is not validly percent-encoded UTF-8' },
  FST_ERR_MAX_PARAM_LENGTH: { code: errorCodes.urlTooLong, detail: () => pathSegmentTooLong },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: errorCodes.oversize, detail: (request) => `the body is larger than ${request.routeOptions.bodyLimit} bytes` },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: errorCodes.unsupportedMediaType, detail: () => 'the body must be application/json (text/csv for a CSV import)' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: errorCodes.badRequest },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: errorCodes.badJson },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: errorCodes.badJson },
};

/** An RFC 9457 problem document, with Parcours' stable code. */
export function problem(status: number, code: ErrorCode, detail: string, errors?: Problem['errors']): Problem {
  return { type: problemType(code), title: STATUS_CODES[status] ?? 'Error', status, detail, code, ...(errors ? { errors } : {}) };
}

export function sendProblem(
  reply: FastifyReply,
  count: CountHttpError,
  status: number,
  code: ErrorCode,
  detail: string,
  errors?: Problem['errors'],
): FastifyReply {
  // A client gone before its body arrived (or cut off by a 408 from socket-errors.ts) reads no answer.
  if (!reply.request.raw.socket.destroyed) count(status, code);
  return reply
    .status(status)
    .type(problemContentType)
    .send(problem(status, code, detail, errors));
}

/** Every API error is an RFC 9457 problem document with a stable code; only a 500 is logged, and it shows nothing of its cause. */
export function httpErrorHandler(count: CountHttpError) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const send = (status: number, code: ErrorCode, detail: string, errors?: Problem['errors']) => sendProblem(reply, count, status, code, detail, errors);
    if (hasZodFastifySchemaValidationErrors(error)) {
      const errors = error.validation.map((issue) => ({
        path: [error.validationContext, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
        message: issue.message ?? 'invalid',
      }));
      return send(400, errorCodes.validation, 'the request is not valid', errors);
    }
    if (error instanceof ParcoursInputError) return send(400, error.code, error.message, error.details);
    if (error instanceof ParcoursError) return send(statusByCode[error.code] ?? 500, error.code, error.message, error.details);
    const known = fastifyErrors[error.code];
    if (known && error.statusCode !== undefined) return send(error.statusCode, known.code, known.detail?.(request) ?? error.message);
    if (error.statusCode !== undefined && error.statusCode < 500) return send(error.statusCode, errorCodes.badRequest, error.message);
    request.log.error({ err: error }, 'request failed');
    return send(500, errorCodes.internal, 'internal error');
  };
}

export function notFound(what: string, id: string): ParcoursError {
  return new ParcoursError(errorCodes.notFound, `${what} ${id} does not exist`);
}
