import { z } from 'zod';

/** Every API error is an RFC 9457 problem document, with Parcours' stable code as an extension member. */
export const problemContentType = 'application/problem+json';

export const problemSchema = z.object({
  type: z.string().describe('a URI naming the kind of problem; here `urn:parcours:error:<code>`'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string().describe('stable error code, e.g. PARCOURS_E_NOT_FOUND'),
  errors: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .optional()
    .describe('each invalid field, for validation errors'),
});
export type Problem = z.infer<typeof problemSchema>;

export function problemType(code: string): string {
  return `urn:parcours:error:${code}`;
}
