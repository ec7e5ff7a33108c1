import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Config } from '@parcours/contracts';
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
import { DroppedPublishes } from './dropped-publishes.js';
import { deliverAtHighestQos } from './overlapping-subscriptions.js';
import { OverloadMonitor } from './overload-monitor.js';
import { guardPacketSize } from './packet-size-guard.js';
import { publishContext, publisher, publishSteps, type PublishDrop, type PublishParts, type PublishRefusal, type Sender } from './publish-steps.js';
import { PublishThrottle } from './publish-throttle.js';
import { runSteps } from './steps.js';
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
  private readonly dropped = new DroppedPublishes();
  private readonly traffic: Record<ListenerName, ListenerTraffic> = { tcp: new ListenerTraffic(), tls: new ListenerTraffic(), ws: new ListenerTraffic() };
  private readonly acl: Acl;
  private readonly guard: ConnectionGuard;
  private readonly throttle: PublishThrottle;
  private readonly overload: OverloadMonitor;
  private readonly metrics: BrokerMetrics;
  private readonly log: Logger;
  private readonly connectParts: ConnectParts;
  private readonly publishParts: PublishParts;

  constructor(private readonly options: MqttBrokerOptions) {
    const { config } = options;
    this.acl = new Acl(config.baseTopic, parseAclRules(config.anonymousAcl, config.baseTopic));
    this.guard = new ConnectionGuard({
      maxConnections: config.maxConnections,
      connectRate: config.connectRate,
      authFailureLimit: config.authFailureLimit,
      authFailureWindowMs: config.authFailureWindow,
    });
    this.metrics = createBrokerMetrics(options.registry, this.traffic);
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
      maxInflightInbound: config.maxInflight,
      heartbeatInterval: config.nodeHeartbeat,
      preConnect: (client, packet, done) => {
        const info = this.clients.get(client);
        if (info) info.persistentWithoutId = packet.clientId === '' && packet.clean === false;
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

    this.servers.tcp = createTcpServer((socket) => this.accept(socket, 'tcp', socket));
    await this.listen(this.servers.tcp, config.port, 'tcp');
    if (config.tlsCert && config.tlsKey) {
      const [cert, key, ca] = await Promise.all([readFile(config.tlsCert), readFile(config.tlsKey), config.tlsCa ? readFile(config.tlsCa) : undefined]);
      // Client certificates are optional (rejectUnauthorized false): a device may also log in with its secret over TLS.
      this.servers.tls = createTlsServer({ cert, key, ...(ca ? { ca, requestCert: true } : {}), rejectUnauthorized: false }, (socket) =>
        this.accept(socket, 'tls', socket),
      );
      await this.listen(this.servers.tls, config.tlsPort, 'tls');
    }
    this.sys = new SysTopics(aedes, `parcours ${this.options.version}`, Object.values(this.traffic), config.sysInterval);
    this.sys.start();
    this.overload.start();
  }

  /** Serves MQTT over WebSocket on an HTTP server (the API's), at `mqtt.wsPath`. */
  attachWebSocket(server: HttpServer): void {
    const path = this.options.config.wsPath;
    if (!path) return;
    const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false) });
    this.webSockets = wss;
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(request.url ?? '/', 'http://x').pathname !== path) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      wss.handleUpgrade(request, socket, head, (ws) => this.accept(createWebSocketStream(ws), 'ws', request.socket, request));
    });
  }

  async stop(): Promise<void> {
    const { aedes, servers, webSockets, backends } = this;
    this.aedes = null;
    this.backends = null;
    this.servers = {};
    this.webSockets = null;
    this.sys?.stop();
    this.throttle.stop();
    this.overload.stop();
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const client of webSockets?.clients ?? []) client.terminate();
    webSockets?.close();
    await Promise.all(Object.values(servers).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    await backends?.close();
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

  private accept(stream: Duplex, listener: ListenerName, socket: Socket, request?: IncomingMessage): void {
    // A connection the listener accepted while the broker was stopping: nothing can serve it any more.
    if (!this.aedes) {
      stream.destroy();
      return;
    }
    this.traffic[listener].track(socket);
    const client = this.aedes.handle(stream, request as never);
    expectClientState(client);
    const info: ClientInfo = {
      clientId: '',
      listener,
      address: socket.remoteAddress ?? 'unknown',
      socket: stream,
      principal: null,
      inFlight: 0,
      filters: new Map(),
      persistentWithoutId: false,
    };
    this.clients.set(client, info);
    stream.once('close', () => {
      if (info.principal) this.throttle.forget(publisher(info), info);
    });
    guardPacketSize(client, this.options.config.maxPacketSize, () => this.metrics.refused.inc({ listener, limit: 'packet_size' }));
    deliverAtHighestQos(client);
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
    const finish = (outcome: 'accept' | ConnectRefusal) => {
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
    this.metrics.deniedSubscribes.inc({ listener: info?.listener ?? 'tcp' });
    this.log.warn({ clientId: client.id, filter: subscription.topic, reason: decision.reason }, 'subscription denied (SUBACK 0x80)');
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
