import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { errorCodes, type Config, type ErrorCode, type RevokedCredentials } from '@parcours/contracts';
import { Aedes, type AedesPublishPacket, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { connackSent, expectClientState, willTopic } from './aedes-client-state.js';
import { Acl, parseAclRules, topicMatches, type Principal } from './acl.js';
import { openBrokerBackends, type BrokerBackends } from './broker-backends.js';
import type { BrokerHooks } from './broker-hooks.js';
import { createBrokerMetrics, ListenerTraffic, type BrokerMetrics, type ListenerName } from './broker-metrics.js';
import { connack, connectSteps, type ConnectContext, type ConnectParts, type ConnectRefusal } from './connect-steps.js';
import { ConnectionGuard } from './connection-guard.js';
import { createDeliveryMetrics, type DeliveryMetrics } from './delivery-metrics.js';
import { DeliveryQueue } from './delivery-queue.js';
import { DroppedPublishes } from './dropped-publishes.js';
import { deliverAtHighestQos } from './overlapping-subscriptions.js';
import { OverloadMonitor } from './overload-monitor.js';
import { checkPackets, connackUnacceptableProtocol, isSupportedProtocol } from './packet-checks.js';
import { guardPacketSize } from './packet-size-guard.js';
import { type PendingSocket, PendingSockets } from './pending-sockets.js';
import { holdUntilConnack } from './pre-connack-queue.js';
import { publishContext, publisher, publishSteps, type PublishDrop, type PublishParts, type PublishRefusal, type Sender } from './publish-steps.js';
import { PublishThrottle } from './publish-throttle.js';
import { loggedInWith, revokedLabel } from './revocation.js';
import { runSteps } from './steps.js';
import { SubscriptionDenials } from './subscription-denials.js';
import { SysTopics } from './sys-topics.js';

export interface MqttBrokerOptions {
  config: Config['mqtt'];
  /** Parcours' data folder (`mqtt.persistence: level` keeps the broker's state under it). */
  dataDir: string;
  logger: Logger;
  hooks: BrokerHooks;
  registry: Registry;
  /** Shown on `$SYS/broker/version`. */
  version: string;
}

function authenticateError({ reason, returnCode }: ConnectRefusal): AuthenticateError {
  return Object.assign(new Error(reason), { returnCode }) as AuthenticateError;
}

/** What the broker knows of a connection; its client id and principal are set once its CONNECT is accepted. */
interface ClientInfo extends Sender {
  clientId: string;
  principal: Principal | null;
  address: string;
  socket: Duplex;
  /** The client's granted subscriptions and their QoS, which aedes loses track of for wildcard filters. */
  filters: Map<string, number>;
  /** It asked for a persistent session without a client id (aedes would make one up). */
  persistentWithoutId: boolean;
  /** While its CONNECT is being checked, the credentials revoked meanwhile: a login with them is refused. */
  revokedDuringLogin: RevokedCredentials[] | null;
  /** Its place among the connections not logged in yet, given up once it is. */
  pending: PendingSocket;
}

/**
 * The embedded broker (aedes) behind TCP, TLS and WebSocket listeners. A CONNECT goes through the
 * `connectSteps` (admission limits, login as a device, an API key or anonymous, will check) and a PUBLISH
 * through the `publishSteps` (ACL, quarantine, rate and in-flight limits, overload, ingest), both run from
 * aedes' hooks. aedes runs `authorizePublish` before it writes the PUBACK/PUBREC, so an acknowledged message
 * is already durable.
 */
export class MqttBroker {
  private aedes: Aedes | null = null;
  private backends: BrokerBackends | null = null;
  private servers: Partial<Record<'tcp' | 'tls', Server>> = {};
  private webSockets: WebSocketServer | null = null;
  private sys: SysTopics | null = null;
  private readonly clients = new WeakMap<Client, ClientInfo>();
  /** Every open connection, logged in or not, for ending those whose credentials are revoked. */
  private readonly connections = new Set<Client>();
  private readonly dropped = new DroppedPublishes();
  private readonly traffic: Record<ListenerName, ListenerTraffic> = { tcp: new ListenerTraffic(), tls: new ListenerTraffic(), ws: new ListenerTraffic() };
  private readonly acl: Acl;
  private readonly guard: ConnectionGuard;
  private readonly pending: PendingSockets;
  private readonly throttle: PublishThrottle;
  private readonly overload: OverloadMonitor;
  private readonly metrics: BrokerMetrics;
  /** Each connection's delivery queue, for the metrics. */
  private readonly deliveries = new Map<DeliveryQueue, ListenerName>();
  private readonly deliveryMetrics: DeliveryMetrics;
  private readonly log: Logger;
  private readonly connectParts: ConnectParts;
  private readonly publishParts: PublishParts;
  private readonly subscriptionDenials: SubscriptionDenials;

  constructor(private readonly options: MqttBrokerOptions) {
    const { config } = options;
    this.acl = new Acl(config.baseTopic, parseAclRules(config.anonymousAcl, config.baseTopic));
    this.guard = new ConnectionGuard({
      maxConnections: config.maxConnections,
      connectRate: config.connectRate,
      authFailureLimit: config.authFailureLimit,
      authFailureAddressLimit: config.authFailureAddressLimit,
      authFailureWindowMs: config.authFailureWindow,
    });
    this.metrics = createBrokerMetrics(options.registry, this.traffic);
    this.pending = new PendingSockets(config, this.traffic, this.metrics);
    this.deliveryMetrics = createDeliveryMetrics(options.registry, () => this.deliveries.entries());
    this.log = options.logger.child({ part: 'broker' });
    const { acl, metrics, log } = this;
    this.connectParts = { acl, guard: this.guard, hooks: options.hooks, metrics, log, allowAnonymous: config.allowAnonymous };
    this.throttle = new PublishThrottle({ rate: config.publishRate, burst: config.publishBurst });
    const backlog = { size: 0 };
    this.overload = new OverloadMonitor({ backlog, maxBacklog: config.overloadBacklog, maxBusyMs: config.overloadBusy });
    this.publishParts = {
      acl,
      hooks: options.hooks,
      metrics,
      traffic: this.traffic,
      log,
      maxInflight: config.maxInflight,
      throttle: this.throttle,
      backlog,
      overload: this.overload,
    };
    this.subscriptionDenials = new SubscriptionDenials(log);
  }

  /** The TCP listener's port (the one devices use by default). */
  get port(): number {
    return this.listenerPort('tcp');
  }

  get tlsPort(): number {
    return this.listenerPort('tls');
  }

  get connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  async start(): Promise<void> {
    const { config } = this.options;
    const backends = await openBrokerBackends({ config, dataDir: this.options.dataDir, logger: this.options.logger });
    this.backends = backends;
    const aedes = await Aedes.createBroker({
      persistence: backends.persistence,
      mq: backends.mq,
      // No limit on the messages being fanned out at once (aedes' default is 100). With one, the messages past
      // it wait in mqemitter's queue, which is emptied by recursion: a backlog (behind a subscriber too slow
      // to take its share) whose messages then match no subscriber (it went away) overflows the stack.
      // Deliveries no longer hold the fan-out (DeliveryQueue), so nothing piles up in its place.
      concurrency: 0,
      drainTimeout: config.sendTimeout,
      maxInflightInbound: config.maxInflight,
      heartbeatInterval: config.nodeHeartbeat,
      connectTimeout: config.connectTimeout,
      preConnect: (client, packet, done) => {
        const info = this.clients.get(client);
        if (info && !isSupportedProtocol(packet)) {
          // [MQTT-3.1.2-2]: CONNACK 0x01; once it is written, the error has aedes close the connection.
          this.metrics.protocolErrors.inc({ listener: info.listener, reason: 'unsupported_protocol' });
          const error = new Error(`unsupported protocol ${packet.protocolId} level ${packet.protocolVersion}`);
          info.socket.write(connackUnacceptableProtocol, () => done(error, false));
          return;
        }
        if (info) {
          info.persistentWithoutId = packet.clientId === '' && packet.clean === false;
          this.pending.connectReceived(info.pending);
        }
        done(null, true);
      },
      authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => this.authorizePublish(client, packet, done),
      authorizeSubscribe: (client, subscription, done) => this.authorizeSubscribe(client, subscription, done),
      authorizeForward: (client, packet) => this.authorizeForward(client, packet),
    });
    this.dropped.install(aedes);
    aedes.on('client', (client) => {
      const info = this.clients.get(client);
      if (!info) return;
      this.pending.release(info.pending);
      this.traffic[info.listener].connected += 1;
      this.metrics.connects.inc({ listener: info.listener });
    });
    aedes.on('clientDisconnect', (client) => {
      const info = this.clients.get(client);
      if (!info) return;
      this.traffic[info.listener].connected -= 1;
      this.metrics.disconnects.inc({ listener: info.listener });
    });
    aedes.on('unsubscribe', (filters, client) => {
      for (const filter of filters) this.clients.get(client)?.filters.delete(filter);
    });
    aedes.on('clientError', (client, error) => this.log.debug({ clientId: client.id, err: error }, 'client error'));
    // Persistence failures are emitted as 'error' (an event aedes' typings omit, hence addListener).
    aedes.addListener('error', (error: Error) => this.log.error({ err: error }, 'broker error'));
    aedes.on('connectionError', (client, error) => this.log.debug({ clientId: client?.id, err: error }, 'connection error'));
    this.aedes = aedes;

    this.servers.tcp = createTcpServer((socket) => {
      const pending = this.pending.admit(socket, 'tcp');
      if (pending) this.accept(socket, 'tcp', socket, pending);
    });
    await this.listen(this.servers.tcp, config.port, 'tcp');
    if (config.tlsCert && config.tlsKey) {
      const [cert, key, ca] = await Promise.all([readFile(config.tlsCert), readFile(config.tlsKey), config.tlsCa ? readFile(config.tlsCa) : undefined]);
      // Client certificates are optional (rejectUnauthorized false): a device may also log in with its secret over TLS.
      const options = { cert, key, ...(ca ? { ca, requestCert: true } : {}), rejectUnauthorized: false, handshakeTimeout: config.connectTimeout };
      this.servers.tls = createTlsServer(options, (socket) => {
        const pending = this.pending.tlsHandshakeDone(socket);
        if (pending) this.accept(socket, 'tls', socket, pending);
        else socket.destroy();
      });
      this.servers.tls.on('connection', (socket: Socket) => this.pending.admitTls(socket));
      await this.listen(this.servers.tls, config.tlsPort, 'tls');
    }
    this.sys = new SysTopics(aedes, `parcours ${this.options.version}`, Object.values(this.traffic), config.sysInterval);
    this.sys.start();
    this.pending.start();
    this.overload.start();
  }

  /**
   * Serves MQTT over WebSocket on an HTTP server (the API's), at `mqtt.wsPath`; `refuse` answers an upgrade
   * elsewhere, or a failed handshake, as the API answers its errors.
   */
  attachWebSocket(
    server: HttpServer,
    refuse: (socket: Duplex, refusal: { status: number; code: ErrorCode; detail: string; headers?: Record<string, string> }) => void,
  ): void {
    const path = this.options.config.wsPath;
    if (!path) return;
    const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false) });
    this.webSockets = wss;
    // A handshake is a GET (RFC 6455 §4.1); ws's reason names the header at fault.
    wss.on('wsClientError', (error: Error, socket: Duplex, request: IncomingMessage) =>
      refuse(
        socket,
        request.method === 'GET'
          ? { status: 400, code: errorCodes.badRequest, detail: error.message }
          : { status: 405, code: errorCodes.methodNotAllowed, detail: error.message, headers: { allow: 'GET' } },
      ),
    );
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(request.url ?? '/', 'http://x').pathname !== path) {
        refuse(socket, { status: 404, code: errorCodes.noRoute, detail: `no WebSocket endpoint here; MQTT over WebSocket is at ${path}` });
        return;
      }
      const pending = this.pending.admit(socket, 'ws');
      if (!pending) return;
      wss.handleUpgrade(request, socket, head, (ws) => this.accept(createWebSocketStream(ws), 'ws', request.socket, pending, request));
    });
  }

  async stop(): Promise<void> {
    const { aedes, servers, webSockets, backends } = this;
    this.aedes = null;
    this.backends = null;
    this.servers = {};
    this.webSockets = null;
    this.sys?.stop();
    this.pending.stop();
    this.throttle.stop();
    this.overload.stop();
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const client of webSockets?.clients ?? []) client.terminate();
    webSockets?.close();
    await Promise.all(Object.values(servers).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    await backends?.close();
  }

  /**
   * Closes the connections that logged in with credentials that are no longer valid (a login is checked
   * only at CONNECT), and refuses the logins with them still being checked. Their wills are published,
   * as for any connection that ends without a DISCONNECT [MQTT-3.1.2-8]. Returns how many it closed.
   */
  disconnectRevoked(revoked: RevokedCredentials): number {
    let closed = 0;
    for (const client of this.connections) {
      const info = this.clients.get(client);
      if (!info) continue;
      if (info.principal === null) {
        info.revokedDuringLogin?.push(revoked);
        continue;
      }
      if (!loggedInWith(info.principal, revoked)) continue;
      this.metrics.revoked.inc({ listener: info.listener, credentials: revokedLabel[revoked.kind] });
      this.log.info({ clientId: info.clientId, address: info.address, credentials: revokedLabel[revoked.kind] }, 'credentials revoked: connection closed');
      client.close();
      closed += 1;
    }
    return closed;
  }

  /** Publishes as the platform (derived sessions and journeys for integrators, commands to devices). */
  publish(topic: string, payload: string | Buffer, options: { qos: 0 | 1 | 2; retain?: boolean }): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('the broker is not started'));
    const packet = { cmd: 'publish', topic, payload, qos: options.qos, retain: options.retain ?? false, dup: false } as PublishPacket;
    return new Promise((resolve, reject) => aedes.publish(packet, (error) => (error ? reject(error) : resolve())));
  }

  private listenerPort(name: 'tcp' | 'tls'): number {
    return (this.servers[name]?.address() as AddressInfo | null)?.port ?? 0;
  }

  private async listen(server: Server, port: number, name: ListenerName): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.config.host, () => resolve());
    });
    this.log.info({ listener: name, port: (server.address() as AddressInfo).port }, 'MQTT listener open');
  }

  private accept(stream: Duplex, listener: ListenerName, socket: Socket, pending: PendingSocket, request?: IncomingMessage): void {
    // A connection the listener accepted while the broker was stopping: nothing can serve it any more.
    if (!this.aedes) {
      stream.destroy();
      return;
    }
    this.traffic[listener].track(socket);
    const client = this.aedes.handle(stream, request as never);
    expectClientState(client);
    this.connections.add(client);
    const info: ClientInfo = {
      clientId: '',
      listener,
      address: socket.remoteAddress ?? 'unknown',
      socket: stream,
      principal: null,
      inFlight: 0,
      filters: new Map(),
      persistentWithoutId: false,
      revokedDuringLogin: null,
      pending,
    };
    this.clients.set(client, info);
    stream.once('close', () => {
      this.connections.delete(client);
      if (info.principal) this.throttle.forget(publisher(info), info);
    });
    guardPacketSize(client, this.options.config.maxPacketSize, () => this.metrics.refused.inc({ listener, limit: 'packet_size' }));
    checkPackets(client, (reason) => this.metrics.protocolErrors.inc({ listener, reason }));
    holdUntilConnack(client, this.options.config.maxInflight, () => this.metrics.refused.inc({ listener, limit: 'inflight' }));
    this.queueDeliveries(client, listener, stream);
    // After the queue: a QoS 0 copy that steps aside for a QoS 1/2 one takes no room in it.
    deliverAtHighestQos(client);
  }

  /** Delivers to the client through its own bounded queue; what it drops, and a disconnection for it, are counted and logged. */
  private queueDeliveries(client: Client, listener: ListenerName, stream: Duplex): void {
    const { maxQueuedMessages, maxQueuedBytes } = this.options.config;
    const queue = new DeliveryQueue(
      client,
      { maxMessages: maxQueuedMessages, maxBytes: maxQueuedBytes },
      {
        dropped: (qos, reason) => this.deliveryMetrics.dropped.inc({ listener, qos: String(qos), reason }),
        fellBehind: ({ clientId, messages, bytes }) => this.log.warn({ clientId, messages, bytes }, 'subscriber too slow: dropping its oldest QoS 0 messages'),
        overflowed: ({ clientId, messages, bytes }, limit) => {
          this.metrics.refused.inc({ listener, limit });
          this.log.warn({ clientId, limit, messages, bytes }, 'subscriber too slow for its QoS 1/2 messages: disconnecting it');
        },
        timedOut: ({ clientId }) => {
          this.metrics.refused.inc({ listener, limit: 'send_timeout' });
          this.log.warn({ clientId }, 'client reads nothing: its connection was closed (mqtt.sendTimeout)');
        },
      },
    );
    this.deliveries.set(queue, listener);
    stream.once('close', () => this.deliveries.delete(queue));
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const info = this.clients.get(client);
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
      certificateCn: this.certificateDevice(info),
      willTopic: willTopic(client),
      connected: this.connectedClients,
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
      this.log.error({ err: error }, 'a connect step failed');
      finish({ reason: 'connect step failed', returnCode: connack.serverUnavailable });
    });
  }

  /** A login whose credentials were revoked while they were being checked is refused like a wrong password. */
  private unlessRevoked(listener: ListenerName, principal: Principal | null, revokedMeanwhile: readonly RevokedCredentials[]): 'accept' | ConnectRefusal {
    if (principal === null || !revokedMeanwhile.some((r) => loggedInWith(principal, r))) return 'accept';
    this.metrics.authFailures.inc({ listener, reason: 'credentials_revoked' });
    return { reason: 'credentials_revoked', returnCode: connack.badUsernameOrPassword };
  }

  /** The device a verified TLS client certificate names (its CN), if the client presented one. */
  private certificateDevice(info: ClientInfo): string | null {
    if (info.listener !== 'tls') return null;
    const socket = info.socket as TLSSocket;
    if (!socket.authorized) return null;
    const cn = socket.getPeerCertificate().subject?.CN;
    return typeof cn === 'string' && cn !== '' ? cn : null;
  }

  private authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    // Without a client, aedes is publishing a will (see PublishContext.sender).
    const sender = client === null ? null : this.clients.get(client);
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
      this.log.error({ err: error }, 'a publish step failed');
      finish({ refused: 'not_stored', error: new Error('a publish step failed') });
    });
  }

  private authorizeSubscribe(client: Client, subscription: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void {
    const info = this.clients.get(client);
    const decision = info?.principal ? this.acl.canSubscribe(info.principal, subscription.topic) : { allowed: false as const, reason: 'not authenticated' };
    if (decision.allowed) {
      info!.filters.set(subscription.topic, subscription.qos);
      done(null, subscription);
      return;
    }
    const listener = info?.listener ?? 'tcp';
    this.metrics.deniedSubscribes.inc({ listener });
    this.subscriptionDenials.add(client, { clientId: client.id, listener }, { filter: subscription.topic, reason: decision.reason });
    done(null, null);
  }

  private authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const info = this.clients.get(client);
    if (!info?.principal || !this.acl.canReceive(info.principal, packet.topic)) return null;
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
    this.traffic[info.listener].messagesOut += 1;
    return packet;
  }
}
