import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueSecret, verifySecret } from '../../src/registry/secrets.js';

describe('device secrets', () => {
  it('verifies the issued secret and nothing else', async () => {
    const { secret, hash } = issueSecret();
    expect(hash).not.toContain(secret);
    expect(await verifySecret(secret, hash)).toBe(true);
    expect(await verifySecret(`${secret}x`, hash)).toBe(false);
    expect(await verifySecret(secret, issueSecret().hash)).toBe(false);
  });

  it('still verifies a scrypt hash stored by an earlier version', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('old-secret', salt, 32, { N: 1024, r: 8, p: 1 });
    const stored = ['scrypt', 1024, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
    expect(await verifySecret('old-secret', stored)).toBe(true);
    expect(await verifySecret('other', stored)).toBe(false);
  });

  it('refuses a malformed stored hash', async () => {
    expect(await verifySecret('x', 'md5$abc')).toBe(false);
    expect(await verifySecret('x', '')).toBe(false);
  });
});
