import { idSchema } from '@parcours/contracts';
import { z } from 'zod';
import { keyTypes } from './identities.js';

/**
 * The sources of the customer base, as `POST /api/v1/sources` takes them: the CRM is trusted most, the web
 * analytics least, so a loyalty or web value that differs from the CRM's is a conflict the CRM wins.
 */

export const sourceDeclarationSchema = z.object({
  id: idSchema,
  kind: z.enum(['crm', 'loyalty', 'web_analytics']),
  name: z.string().min(1),
  joinKeys: z.array(z.enum(keyTypes)).min(1),
  priority: z.number().int(),
  expectedFreshness: z.string().nullable(),
});
export type SourceDeclaration = z.infer<typeof sourceDeclarationSchema>;

/** In import order: highest priority first, so each import meets the values it may conflict with. */
export const customerBaseSources: readonly SourceDeclaration[] = [
  { id: 'crm', kind: 'crm', name: 'CRM', joinKeys: ['crm_id'], priority: 100, expectedFreshness: '7d' },
  { id: 'loyalty', kind: 'loyalty', name: 'Loyalty programme', joinKeys: ['loyalty_card'], priority: 70, expectedFreshness: '30d' },
  { id: 'web', kind: 'web_analytics', name: 'Web analytics', joinKeys: ['email_sha256', 'app_install_id'], priority: 50, expectedFreshness: null },
];
