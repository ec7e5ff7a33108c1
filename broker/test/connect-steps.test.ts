import { describe, expect, it } from 'vitest';
import { Acl, parseAclRules, type Principal } from '../src/acl.js';
import {
  admitConnection,
  checkCredentials,
  checkWill,
  connack,
  connectSteps,
  identifyAnonymous,
  identifyByCertificate,
  requireClientId,
  type ConnectContext,
  type ConnectParts,
  type ConnectRefusal,
} from '../src/connect-steps.js';
import { ConnectionGuard } from '../src/connection-guard.js';
import { runSteps } from '../src/steps.js';
import { count, recordingParts } from './recording-parts.js';

const acl = new Acl('parcours', parseAclRules('readwrite lab/#', 'parcours'));
const d1: Principal = { kind: 'device', deviceId: 'd1', login: 'secret' };

/** A CONNECT on TCP from 10.0.0.1; `overrides` sets what the test is about. */
function connect(overrides: Partial<ConnectContext> = {}): ConnectContext {
  return {
    listener: 'tcp',
    address: '10.0.0.1',
    clientId: 'c1',
    username: 'd1',
    password: Buffer.from('secret'),
    persistentWithoutId: false,
    certificateCn: null,
    willTopic: null,
    connected: 0,
    principal: null,
    ...overrides,
  };
}

/** Parts with one registered device, d1, whose secret is `secret`; `logins` records each credentials check. */
function parts(overrides: Partial<Pick<ConnectParts, 'allowAnonymous'>> = {}): ConnectParts & ReturnType<typeof recordingParts> & { logins: string[] } {
  const logins: string[] = [];
  const hooks: ConnectParts['hooks'] = {
    authenticate: (username, password) => {
      logins.push(username);
      return Promise.resolve(username === 'd1' && password === 'secret' ? d1 : null);
    },
    deviceExists: (id) => id === 'd1',
  };
  const guard = new ConnectionGuard({ maxConnections: 10, connectRate: 100, authFailureLimit: 1, authFailureAddressLimit: 3, authFailureWindowMs: 60_000 });
  return { ...recordingParts(), acl, guard, hooks, allowAnonymous: false, logins, ...overrides };
}

function run(context: ConnectContext, p: ConnectParts): Promise<'accept' | ConnectRefusal> {
  return new Promise((resolve, reject) => runSteps(connectSteps, context, p, resolve, reject));
}

describe('the connect path', () => {
  it('is this list, in this order', () => {
    expect(connectSteps.map((step) => step.name)).toEqual([
      'requireClientId',
      'admitConnection',
      'identifyByCertificate',
      'identifyAnonymous',
      'checkCredentials',
      'checkWill',
    ]);
  });

  it('logs a device in with its secret, and keeps who it is in the context', async () => {
    const context = connect({ willTopic: 'parcours/devices/d1/status' });
    expect(await run(context, parts())).toBe('accept');
    expect(context.principal).toEqual(d1);
  });

  it('takes a certificate’s word without checking credentials', async () => {
    const p = parts();
    expect(await run(connect({ listener: 'tls', username: undefined, password: undefined, certificateCn: 'd1' }), p)).toBe('accept');
    expect(p.logins).toEqual([]);
  });
});

describe('requireClientId', () => {
  it('refuses a persistent session without a client id with CONNACK 2, not counted as a login failure [MQTT-3.1.3-8]', () => {
    expect(requireClientId(connect({ persistentWithoutId: true }))).toEqual({ reason: 'client_id_required', returnCode: connack.identifierRejected });
    expect(requireClientId(connect())).toBe('continue');
  });
});

describe('admitConnection', () => {
  it('refuses past max connections with CONNACK 3, counting the breach and the refusal', async () => {
    const p = parts();
    expect(admitConnection(connect({ connected: 9 }), p)).toBe('continue');
    expect(admitConnection(connect({ connected: 10 }), p)).toEqual({ reason: 'max_connections', returnCode: connack.serverUnavailable });
    expect(await count(p.metrics.refused, { listener: 'tcp', limit: 'max_connections' })).toBe(1);
    expect(await count(p.metrics.authFailures, { listener: 'tcp', reason: 'max_connections' })).toBe(1);
    expect(p.logged).toEqual([expect.objectContaining({ msg: 'MQTT connection refused', reason: 'max_connections', address: '10.0.0.1' })]);
  });

  it('refuses a login that keeps failing from an address with CONNACK 5, by user name or else client id', () => {
    const p = parts();
    p.guard.recordAuthFailure('10.0.0.1', 'd1');
    expect(admitConnection(connect({ clientId: 'c2' }), p)).toEqual({ reason: 'auth_rate_limited', returnCode: connack.notAuthorized });
    expect(admitConnection(connect({ address: '10.0.0.2' }), p)).toBe('continue');
    expect(admitConnection(connect({ username: 'd2' }), p)).toBe('continue');
    p.guard.recordAuthFailure('10.0.0.1', 'c3');
    expect(admitConnection(connect({ username: undefined, clientId: 'c3' }), p)).toEqual({ reason: 'auth_rate_limited', returnCode: connack.notAuthorized });
  });

  it('refuses an address failing with many logins with CONNACK 5, whatever the login', async () => {
    const p = parts();
    for (const guess of ['guess-1', 'guess-2', 'guess-3']) p.guard.recordAuthFailure('10.0.0.1', guess);
    expect(admitConnection(connect(), p)).toEqual({ reason: 'auth_address_rate_limited', returnCode: connack.notAuthorized });
    expect(await count(p.metrics.refused, { listener: 'tcp', limit: 'auth_address_rate_limited' })).toBe(1);
  });
});

describe('identifyByCertificate', () => {
  it('identifies the registered device its CN names', () => {
    const context = connect({ certificateCn: 'd1', username: undefined });
    expect(identifyByCertificate(context, parts())).toBe('continue');
    expect(context.principal).toEqual({ ...d1, login: 'certificate' });
  });

  it('refuses a username other than the CN (CONNACK 4) and a CN no device has (CONNACK 5)', async () => {
    const p = parts();
    expect(identifyByCertificate(connect({ certificateCn: 'd1', username: 'd2' }), p)).toEqual({
      reason: 'username_not_certificate_cn',
      returnCode: connack.badUsernameOrPassword,
    });
    expect(identifyByCertificate(connect({ certificateCn: 'ghost', username: undefined }), p)).toEqual({
      reason: 'unknown_certificate_device',
      returnCode: connack.notAuthorized,
    });
    expect(await count(p.metrics.authFailures, { listener: 'tcp', reason: 'unknown_certificate_device' })).toBe(1);
  });

  it('leaves a client without a certificate to the next steps', () => {
    const context = connect();
    expect(identifyByCertificate(context, parts())).toBe('continue');
    expect(context.principal).toBeNull();
  });
});

describe('identifyAnonymous', () => {
  it('refuses a client without credentials unless anonymous clients are allowed', async () => {
    const refusing = parts();
    expect(identifyAnonymous(connect({ username: undefined }), refusing)).toEqual({ reason: 'no_credentials', returnCode: connack.notAuthorized });
    expect(await count(refusing.metrics.authFailures, { listener: 'tcp', reason: 'no_credentials' })).toBe(1);
    const context = connect({ username: undefined });
    expect(identifyAnonymous(context, parts({ allowAnonymous: true }))).toBe('continue');
    expect(context.principal).toEqual({ kind: 'anonymous' });
  });

  it('leaves a client with a username, or already identified, to the other steps', () => {
    const p = parts({ allowAnonymous: true });
    const withUsername = connect();
    const identified = connect({ username: undefined, principal: d1 });
    expect([identifyAnonymous(withUsername, p), identifyAnonymous(identified, p)]).toEqual(['continue', 'continue']);
    expect([withUsername.principal, identified.principal]).toEqual([null, d1]);
  });
});

describe('checkCredentials', () => {
  it('identifies the holder of valid credentials', async () => {
    const context = connect();
    expect(await checkCredentials(context, parts())).toBe('continue');
    expect(context.principal).toEqual(d1);
  });

  it('refuses bad credentials with CONNACK 4 and counts the failure against the login from its address', async () => {
    const p = parts();
    expect(await checkCredentials(connect({ password: Buffer.from('guess') }), p)).toEqual({
      reason: 'bad_credentials',
      returnCode: connack.badUsernameOrPassword,
    });
    expect(p.guard.admit('10.0.0.1', 'd1', 0)).toBe('auth_rate_limited');
    expect(p.guard.admit('10.0.0.1', 'd2', 0)).toBeNull();
    expect(p.logged).toEqual([expect.objectContaining({ msg: 'MQTT authentication failed', reason: 'bad_credentials' })]);
  });

  it('answers CONNACK 3 when the check itself fails, without counting it against the client', async () => {
    const p = parts();
    p.hooks = { ...p.hooks, authenticate: () => Promise.reject(new Error('database locked')) };
    expect(await checkCredentials(connect(), p)).toEqual({ reason: 'authentication_error', returnCode: connack.serverUnavailable });
    expect(p.guard.admit('10.0.0.1', 'd1', 0)).toBeNull();
    expect(await count(p.metrics.authFailures, { listener: 'tcp', reason: 'authentication_error' })).toBe(0);
    expect(p.logged).toEqual([expect.objectContaining({ msg: 'authentication failed with an error', level: 50 })]);
  });

  it('checks nothing for a client already identified, and answers at once', () => {
    const p = parts();
    expect(checkCredentials(connect({ principal: d1 }), p)).toBe('continue');
    expect(p.logins).toEqual([]);
  });
});

describe('checkWill', () => {
  it('refuses a will on a topic the client may not publish on with CONNACK 5, since it is published when there is no client to check', async () => {
    const p = parts();
    expect(checkWill(connect({ principal: d1, willTopic: 'parcours/devices/d2/status' }), p)).toEqual({
      reason: 'will_not_allowed',
      returnCode: connack.notAuthorized,
    });
    expect(await count(p.metrics.authFailures, { listener: 'tcp', reason: 'will_not_allowed' })).toBe(1);
  });

  it('accepts a will on its own topic, or no will', () => {
    const p = parts();
    expect(checkWill(connect({ principal: d1, willTopic: 'parcours/devices/d1/status' }), p)).toBe('continue');
    expect(checkWill(connect({ principal: d1 }), p)).toBe('continue');
  });
});
