import type { ApiKeyInfo, ApiRole } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { type Access, allows, declaredAccess } from '../../src/auth/access.js';

const key = (role: ApiRole, subjects: string[] = []): ApiKeyInfo => ({ id: `${role}-id`, name: role, role, subjects, createdAt: 0 });
const keys = { none: null, admin: key('admin'), reader: key('reader'), integrator: key('integrator', ['home']) };
const subject: Access = { subjectParam: 'id' };
/** The subject a resource's id leads to (a prompt's person): `p-home` is home's. */
const actingFor: Access = { subjectOf: (params) => (params.id === 'p-home' ? 'home' : null) };
const accesses: Record<string, Access> = { public: 'public', read: 'read', write: 'write', subject, actingFor };

/** Who may call each access with a reading method (GET, HEAD) and with any other, the integrator asking about its granted subject. */
const expected: Record<keyof typeof keys, { reading: string[]; writing: string[] }> = {
  none: { reading: ['public'], writing: ['public'] },
  admin: { reading: ['public', 'read', 'write', 'subject', 'actingFor'], writing: ['public', 'read', 'write', 'subject', 'actingFor'] },
  reader: { reading: ['public', 'read', 'subject', 'actingFor'], writing: ['public'] },
  integrator: { reading: ['public', 'subject'], writing: ['public'] },
};

describe('allows', () => {
  for (const [who, rules] of Object.entries(expected)) {
    const holder = keys[who as keyof typeof keys];
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      const allowed = ['GET', 'HEAD'].includes(method) ? rules.reading : rules.writing;
      it(`${who} key, ${method}: allowed on ${allowed.join(', ')} only`, () => {
        const verdicts = Object.entries(accesses).filter(([, access]) => allows(holder, access, { method, params: { id: 'home' } }));
        expect(verdicts.map(([name]) => name)).toEqual(allowed);
      });
    }
  }

  it('lets an integrator read about the subjects granted to its key only', () => {
    const integrator = keys.integrator;
    expect(allows(integrator, subject, { method: 'GET', params: { id: 'home' } })).toBe(true);
    expect(allows(integrator, subject, { method: 'GET', params: { id: 'flat' } })).toBe(false);
    expect(allows(integrator, subject, { method: 'GET', params: {} })).toBe(false);
    expect(allows(integrator, { subjectParam: 'subjectId' }, { method: 'GET', params: { id: 'home' } })).toBe(false);
    expect(allows(key('integrator'), subject, { method: 'GET', params: { id: 'home' } })).toBe(false);
    expect(allows(key('integrator', ['flat', 'home']), subject, { method: 'HEAD', params: { id: 'home' } })).toBe(true);
  });

  it('lets an integrator act, with any method, for the subjects granted to its key only', () => {
    for (const method of ['GET', 'POST']) {
      expect(allows(keys.integrator, actingFor, { method, params: { id: 'p-home' } })).toBe(true);
      expect(allows(keys.integrator, actingFor, { method, params: { id: 'p-flat' } })).toBe(false);
      expect(allows(key('integrator', ['flat']), actingFor, { method, params: { id: 'p-home' } })).toBe(false);
    }
  });

  it('never lets the subject grant of another role matter', () => {
    expect(allows(key('reader', ['home']), 'write', { method: 'GET', params: { id: 'home' } })).toBe(false);
    expect(allows(key('reader'), subject, { method: 'GET', params: { id: 'flat' } })).toBe(true);
  });
});

describe('declaredAccess', () => {
  it('returns the access a route declares', () => {
    expect(declaredAccess({ method: 'GET', url: '/healthz', config: { access: 'public' } })).toBe('public');
    expect(declaredAccess({ method: ['GET', 'HEAD'], url: '/api/v1/subjects/:id/sessions', config: { access: subject } })).toEqual(subject);
  });

  it('refuses a route without an access, naming it', () => {
    expect(() => declaredAccess({ method: 'GET', url: '/api/v1/things' })).toThrow(/GET \/api\/v1\/things declares no valid access/);
    expect(() => declaredAccess({ method: 'POST', url: '/api/v1/things', config: {} })).toThrow(/POST \/api\/v1\/things declares no valid access/);
  });

  it('refuses an access outside the vocabulary', () => {
    expect(() => declaredAccess({ method: 'GET', url: '/x', config: { access: 'admin' } })).toThrow(/declares no valid access/);
    expect(() => declaredAccess({ method: 'GET', url: '/x/:id', config: { access: { subjectParam: 'id', role: 'integrator' } } })).toThrow(
      /declares no valid access/,
    );
  });

  it('refuses a subject parameter that the path does not have', () => {
    expect(() => declaredAccess({ method: 'GET', url: '/api/v1/subjects/:subjectId/sessions', config: { access: subject } })).toThrow(
      /subject of :id, which its path does not have/,
    );
  });
});
