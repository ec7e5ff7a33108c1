import type { SourceCreate } from '@parcours/contracts';

/**
 * The sources of the customer base, as `POST /api/v1/sources` takes them (the shared `sourceSchema`): the
 * CRM is trusted most, the web analytics least, so a loyalty or web value that differs from the CRM's is a
 * conflict the CRM wins. In import order: highest priority first, so each import meets the values it may
 * conflict with.
 */
export const customerBaseSources: readonly SourceCreate[] = [
  { id: 'crm', kind: 'crm', name: 'CRM', joinKeys: ['crm_id'], priority: 100, expectedFreshness: '7d' },
  { id: 'loyalty', kind: 'loyalty', name: 'Loyalty programme', joinKeys: ['loyalty_card'], priority: 70, expectedFreshness: '30d' },
  { id: 'web', kind: 'web_analytics', name: 'Web analytics', joinKeys: ['email_sha256', 'app_install_id'], priority: 50, expectedFreshness: null },
];
