import { errorCodes, ParcoursError, ParcoursInputError, problemContentType, problemType, type ErrorCode, type Problem } from '@parcours/contracts';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

const statusByCode: Partial<Record<ErrorCode, number>> = {
  [errorCodes.notFound]: 404,
  [errorCodes.conflict]: 409,
  [errorCodes.overlap]: 409,
  [errorCodes.validation]: 400,
  [errorCodes.badInterval]: 400,
  [errorCodes.notIndividual]: 400,
  [errorCodes.notCollective]: 400,
  [errorCodes.unauthorized]: 401,
  [errorCodes.forbidden]: 403,
};

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
};

function send(reply: FastifyReply, status: number, code: string, detail: string, errors?: Problem['errors']): FastifyReply {
  const problem: Problem = { type: problemType(code), title: titles[status] ?? 'Error', status, detail, code, ...(errors ? { errors } : {}) };
  return reply.status(status).type(problemContentType).send(problem);
}

/** Every API error is an RFC 9457 problem document with a stable code. */
export function handleHttpError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((issue) => ({
      path: [error.validationContext, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
      message: issue.message ?? 'invalid',
    }));
    return send(reply, 400, errorCodes.validation, 'the request is not valid', errors);
  }
  if (error instanceof ParcoursInputError) return send(reply, 400, error.code, error.message, error.details);
  if (error instanceof ParcoursError) return send(reply, statusByCode[error.code] ?? 500, error.code, error.message);
  if (error.statusCode !== undefined && error.statusCode < 500) return send(reply, error.statusCode, errorCodes.validation, error.message);
  request.log.error({ err: error }, 'request failed');
  return send(reply, 500, errorCodes.internal, 'internal error');
}

export function notFound(what: string, id: string): ParcoursError {
  return new ParcoursError(errorCodes.notFound, `${what} ${id} does not exist`);
}
