import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Device secrets are 256 random bits, so a fast salted SHA-256 is as safe a stored form as a slow KDF
 * (nothing to brute-force) and lets a node re-admit thousands of reconnecting devices per second; scrypt
 * cost 50 ms of a worker thread per CONNECT. Hashes stored by earlier versions (`scrypt$…`) still verify.
 */
function sha256(secret: string, salt: Buffer): Buffer {
  return createHash('sha256').update(salt).update(secret, 'utf8').digest();
}

function derive(secret: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, 32, { ...options, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** A new random secret (shown once) and its stored form `sha256$salt$hash`; the secret itself is never kept. */
export function issueSecret(): { secret: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16);
  return { secret, hash: ['sha256', salt.toString('base64url'), sha256(secret, salt).toString('base64url')].join('$') };
}

/** Compares in constant time, with the scheme (and for scrypt the parameters) stored beside the hash. */
export async function verifySecret(candidate: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  let key: Buffer;
  let expected: Buffer;
  if (parts[0] === 'sha256' && parts.length === 3) {
    key = sha256(candidate, Buffer.from(parts[1]!, 'base64url'));
    expected = Buffer.from(parts[2]!, 'base64url');
  } else if (parts[0] === 'scrypt' && parts.length === 6) {
    const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
    key = await derive(candidate, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
    expected = Buffer.from(hash, 'base64url');
  } else {
    return false;
  }
  return key.length === expected.length && timingSafeEqual(key, expected);
}
