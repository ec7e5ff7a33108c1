import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost: N=2^14, r=8, p=1 (the RFC 7914 interactive profile), about 50 ms of a worker thread. */
const params = { N: 16_384, r: 8, p: 1 } as const;
const keyLength = 32;

function derive(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret, salt, keyLength, { ...options, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key))));
}

/** A new random secret (shown once) and its stored form `scrypt$N$r$p$salt$hash`; the secret itself is never kept. */
export async function issueSecret(): Promise<{ secret: string; hash: string }> {
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16);
  const key = await derive(secret, salt, params);
  return { secret, hash: ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$') };
}

/** Compares in constant time, with the parameters stored beside the hash (so they can be raised later). */
export async function verifySecret(candidate: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(candidate, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
