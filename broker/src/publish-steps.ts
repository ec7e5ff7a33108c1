import type { Logger } from 'pino';
import type { Acl, Principal } from './acl.js';
import type { BrokerHooks } from './broker-hooks.js';
import type { BrokerMetrics, ListenerName, ListenerTraffic } from './broker-metrics.js';
import type { Step, Verdict } from './steps.js';

/**
 * A PUBLISH's path through the broker, run by aedes' `authorizePublish` hook before it writes the
 * PUBACK/PUBREC: a device's message is in the durable log before it is acknowledged.
 */
export const publishSteps: readonly PublishStep[] = [
  requireLogin,
  countTraffic,
  checkAcl,
  quarantineDenied,
  refuseDenied,
  acceptUnstored,
  limitInflight,
  ingest,
];

/** The client a publish came from, as the broker knows it. */
export interface Sender {
  readonly clientId: string;
  readonly listener: ListenerName;
  /** Null until the client has authenticated. */
  readonly principal: Principal | null;
  /** Its publishes being stored, whose acknowledgements wait for it (`ingest` keeps the count). */
  inFlight: number;
}

export interface PublishContext {
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedAt: number;
  /** Whether the gateway stores messages on this topic (a device's data) before they are acknowledged. */
  readonly ingestTopic: boolean;
  /**
   * Null when aedes publishes the will of a client of a dead node or of a past run: there is no client
   * to check, and its topic passed the ACL at CONNECT.
   */
  readonly sender: Sender | null;
  /** Why the ACL refuses the publish, once `checkAcl` has run (null: allowed). */
  denial: string | null;
}

/** What the steps use of the broker. */
export interface PublishParts {
  acl: Acl;
  hooks: Pick<BrokerHooks, 'ingest'>;
  metrics: Pick<BrokerMetrics, 'deniedPublishes' | 'refused'>;
  traffic: Readonly<Record<ListenerName, ListenerTraffic>>;
  log: Logger;
  maxInflight: number;
}

/** A refused publish: aedes closes the connection, since MQTT 3.1.1 has no negative PUBACK [MQTT-3.3.5-2]. */
export interface PublishRefusal {
  refused: 'not_authenticated' | 'denied' | 'inflight' | 'not_stored';
  error: Error;
}

export type PublishStep = Step<PublishContext, PublishParts, PublishRefusal>;
type PublishVerdict = Verdict<PublishRefusal>;

export function publishContext(packet: { topic: string; payload: Buffer | string }, sender: Sender | null, ingestTopic: boolean): PublishContext {
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  return { topic: packet.topic, payload, receivedAt: Date.now(), ingestTopic, sender, denial: null };
}

/** A client publishes only once it is authenticated. */
export function requireLogin({ sender }: PublishContext): PublishVerdict {
  if (sender === null || sender.principal !== null) return 'continue';
  return { refused: 'not_authenticated', error: new Error('publish before authentication') };
}

/** Every PUBLISH a client sends counts as received on its listener, refused ones included. */
export function countTraffic({ sender }: PublishContext, { traffic }: Pick<PublishParts, 'traffic'>): PublishVerdict {
  if (sender) traffic[sender.listener].messagesIn += 1;
  return 'continue';
}

/** Records whether the ACL lets the client publish on the topic; refusing it is left to the steps below. */
export function checkAcl(context: PublishContext, { acl }: Pick<PublishParts, 'acl'>): PublishVerdict {
  const principal = context.sender?.principal;
  if (principal) {
    const decision = acl.canPublish(principal, context.topic);
    if (!decision.allowed) context.denial = decision.reason;
  }
  return 'continue';
}

/**
 * A device writing on another device's data topic is stored all the same: the gateway quarantines it as a
 * topic mismatch, so that operators see what it sent. The publish is refused whether or not that worked.
 */
export function quarantineDenied(context: PublishContext, { hooks }: Pick<PublishParts, 'hooks'>): PublishVerdict | Promise<PublishVerdict> {
  if (context.denial === null || !context.ingestTopic || context.sender?.principal?.kind !== 'device') return 'continue';
  const next = (): PublishVerdict => 'continue';
  return hooks.ingest(message(context)).then(next, next);
}

/** A denied publish is counted and logged, and closes the connection. */
export function refuseDenied(context: PublishContext, { metrics, log }: Pick<PublishParts, 'metrics' | 'log'>): PublishVerdict {
  const { denial, sender, topic } = context;
  if (denial === null || sender === null) return 'continue';
  metrics.deniedPublishes.inc({ listener: sender.listener });
  log.warn({ clientId: sender.clientId, topic, reason: denial }, 'publish denied; disconnecting the client');
  return { refused: 'denied', error: new Error(`publish on ${topic} denied: ${denial}`) };
}

/** A message that is not a device's data (a command, a client's own topics) has nothing to wait for. */
export function acceptUnstored({ ingestTopic }: PublishContext): PublishVerdict {
  return ingestTopic ? 'continue' : 'accept';
}

/**
 * A client may have at most `maxInflight` messages being stored at once. The runner calls `ingest`, which
 * counts them, in the same tick: the publishes of one socket read, handled concurrently, all see the count.
 */
export function limitInflight({ sender }: PublishContext, { maxInflight, metrics }: Pick<PublishParts, 'maxInflight' | 'metrics'>): PublishVerdict {
  if (sender === null || sender.inFlight < maxInflight) return 'continue';
  metrics.refused.inc({ listener: sender.listener, limit: 'inflight' });
  return { refused: 'inflight', error: new Error(`more than ${maxInflight} messages in flight`) };
}

/** Stores the message durably; on failure it is not acknowledged (the connection closes, the client sends it again). */
export function ingest(context: PublishContext, { hooks }: Pick<PublishParts, 'hooks'>): Promise<PublishVerdict> {
  const { sender } = context;
  if (sender) sender.inFlight += 1;
  return hooks
    .ingest(message(context))
    .then(
      (): PublishVerdict => 'continue',
      (error: unknown): PublishVerdict => ({ refused: 'not_stored', error: error instanceof Error ? error : new Error(String(error)) }),
    )
    .finally(() => {
      if (sender) sender.inFlight -= 1;
    });
}

function message({ topic, payload, receivedAt, sender }: PublishContext): Parameters<BrokerHooks['ingest']>[0] {
  const principal = sender?.principal;
  return { topic, payload, receivedAt, clientId: sender?.clientId ?? null, username: principal?.kind === 'device' ? principal.deviceId : null };
}
