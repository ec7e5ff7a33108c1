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
import { Acl, parseAclRules, topicMatches, type Principal } from './acl.js';
import { openBrokerBackends, type BrokerBackends } from './broker-backends.js';
import type { BrokerHooks } from './broker-hooks.js';
import { createBrokerMetrics, ListenerTraffic, type BrokerMetrics, type ListenerName } from './broker-metrics.js';
import { ConnectionGuard } from './connection-guard.js';
import { deliverAtHighestQos } from './overlapping-subscriptions.js';
import { guardPacketSize } from './packet-size-guard.js';
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

/** CONNACK return codes of MQTT 3.1.1 (plain numbers: aedes' const enum breaks under isolatedModules). */
const connack = { identifierRejected: 2, serverUnavailable: 3, badUsernameOrPassword: 4, notAuthorized: 5 } as const;

function refusal(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

interface ClientInfo {
  listener: ListenerName;
  address: string;
  socket: Duplex;
  principal: Principal | null;
  /** QoS 1/2 publishes of this client being stored (their ack waits for it). */
  inFlight: number;
  /** The client's granted subscriptions and their QoS, which aedes loses track of for wildcard filters. */
  filters: Map<string, number>;
  /** It asked for a persistent session without a client id (aedes would make one up). */
  persistentWithoutId: boolean;
}

/**
 * The embedded broker (aedes) behind TCP, TLS and WebSocket listeners. Clients are admitted by the
 * connection guard, authenticated as a device or an API key, and held to the ACL. A device's publish is
 * ingested inside `authorizePublish`, which aedes runs before it writes the PUBACK/PUBREC, so an
 * acknowledged message is already durable.
 */
export class MqttBroker {
  private aedes: Aedes | null = null;
  private backends: BrokerBackends | null = null;
  private servers: Partial<Record<'tcp' | 'tls', Server>> = {};
  private webSockets: WebSocketServer | null = null;
  private sys: SysTopics | null = null;
  private readonly clients = new WeakMap<Client, ClientInfo>();
  private readonly traffic: Record<ListenerName, ListenerTraffic> = { tcp: new ListenerTraffic(), tls: new ListenerTraffic(), ws: new ListenerTraffic() };
  private readonly acl: Acl;
  private readonly guard: ConnectionGuard;
  private readonly metrics: BrokerMetrics;
  private readonly log: Logger;

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
    this.traffic[listener].track(socket);
    const client = this.aedes!.handle(stream, request as never);
    this.clients.set(client, {
      listener,
      address: socket.remoteAddress ?? 'unknown',
      socket: stream,
      principal: null,
      inFlight: 0,
      filters: new Map(),
      persistentWithoutId: false,
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
    if (!info) return done(refusal('unknown connection', connack.serverUnavailable), false);
    const { listener, address } = info;
    // aedes gives an empty client id a generated one even with clean session false [MQTT-3.1.3-8].
    if (info.persistentWithoutId) return done(refusal('a persistent session needs a client id', connack.identifierRejected), false);
    const refuse = (reason: string, code: number) => {
      this.metrics.authFailures.inc({ listener, reason });
      this.log.warn(
        { clientId: client.id, username, address, listener, reason },
        reason === 'bad_credentials' ? 'MQTT authentication failed' : 'MQTT connection refused',
      );
      done(refusal(reason, code), false);
    };
    const limit = this.guard.admit(address, this.connectedClients);
    if (limit) {
      this.metrics.refused.inc({ listener, limit });
      return refuse(limit, limit === 'auth_rate_limited' ? connack.notAuthorized : connack.serverUnavailable);
    }
    const accept = (principal: Principal) => {
      // The will is published later, maybe by another node with no client to check: check it now.
      const will = (client as Client & { _will?: { topic: string } | null })._will;
      if (will && !this.acl.canPublish(principal, will.topic).allowed) return refuse('will_not_allowed', connack.notAuthorized);
      info.principal = principal;
      done(null, true);
    };
    const certificateDevice = this.certificateDevice(info);
    if (certificateDevice !== null) {
      if (username !== undefined && username !== certificateDevice) return refuse('username_not_certificate_cn', connack.badUsernameOrPassword);
      if (!this.options.hooks.deviceExists(certificateDevice)) return refuse('unknown_certificate_device', connack.notAuthorized);
      return accept({ kind: 'device', deviceId: certificateDevice });
    }
    if (username === undefined) {
      return this.options.config.allowAnonymous ? accept({ kind: 'anonymous' }) : refuse('no_credentials', connack.notAuthorized);
    }
    this.options.hooks.authenticate(username, password?.toString('utf8') ?? '').then(
      (principal) => {
        if (principal) return accept(principal);
        this.guard.recordAuthFailure(address);
        refuse('bad_credentials', connack.badUsernameOrPassword);
      },
      (error: unknown) => {
        this.log.error({ err: error }, 'authentication failed with an error');
        done(refusal('authentication error', connack.serverUnavailable), false);
      },
    );
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
    // Without a client, aedes is publishing the will of a client of a dead node or of a past run (its
    // topic passed the ACL at CONNECT): a device's `offline` is ingested like any other status.
    if (client === null) {
      if (!this.options.hooks.isIngestTopic(packet.topic)) return done(null);
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      return void this.options.hooks
        .ingest({ topic: packet.topic, payload, receivedAt: Date.now(), clientId: null, username: null })
        .then(() => done(null), done);
    }
    const info = this.clients.get(client);
    const principal = info?.principal;
    if (!info || !principal) return done(new Error('publish before authentication'));
    const { listener } = info;
    this.traffic[listener].messagesIn += 1;
    const { hooks } = this.options;
    const decision = this.acl.canPublish(principal, packet.topic);
    const username = principal.kind === 'device' ? principal.deviceId : null;
    const message = () => ({
      topic: packet.topic,
      payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
      receivedAt: Date.now(),
      clientId: client.id,
      username,
    });
    if (!decision.allowed) {
      this.metrics.deniedPublishes.inc({ listener });
      this.log.warn({ clientId: client.id, topic: packet.topic, reason: decision.reason }, 'publish denied; disconnecting the client');
      // MQTT 3.1.1 has no negative PUBACK: the connection is closed [MQTT-3.3.5-2]. A device writing on
      // another device's topic is also quarantined (topic mismatch), so operators see what it sent.
      const denied = () => done(new Error(`publish on ${packet.topic} denied: ${decision.reason}`));
      if (principal.kind === 'device' && hooks.isIngestTopic(packet.topic)) return void hooks.ingest(message()).then(denied, denied);
      return denied();
    }
    if (!hooks.isIngestTopic(packet.topic)) return done(null);
    if (info.inFlight >= this.options.config.maxInflight) {
      this.metrics.refused.inc({ listener, limit: 'inflight' });
      return done(new Error(`more than ${this.options.config.maxInflight} messages in flight`));
    }
    info.inFlight += 1;
    hooks.ingest(message()).then(
      () => {
        info.inFlight -= 1;
        done(null);
      },
      (error: Error) => {
        info.inFlight -= 1;
        done(error);
      },
    );
  }

  private authorizeSubscribe(client: Client, subscription: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void): void {
    const info = this.clients.get(client);
    const decision = info?.principal ? this.acl.canSubscribe(info.principal, subscription.topic) : { allowed: false as const, reason: 'not authenticated' };
    if (decision.allowed) {
      info!.filters.set(subscription.topic, subscription.qos);
      return done(null, subscription);
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
    if (!(client as Client & { connackSent?: boolean }).connackSent) return null;
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
