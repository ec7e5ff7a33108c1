import { createHash } from 'node:crypto';
import { emailKeyType } from '@parcours/contracts';

/** The column or key that carries a plain e-mail address, kept only as its hash. */
export const emailColumn = 'email';

/** The hex SHA-256 of an address as people type it: trimmed, lower-cased. */
export function emailHash(address: string): string {
  return createHash('sha256').update(address.trim().toLowerCase()).digest('hex');
}

const sha256Hex = /^[0-9a-fA-F]{64}$/;

/**
 * A key as stored, or why it cannot be: an address (as `email`, or by mistake as `email_sha256`) becomes its
 * hash, so that no address is ever stored; a given hash must look like one.
 */
export function storedKey(type: string, value: string): { type: string; value: string } | { problem: string } {
  if (type === emailColumn) return { type: emailKeyType, value: emailHash(value) };
  if (type !== emailKeyType) return { type, value };
  if (value.includes('@')) return { type, value: emailHash(value) };
  if (!sha256Hex.test(value)) return { problem: `${emailKeyType} ${JSON.stringify(value)} is neither an address nor a hex SHA-256` };
  return { type, value: value.toLowerCase() };
}
