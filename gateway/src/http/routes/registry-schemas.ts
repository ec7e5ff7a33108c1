import { idSchema } from '@parcours/contracts';
import { z } from 'zod';
import { problemResponse } from '../openapi.js';

export const idParams = z.object({ id: idSchema.describe("the record's id") });
export const errors = {
  400: problemResponse('the request breaks a rule of the registry'),
  404: problemResponse('the record the path names does not exist'),
  409: problemResponse('a record with this id exists with other content, is still named by others, or overlaps another'),
};

/** Created (201) or already there, identical (200): creating with a client-chosen id is safe to retry. */
export function created<T extends z.ZodType>(schema: T) {
  return { 200: schema, 201: schema, ...errors };
}

export const deleted = { 204: z.null().describe('deleted'), ...errors };
