import type { TLSSocket } from 'node:tls';
import type { Config, RevokedCredentials } from '@parcours/contracts';
import type { Aedes, AedesOptions, AedesPublishPacket, AuthenticateError, Client, ConnectPacket, PublishPacket, Subscription } from 'aedes';
import type { Logger } from 'pino';
import { connackSent, willTopic } from './aedes-client-state.js';
import { type Acl, type Principal, topicMatches } from './acl.js';
import type { BrokerHooks } from './broker-hooks.js';
import type { BrokerMetrics, ListenerName, ListenerTraffic } from './broker-metrics.js';
import type { ClientInfo } from './client-info.js';
import { connack, connectSteps, type ConnectContext, type ConnectParts, type ConnectRefusal } from './connect-steps.js';
import type { ConnectionGuard } from './connection-guard.js';
import { DroppedPublishes } from './dropped-publishes.js';
import type { IngestBacklog, OverloadMonitor } from './overload-monitor.js';
import { connackUnacceptableProtocol, isSupportedProtocol } from './packet-checks.js';
import type { PendingSockets } from './pending-sockets.js';
import { publishContext, publishSteps, type PublishDrop, type PublishParts, type PublishRefusal } from './publish-steps.js';
import type { PublishThrottle } from './publish-throttle.js';
import { loggedInWith } from './revocation.js';
import { runSteps } from './steps.js';
import { SubscriptionDenials } from './subscription-denials.js';

export interface AedesHooksOptions {
  config: Pick<Config['mqtt'], 'allowAnonymous' | 'maxInflight'>;
  hooks: BrokerHooks;
  /** The connections the listeners accepted. */
  clients: Pick<WeakMap<Client, ClientInfo>, 'get'>;
  acl: Acl;
  guard: ConnectionGuard;
  throttle: PublishThrottle;
  overload: OverloadMonitor;
  backlog: IngestBacklog;
  pending: Pick<PendingSockets, 'connectReceived' | 'release'>;
  metrics: BrokerMetrics;
  traffic: Record<ListenerName, ListenerTraffic>;
  log: Logger;
  /** Clients connected to this node now. */
  connected: () => number;
}

type Handlers = Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>>;

function authenticateError({ reason, returnCode }: ConnectRefusal): AuthenticateError {
  return Object.assign(new Error(reason), { returnCode }) as AuthenticateError;
}

/**
 * What the broker does in aedes' hooks and on its events: a CONNECT goes through the `connectSteps`, a
 * PUBLISH through the `publishSteps`, a SUBSCRIBE and each delivery through the ACL; connections are counted
 * as they log in and end.
 */
export class AedesHooks {
  private readonly connectParts: ConnectParts;
  private readonly publishParts: PublishParts;
  private readonly dropped = new DroppedPublishes();
  private readonly subscriptionDenials: SubscriptionDenials;

  constructor(private readonly options: AedesHooksOptions) {
    const { config, hooks, acl, guard, throttle, overload, backlog, metrics, traffic, log } = options;
    this.connectParts = { acl, guard, hooks, metrics, log, allowAnonymous: config.allowAnonymous };
    this.publishParts = { acl, hooks, metrics, traffic, log, maxInflight: config.maxInflight, throttle, backlog, overload };
    this.subscriptionDenials = new SubscriptionDenials(log);
  }

  /** The hooks to create aedes with. */
  handlers(): Handlers {
    return {
      preConnect: (client, packet, done) => this.preConnect(client, packet, done),
      authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, subscription, done) => this.authorizeSubscribe(client, subscription, done),
      authorizeForward: (client, packet) => this.authorizeForward(client, packet),
    };
  }

  /** Follows the events of the aedes created with `handlers()`, and keeps it from publishing what they dropped. */
  follow(aedes: Aedes): void {
    const { clients, pending, traffic, metrics, log } = this.options;
    this.dropped.install(aedes);
    aedes.on('client', (client) => {
      const info = clients.get(client);
      if (!info) return;
      pending.release(info.pending);
      traffic[info.listener].connected += 1;
      metrics.connects.inc({ listener: info.listener });
    });
    aedes.on('clientDisconnect', (client) => {
      const info = clients.get(client);
      if (!info) return;
      traffic[info.listener].connected -= 1;
      metrics.disconnects.inc({ listener: info.listener });
    });
    aedes.on('unsubscribe', (filters, client) => {
      for (const filter of filters) clients.get(client)?.filters.delete(filter);
    });
    aedes.on('clientError', (client, error) => log.debug({ clientId: client.id, err: error }, 'client error'));
    // Persistence failures are emitted as 'error' (an event aedes' typings omit, hence addListener).
    aedes.addListener('error', (error: Error) => log.error({ err: error }, 'broker error'));
    aedes.on('connectionError', (client, error) => log.debug({ clientId: client?.id, err: error }, 'connection error'));
  }

  private preConnect(client: Client, packet: ConnectPacket, done: (error: Error | null, success: boolean) => void): void {
    const info = this.options.clients.get(client);
    if (info && !isSupportedProtocol(packet)) {
      // [MQTT-3.1.2-2]: CONNACK 0x01; once it is written, the error has aedes close the connection.
      this.options.metrics.protocolErrors.inc({ listener: info.listener, reason: 'unsupported_protocol' });
      const error = new Error(`unsupported protocol ${packet.protocolId} level ${packet.protocolVersion}`);
      info.socket.write(connackUnacceptableProtocol, () => done(error, false));
      return;
    }
    if (info) {
      info.persistentWithoutId = packet.clientId === '' && packet.clean === false;
      this.options.pending.connectReceived(info.pending);
    }
    done(null, true);
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const info = this.options.clients.get(client);
    if (!info) {
      done(authenticateError({ reason: 'unknown connection', returnCode: connack.serverUnavailable }), false);
      return;
    }
    info.revokedDuringLogin = [];
    const context: ConnectContext = {
      listener: info.listener,
      address: info.address,
      clientId: client.id,
      username,
      password,
      persistentWithoutId: info.persistentWithoutId,
      certificateCn: certificateDevice(info),
      willTopic: willTopic(client),
      connected: this.options.connected(),
      principal: null,
    };
    const finish = (verdict: 'accept' | ConnectRefusal) => {
      const revokedMeanwhile = info.revokedDuringLogin ?? [];
      info.revokedDuringLogin = null;
      const outcome = verdict === 'accept' ? this.unlessRevoked(info.listener, context.principal, revokedMeanwhile) : verdict;
      if (outcome !== 'accept') {
        done(authenticateError(outcome), false);
        return;
      }
      info.clientId = client.id;
      info.principal = context.principal;
      done(null, true);
    };
    runSteps(connectSteps, context, this.connectParts, finish, (error) => {
      this.options.log.error({ err: error }, 'a connect step failed');
      finish({ reason: 'connect step failed', returnCode: connack.serverUnavailable });
    });
  }

  /** A login whose credentials were revoked while they were being checked is refused like a wrong password. */
  private unlessRevoked(listener: ListenerName, principal: Principal | null, revokedMeanwhile: readonly RevokedCredentials[]): 'accept' | ConnectRefusal {
    if (principal === null || !revokedMeanwhile.some((r) => loggedInWith(principal, r))) return 'accept';
    this.options.metrics.authFailures.inc({ listener, reason: 'credentials_revoked' });
    return { reason: 'credentials_revoked', returnCode: connack.badUsernameOrPassword };
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    // Without a client, aedes is publishing a will (see PublishContext.sender).
    const sender = client === null ? null : this.options.clients.get(client);
    if (sender === undefined) {
      done(new Error('publish from a connection no listener accepted'));
      return;
    }
    const context = publishContext(packet, sender, this.options.hooks.isIngestTopic(packet.topic));
    const finish = (outcome: 'accept' | PublishRefusal | PublishDrop) => {
      if (outcome === 'accept') return done(null);
      if ('refused' in outcome) return done(outcome.error);
      this.dropped.drop(packet);
      done(null);
    };
    runSteps(publishSteps, context, this.publishParts, finish, (error) => {
      this.options.log.error({ err: error }, 'a publish step failed');
      finish({ refused: 'not_stored', error: new Error('a publish step failed') });
    });
  }

  private authorizeSubscribe(client: Client, subscription: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void {
    const info = this.options.clients.get(client);
    const decision = info?.principal
      ? this.options.acl.canSubscribe(info.principal, subscription.topic)
      : { allowed: false as const, reason: 'not authenticated' };
    if (decision.allowed) {
      info!.filters.set(subscription.topic, subscription.qos);
      done(null, subscription);
      return;
    }
    const listener = info?.listener ?? 'tcp';
    this.options.metrics.deniedSubscribes.inc({ listener });
    this.subscriptionDenials.add(client, { clientId: client.id, listener }, { filter: subscription.topic, reason: decision.reason });
    done(null, null);
  }

  private authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const info = this.options.clients.get(client);
    if (!info?.principal || !this.options.acl.canReceive(info.principal, packet.topic)) return null;
    // A persistent session's restored subscriptions are live before its CONNACK is written, and aedes would
    // send them a PUBLISH first [MQTT-3.2.0-1] (MQTT.js then never sees the CONNACK). Nothing is lost by
    // holding it back: a QoS 1/2 message for a persistent session is queued before it is emitted, and the
    // queue is sent right after the CONNACK.
    if (!connackSent(client)) return null;
    let granted = -1;
    for (const [filter, qos] of info.filters) if (topicMatches(packet.topic, filter)) granted = Math.max(granted, qos);
    // aedes sends retained `$SYS` messages to `#` subscribers; `$` topics match no leading wildcard [MQTT-4.7.2-1].
    if (packet.topic.startsWith('$') && granted < 0) return null;
    // aedes caps the QoS by the subscription found under the exact topic, so a wildcard filter's granted
    // QoS was ignored; the delivery gets the lower of the two [MQTT-3.8.4-6]. (`packet` is this delivery's copy.)
    if (granted > 0 && packet.qos > granted) packet.qos = granted as 1 | 2;
    this.options.traffic[info.listener].messagesOut += 1;
    return packet;
  }
}

/** The device a verified TLS client certificate names (its CN), if the client presented one. */
function certificateDevice(info: ClientInfo): string | null {
  if (info.listener !== 'tls') return null;
  const socket = info.socket as TLSSocket;
  if (!socket.authorized) return null;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : null;
}
