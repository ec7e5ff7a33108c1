import { describe, expect, it } from 'vitest';
import type { Principal } from '../src/acl.js';
import { loggedInWith } from '../src/revocation.js';

const bySecret: Principal = { kind: 'device', deviceId: 'd1', login: 'secret' };
const byCertificate: Principal = { kind: 'device', deviceId: 'd1', login: 'certificate' };
const otherDevice: Principal = { kind: 'device', deviceId: 'd2', login: 'secret' };
const key: Principal = { kind: 'key', id: 'k1', name: 'crm', role: 'integrator', subjects: ['home'] };
const anonymous: Principal = { kind: 'anonymous' };

describe('loggedInWith', () => {
  it('ends the secret logins of a device whose secret was replaced, not its certificate logins nor other devices', () => {
    const revoked = { kind: 'deviceSecret', deviceId: 'd1' } as const;
    expect([bySecret, byCertificate, otherDevice, key, anonymous].map((p) => loggedInWith(p, revoked))).toEqual([true, false, false, false, false]);
  });

  it('ends every login of a device that left the registry', () => {
    const revoked = { kind: 'device', deviceId: 'd1' } as const;
    expect([bySecret, byCertificate, otherDevice, key, anonymous].map((p) => loggedInWith(p, revoked))).toEqual([true, true, false, false, false]);
  });

  it('ends the logins of keys no longer among the remaining ones, by id (a new key may take a revoked one’s name)', () => {
    expect(loggedInWith(key, { kind: 'apiKeys', remaining: new Set(['k1', 'k2']) })).toBe(false);
    expect(loggedInWith(key, { kind: 'apiKeys', remaining: new Set(['k2']) })).toBe(true);
    expect(loggedInWith(bySecret, { kind: 'apiKeys', remaining: new Set() })).toBe(false);
    expect(loggedInWith(anonymous, { kind: 'apiKeys', remaining: new Set() })).toBe(false);
  });
});
