import { errorCodes, ParcoursError, type ErrorCode } from '@parcours/contracts';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

const statusByCode: Partial<Record<ErrorCode, number>> = {
  [errorCodes.notFound]: 404,
  [errorCodes.conflict]: 409,
  [errorCodes.overlap]: 409,
  [errorCodes.validation]: 400,
  [errorCodes.badInterval]: 400,
  [errorCodes.notIndividual]: 400,
  [errorCodes.notCollective]: 400,
  [errorCodes.unauthorized]: 401,
};

/** Every API error is `{ error: { code, message, details? } }` with a stable code (STYLE.md, habit 4). */
export function handleHttpError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((issue) => ({
      path: [error.validationContext, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
      message: issue.message ?? 'invalid',
    }));
    return reply.status(400).send({ error: { code: errorCodes.validation, message: 'the request is not valid', details } });
  }
  if (error instanceof ParcoursError) {
    return reply.status(statusByCode[error.code] ?? 500).send({ error: { code: error.code, message: error.message } });
  }
  if (error.statusCode !== undefined && error.statusCode < 500) {
    return reply.status(error.statusCode).send({ error: { code: errorCodes.validation, message: error.message } });
  }
  request.log.error({ err: error }, 'request failed');
  return reply.status(500).send({ error: { code: errorCodes.internal, message: 'internal error' } });
}

export function notFound(what: string, id: string): ParcoursError {
  return new ParcoursError(errorCodes.notFound, `${what} ${id} does not exist`);
}
