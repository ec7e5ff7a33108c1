import { z } from 'zod';

/** Every API error is an RFC 9457 problem document, with Parcours' stable code as an extension member. */
export const problemContentType = 'application/problem+json';

export const problemSchema = z.object({
  type: z.string().describe('a URI naming the kind of problem; here `urn:parcours:error:<code>`'),
  title: z.string().describe("the HTTP status's reason phrase (Not Found, Unsupported Media Type, …)"),
  status: z.number().int().describe('the HTTP status'),
  detail: z.string().describe('what was wrong with this request'),
  code: z.string().describe('stable error code, e.g. PARCOURS_E_NOT_FOUND'),
  errors: z
    .array(
      z.object({
        path: z.string().describe('where: a field (`body.validFrom`), or a file line in an import'),
        message: z.string().describe('what is wrong there'),
      }),
    )
    .optional()
    .describe('each invalid field, for validation errors'),
});
export type Problem = z.infer<typeof problemSchema>;

export function problemType(code: string): string {
  return `urn:parcours:error:${code}`;
}
