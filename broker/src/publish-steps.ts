import type { Logger } from 'pino';
import type { Acl, Principal } from './acl.js';
import type { BrokerHooks } from './broker-hooks.js';
import type { BrokerMetrics, ListenerName, ListenerTraffic } from './broker-metrics.js';
import type { IngestBacklog, OverloadMonitor } from './overload-monitor.js';
import type { PublishThrottle } from './publish-throttle.js';
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
  limitRate,
  acceptUnstored,
  limitInflight,
  shedOverload,
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
  readonly qos: number;
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
  metrics: Pick<BrokerMetrics, 'deniedPublishes' | 'refused' | 'dropped'>;
  traffic: Readonly<Record<ListenerName, ListenerTraffic>>;
  log: Logger;
  maxInflight: number;
  throttle: Pick<PublishThrottle, 'admit'>;
  backlog: IngestBacklog;
  overload: Pick<OverloadMonitor, 'reason'>;
}

/** A refused publish: aedes closes the connection, since MQTT 3.1.1 has no negative PUBACK [MQTT-3.3.5-2]. */
export interface PublishRefusal {
  refused: 'not_authenticated' | 'denied' | 'inflight' | 'not_stored';
  error: Error;
}

/**
 * A dropped publish: neither stored nor delivered, and the connection stays open. QoS 0 promises at most
 * once delivery, so the client is owed nothing (MQTT 3.1.1 §4.3.1).
 */
export interface PublishDrop {
  dropped: 'backlog' | 'busy';
}

export type PublishStep = Step<PublishContext, PublishParts, PublishRefusal | PublishDrop>;
type PublishVerdict = Verdict<PublishRefusal | PublishDrop>;

export function publishContext(packet: { topic: string; payload: Buffer | string; qos?: number }, sender: Sender | null, ingestTopic: boolean): PublishContext {
  const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
  return { topic: packet.topic, payload, receivedAt: Date.now(), qos: packet.qos ?? 0, ingestTopic, sender, denial: null };
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

/**
 * A device may publish `mqtt.publishRate` messages a second after a burst of `mqtt.publishBurst`, all its
 * connections together (more client ids must not mean more messages); any other client, on its own. A
 * publish over the rate waits for its token, QoS 0 as QoS 1, and with it the reading of the client's socket
 * (`PublishThrottle`); the PUBACK of a QoS 1 message waits too. Counted once per publish that waits.
 */
export function limitRate(
  { sender }: PublishContext,
  { throttle, metrics }: Pick<PublishParts, 'throttle' | 'metrics'>,
): PublishVerdict | Promise<PublishVerdict> {
  if (sender === null) return 'continue';
  const waiting = throttle.admit(publisher(sender), sender);
  if (waiting === null) return 'continue';
  metrics.refused.inc({ listener: sender.listener, limit: 'publish_rate' });
  return waiting.then((): PublishVerdict => 'continue');
}

/** Who a client publishes as, for its rate: its device, or itself. */
export function publisher({ principal, clientId }: Pick<Sender, 'principal' | 'clientId'>): string {
  return principal?.kind === 'device' ? `device/${principal.deviceId}` : `client/${clientId}`;
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

/**
 * Overload (`OverloadMonitor`): while the store is behind or the event loop has been busy too long, a
 * client's QoS 0 device message is dropped before the gateway spends anything on it, and counted with the
 * reason. QoS 1 and 2 messages are still stored, their acknowledgements just come later: the work shed is
 * the QoS 0 flood's, so a QoS 1 message does not wait behind it. A will is never dropped.
 */
export function shedOverload({ qos, sender }: PublishContext, { overload, metrics }: Pick<PublishParts, 'overload' | 'metrics'>): PublishVerdict {
  if (qos > 0 || sender === null) return 'continue';
  const reason = overload.reason();
  if (reason === null) return 'continue';
  metrics.dropped.inc({ listener: sender.listener, reason });
  return { dropped: reason };
}

/** Stores the message durably; on failure it is not acknowledged (the connection closes, the client sends it again). */
export function ingest(context: PublishContext, { hooks, backlog }: Pick<PublishParts, 'hooks' | 'backlog'>): Promise<PublishVerdict> {
  const { sender } = context;
  if (sender) sender.inFlight += 1;
  backlog.size += 1;
  return hooks
    .ingest(message(context))
    .then(
      (): PublishVerdict => 'continue',
      (error: unknown): PublishVerdict => ({ refused: 'not_stored', error: error instanceof Error ? error : new Error(String(error)) }),
    )
    .finally(() => {
      backlog.size -= 1;
      if (sender) sender.inFlight -= 1;
    });
}

function message({ topic, payload, receivedAt, sender }: PublishContext): Parameters<BrokerHooks['ingest']>[0] {
  const principal = sender?.principal;
  return { topic, payload, receivedAt, clientId: sender?.clientId ?? null, username: principal?.kind === 'device' ? principal.deviceId : null };
}
