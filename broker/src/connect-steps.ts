import type { Logger } from 'pino';
import type { Acl, Principal } from './acl.js';
import type { BrokerHooks } from './broker-hooks.js';
import type { BrokerMetrics, ListenerName } from './broker-metrics.js';
import type { ConnectionGuard } from './connection-guard.js';
import type { Step, Verdict } from './steps.js';

/**
 * A CONNECT's path through the broker, run by aedes' `authenticate` hook: admission limits first, then
 * who the client is (TLS certificate, anonymous, or credentials), then what its will may do.
 */
export const connectSteps: readonly ConnectStep[] = [requireClientId, admitConnection, identifyByCertificate, identifyAnonymous, checkCredentials, checkWill];

/** CONNACK return codes of MQTT 3.1.1 (plain numbers: aedes' const enum breaks under isolatedModules). */
export const connack = { identifierRejected: 2, serverUnavailable: 3, badUsernameOrPassword: 4, notAuthorized: 5 } as const;

export interface ConnectContext {
  readonly listener: ListenerName;
  readonly address: string;
  readonly clientId: string;
  readonly username: string | undefined;
  readonly password: Buffer | undefined;
  /** It asked for a persistent session without a client id (aedes would make one up). */
  readonly persistentWithoutId: boolean;
  /** The CN of the verified TLS client certificate it presented, if any. */
  readonly certificateCn: string | null;
  readonly willTopic: string | null;
  /** Clients connected to this node now. */
  readonly connected: number;
  /** Who the client is, once a step has established it. */
  principal: Principal | null;
}

/** What the steps use of the broker. */
export interface ConnectParts {
  acl: Acl;
  guard: ConnectionGuard;
  hooks: Pick<BrokerHooks, 'authenticate' | 'deviceExists'>;
  metrics: Pick<BrokerMetrics, 'authFailures' | 'refused'>;
  log: Logger;
  allowAnonymous: boolean;
}

/** A refused CONNECT: aedes answers with this CONNACK return code and closes the connection. */
export interface ConnectRefusal {
  reason: string;
  returnCode: (typeof connack)[keyof typeof connack];
}

export type ConnectStep = Step<ConnectContext, ConnectParts, ConnectRefusal>;
type ConnectVerdict = Verdict<ConnectRefusal>;
type Reporting = Pick<ConnectParts, 'metrics' | 'log'>;

/** A login refusal: counted by reason and logged (the refusals of malformed or failed CONNECTs are not logins). */
function refuse(context: ConnectContext, { metrics, log }: Reporting, reason: string, returnCode: ConnectRefusal['returnCode']): ConnectRefusal {
  const { listener, clientId, username, address } = context;
  metrics.authFailures.inc({ listener, reason });
  log.warn({ clientId, username, address, listener, reason }, reason === 'bad_credentials' ? 'MQTT authentication failed' : 'MQTT connection refused');
  return { reason, returnCode };
}

/** aedes gives an empty client id a generated one even with clean session false [MQTT-3.1.3-8]. */
export function requireClientId({ persistentWithoutId }: ConnectContext): ConnectVerdict {
  return persistentWithoutId ? { reason: 'client_id_required', returnCode: connack.identifierRejected } : 'continue';
}

/** Who a client says it is, for counting its failed logins: its user name, else its client id. */
function login({ username, clientId }: ConnectContext): string {
  return username ?? clientId;
}

/** The connection guard's limits: clients at once, connect rate, logins and addresses that keep failing to log in. */
export function admitConnection(context: ConnectContext, parts: Pick<ConnectParts, 'guard'> & Reporting): ConnectVerdict {
  const limit = parts.guard.admit(context.address, login(context), context.connected);
  if (limit === null) return 'continue';
  parts.metrics.refused.inc({ listener: context.listener, limit });
  const failing = limit === 'auth_rate_limited' || limit === 'auth_address_rate_limited';
  return refuse(context, parts, limit, failing ? connack.notAuthorized : connack.serverUnavailable);
}

/** A verified TLS client certificate names a registered device (its CN); a username, if any, must agree. */
export function identifyByCertificate(context: ConnectContext, parts: Pick<ConnectParts, 'hooks'> & Reporting): ConnectVerdict {
  const device = context.certificateCn;
  if (device === null) return 'continue';
  if (context.username !== undefined && context.username !== device)
    return refuse(context, parts, 'username_not_certificate_cn', connack.badUsernameOrPassword);
  if (!parts.hooks.deviceExists(device)) return refuse(context, parts, 'unknown_certificate_device', connack.notAuthorized);
  context.principal = { kind: 'device', deviceId: device, login: 'certificate' };
  return 'continue';
}

/** A client without credentials is anonymous, which `mqtt.allowAnonymous` must allow. */
export function identifyAnonymous(context: ConnectContext, parts: Pick<ConnectParts, 'allowAnonymous'> & Reporting): ConnectVerdict {
  if (context.principal !== null || context.username !== undefined) return 'continue';
  if (!parts.allowAnonymous) return refuse(context, parts, 'no_credentials', connack.notAuthorized);
  context.principal = { kind: 'anonymous' };
  return 'continue';
}

/** A device (id + secret) or an API key (the key as password); a failure counts against the login from its address. */
export function checkCredentials(context: ConnectContext, parts: Pick<ConnectParts, 'hooks' | 'guard'> & Reporting): ConnectVerdict | Promise<ConnectVerdict> {
  if (context.principal !== null) return 'continue';
  return parts.hooks.authenticate(context.username ?? '', context.password?.toString('utf8') ?? '').then(
    (principal): ConnectVerdict => {
      if (principal === null) {
        parts.guard.recordAuthFailure(context.address, login(context));
        return refuse(context, parts, 'bad_credentials', connack.badUsernameOrPassword);
      }
      context.principal = principal;
      return 'continue';
    },
    (error: unknown): ConnectVerdict => {
      parts.log.error({ err: error }, 'authentication failed with an error');
      return { reason: 'authentication_error', returnCode: connack.serverUnavailable };
    },
  );
}

/**
 * The will is published later, maybe by another node with no client left to check: its topic is checked
 * now. (A client that reached this step has a principal; one without is refused all the same.)
 */
export function checkWill(context: ConnectContext, parts: Pick<ConnectParts, 'acl'> & Reporting): ConnectVerdict {
  const { willTopic, principal } = context;
  if (willTopic === null) return 'continue';
  return principal !== null && parts.acl.canPublish(principal, willTopic).allowed
    ? 'continue'
    : refuse(context, parts, 'will_not_allowed', connack.notAuthorized);
}
