import { idSchema, problemSchema } from '@parcours/contracts';
import { z } from 'zod';

export const idParams = z.object({ id: idSchema });
export const errors = { 400: problemSchema, 404: problemSchema, 409: problemSchema };

/** Created (201) or already there, identical (200): creating with a client-chosen id is safe to retry. */
export function created<T extends z.ZodType>(schema: T) {
  return { 200: schema, 201: schema, ...errors };
}

export const deleted = { 204: z.null().describe('deleted'), ...errors };
