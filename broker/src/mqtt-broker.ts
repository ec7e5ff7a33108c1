import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config, RevokedCredentials } from '@parcours/contracts';
import { Aedes, type Client, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { expectClientState } from './aedes-client-state.js';
import { AedesHooks } from './aedes-hooks.js';
import { Acl, parseAclRules } from './acl.js';
import { openBrokerBackends, type BrokerBackends } from './broker-backends.js';
import type { BrokerHooks } from './broker-hooks.js';
import { createBrokerMetrics, ListenerTraffic, type BrokerMetrics, type ListenerName } from './broker-metrics.js';
import type { ClientInfo } from './client-info.js';
import { ConnectionGuard } from './connection-guard.js';
import { createDeliveryMetrics, type DeliveryMetrics } from './delivery-metrics.js';
import { DeliveryQueue } from './delivery-queue.js';
import { MqttListeners, type RefuseUpgrade } from './mqtt-listeners.js';
import { deliverAtHighestQos } from './overlapping-subscriptions.js';
import { OverloadMonitor } from './overload-monitor.js';
import { checkPackets } from './packet-checks.js';
import { guardPacketSize } from './packet-size-guard.js';
import { type PendingSocket, PendingSockets } from './pending-sockets.js';
import { holdUntilConnack } from './pre-connack-queue.js';
import { publisher } from './publish-steps.js';
import { PublishThrottle } from './publish-throttle.js';
import { loggedInWith, revokedLabel } from './revocation.js';
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

/**
 * The embedded broker (aedes) behind TCP, TLS and WebSocket listeners (`MqttListeners`), which hand it each
 * connection to guard and give a delivery queue. A CONNECT goes through the `connectSteps` (admission
 * limits, login as a device, an API key or anonymous, will check) and a PUBLISH through the `publishSteps`
 * (ACL, quarantine, rate and in-flight limits, overload, ingest), both run from aedes' hooks (`AedesHooks`).
 * aedes runs `authorizePublish` before it writes the PUBACK/PUBREC, so an acknowledged message is already
 * durable.
 */
export class MqttBroker {
  private aedes: Aedes | null = null;
  private backends: BrokerBackends | null = null;
  private sys: SysTopics | null = null;
  private readonly clients = new WeakMap<Client, ClientInfo>();
  /** Every open connection, logged in or not, for ending those whose credentials are revoked. */
  private readonly connections = new Set<Client>();
  private readonly traffic: Record<ListenerName, ListenerTraffic> = { tcp: new ListenerTraffic(), tls: new ListenerTraffic(), ws: new ListenerTraffic() };
  private readonly pending: PendingSockets;
  private readonly throttle: PublishThrottle;
  private readonly overload: OverloadMonitor;
  private readonly metrics: BrokerMetrics;
  /** Each connection's delivery queue, for the metrics. */
  private readonly deliveries = new Map<DeliveryQueue, ListenerName>();
  private readonly deliveryMetrics: DeliveryMetrics;
  private readonly log: Logger;
  private readonly aedesHooks: AedesHooks;
  private readonly listeners: MqttListeners;

  constructor(private readonly options: MqttBrokerOptions) {
    const { config } = options;
    const acl = new Acl(config.baseTopic, parseAclRules(config.anonymousAcl, config.baseTopic));
    const guard = new ConnectionGuard({
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
    this.throttle = new PublishThrottle({ rate: config.publishRate, burst: config.publishBurst });
    const backlog = { size: 0 };
    this.overload = new OverloadMonitor({ backlog, maxBacklog: config.overloadBacklog, maxBusyMs: config.overloadBusy });
    this.aedesHooks = new AedesHooks({
      config,
      hooks: options.hooks,
      clients: this.clients,
      acl,
      guard,
      throttle: this.throttle,
      overload: this.overload,
      backlog,
      pending: this.pending,
      metrics: this.metrics,
      traffic: this.traffic,
      log: this.log,
      connected: () => this.connectedClients,
    });
    this.listeners = new MqttListeners({
      config,
      pending: this.pending,
      accept: (stream, listener, socket, pending, request) => this.accept(stream, listener, socket, pending, request),
      onOversizedMessage: () => this.metrics.refused.inc({ listener: 'ws', limit: 'packet_size' }),
      log: this.log,
    });
  }

  /** The TCP listener's port (the one devices use by default). */
  get port(): number {
    return this.listeners.port('tcp');
  }

  get tlsPort(): number {
    return this.listeners.port('tls');
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
      ...this.aedesHooks.handlers(),
    });
    this.aedesHooks.follow(aedes);
    this.aedes = aedes;
    await this.listeners.start();
    this.sys = new SysTopics(aedes, `parcours ${this.options.version}`, Object.values(this.traffic), config.sysInterval);
    this.sys.start();
    this.pending.start();
    this.overload.start();
  }

  /** Serves MQTT over WebSocket on the API's HTTP server (see `MqttListeners.attachWebSocket`). */
  attachWebSocket(server: HttpServer, refuse: RefuseUpgrade): void {
    this.listeners.attachWebSocket(server, refuse);
  }

  async stop(): Promise<void> {
    const { aedes, backends } = this;
    this.aedes = null;
    this.backends = null;
    this.sys?.stop();
    this.pending.stop();
    this.throttle.stop();
    this.overload.stop();
    const clientsClosed = aedes ? new Promise<void>((resolve) => aedes.close(() => resolve())) : Promise.resolve();
    await this.listeners.close(clientsClosed);
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
}
