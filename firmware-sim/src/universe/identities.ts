import { createHash } from 'node:crypto';
import type { Customers } from './customers.js';

/**
 * The external ids of customers and of unknown visitors, each derived from the seed and an index, so that
 * nothing but the customers' arrays is kept in memory. An e-mail address is a key only as the hex SHA-256 of
 * its trimmed, lower-cased form (`email_sha256`); the plain addresses never leave the simulator.
 */

export const keyTypes = ['crm_id', 'loyalty_card', 'email_sha256', 'app_install_id'] as const;
export type KeyType = (typeof keyTypes)[number];

export const emailKey = (address: string): string => createHash('sha256').update(address.trim().toLowerCase()).digest('hex');

const hexId = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);

export const crmId = (index: number): string => `C${String(index + 1).padStart(7, '0')}`;
export const loyaltyCardId = (index: number): string => `LC-${String(index + 1).padStart(8, '0')}`;
/** Cards the loyalty programme knows and the CRM never linked to a customer. */
export const unlinkedCardId = (n: number): string => `LC-U${String(n + 1).padStart(7, '0')}`;
export const emailAddress = (seed: number, index: number): string => `customer${index + 1}.s${seed}@example.com`;
export const visitorEmailAddress = (seed: number, n: number): string => `visitor${n + 1}.s${seed}@example.net`;
export const appInstallId = (seed: number, index: number): string => hexId(`${seed}|app|${index}`);
export const visitorAppInstallId = (seed: number, n: number): string => hexId(`${seed}|visitor-app|${n}`);

/** A customer's keys, as the identities file gives them (the address already hashed). */
export function identityKeys(customers: Customers, seed: number, index: number): Partial<Record<KeyType, string>> {
  const keys: Partial<Record<KeyType, string>> = { crm_id: crmId(index) };
  if (customers.loyaltyCard[index]) keys.loyalty_card = loyaltyCardId(index);
  const emailOf = customers.emailOf[index]!;
  if (emailOf >= 0) keys.email_sha256 = emailKey(emailAddress(seed, emailOf));
  if (customers.appInstall[index]) keys.app_install_id = appInstallId(seed, index);
  return keys;
}
