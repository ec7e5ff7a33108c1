import { ExternalBroker, MqttBroker, type Principal } from '@parcours/broker';
import { Analytics } from '@parcours/analytics';
import { quarantineTopic, type Config } from '@parcours/contracts';
import {
  buildHttpApp,
  createGatewayMetrics,
  createInfluxWriter,
  Gateway,
  InfluxRawSink,
  requireKey,
  type ConsumerStatus,
  type HttpApp,
  type InfluxWriter,
  type ReattributeProgress,
} from '@parcours/gateway';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { IngestLease } from './nodes/ingest-lease.js';
import { PipelineReporter } from './pipeline-reporter.js';
import { reattribute, type ReattributeResult } from './reattribute.js';
import { version } from './version.js';

export interface AppUrls {
  http: string;
  mqtt: string;
}

/**
 * Parcours in one process: the gateway (store, registry, pipeline), the broker that feeds it, the
 * InfluxDB sink and the analytics that follow its log, and the HTTP API. Started in data-flow order,
 * stopped in reverse so that nothing is acknowledged that cannot be stored.
 */
export class ParcoursApp {
  readonly metricsRegistry = new Registry();
  readonly metrics = createGatewayMetrics(this.metricsRegistry);
  readonly gateway: Gateway;
  readonly broker: MqttBroker | ExternalBroker;
  private influx: InfluxWriter | null = null;
  private sink: InfluxRawSink | null = null;
  private analyticsJobs: Analytics | null = null;
  private http: HttpApp | null = null;
  private reporter: PipelineReporter | null = null;
  /** Where a second node could share this one's log: only the lease holder ingests (docs/several-nodes.md). */
  private readonly lease: IngestLease | null;
  private readonly routes: { method: string; url: string }[] = [];
  /** The admin key made on the first start (no key existed yet): shown once, never stored in clear. */
  private firstAdminKey: string | null = null;

  constructor(
    readonly config: Readonly<Config>,
    private readonly logger: Logger,
  ) {
    this.gateway = new Gateway({
      config,
      logger,
      metrics: this.metrics,
      onQuarantined: (entry) => {
        const message = {
          reason: entry.reason,
          detail: entry.detail,
          topic: entry.topic,
          receivedAt: new Date(entry.receivedAt).toISOString(),
          payload: entry.payload.toString('base64'),
        };
        this.broker
          .publish(quarantineTopic(config.mqtt.baseTopic, entry.deviceId ?? 'unknown'), JSON.stringify(message), { qos: 0 })
          .catch((error: unknown) => {
            logger.warn({ err: error }, 'could not publish a quarantined message');
          });
      },
    });
    this.lease = IngestLease.needed(config)
      ? new IngestLease({
          config,
          logger,
          onLost: () => this.stop().catch((error: unknown) => logger.error({ err: error }, 'could not stop after losing the ingest lease')),
        })
      : null;
    // External mode (docs/external-broker.md): devices connect to another broker, which the gateway subscribes to.
    const external =
      config.mqtt.mode === 'external'
        ? new ExternalBroker({ config: config.mqtt, dataDir: config.data.dir, logger, hooks: { ingest: (message) => this.gateway.ingest(message) } })
        : null;
    this.broker =
      external ??
      new MqttBroker({
        config: config.mqtt,
        dataDir: config.data.dir,
        logger,
        registry: this.metricsRegistry,
        version,
        hooks: {
          authenticate: (username, password) => this.authenticateMqtt(username, password),
          deviceExists: (deviceId) => this.gateway.registry.getDevice(deviceId) !== null,
          isIngestTopic: (topic) => this.gateway.isDeviceTopic(topic),
          ingest: (message) => this.gateway.ingest(message),
        },
      });
  }

  get analytics(): Analytics {
    if (!this.analyticsJobs) throw new Error('not started');
    return this.analyticsJobs;
  }

  get influxSink(): InfluxRawSink | null {
    return this.sink;
  }

  get urls(): AppUrls {
    const address = this.http?.server.address();
    const httpPort = typeof address === 'object' && address ? address.port : this.config.http.port;
    const host = (h: string) => (h === '0.0.0.0' || h === '::' ? 'localhost' : h);
    const mqtt = this.config.mqtt.mode === 'external' ? this.config.mqtt.externalUrl : `mqtt://${host(this.config.mqtt.host)}:${this.broker.port}`;
    return { http: `http://${host(this.config.http.host)}:${httpPort}`, mqtt };
  }

  get initialAdminKey(): string | null {
    return this.firstAdminKey;
  }

  /** A fresh admin key for the built-in fleet's registration; the previous one stops working. */
  fleetApiKey(): string {
    return this.gateway.apiKeys.replace({ name: 'builtin-fleet', role: 'admin' }).key;
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    // First: a refused node fails here, before anything listens or ingests; a standby waits here.
    await this.lease?.start();
    this.gateway.start();
    this.gateway.startRetention();
    const keys = this.gateway.apiKeys;
    if (config.http.adminKey) keys.replace({ name: 'configured-admin', role: 'admin', key: config.http.adminKey });
    else if (keys.count() === 0) this.firstAdminKey = keys.create({ name: 'initial-admin', role: 'admin' }).key;
    if (config.influx.url) {
      this.influx = createInfluxWriter(config.influx, logger.child({ part: 'influx' }));
      this.sink = new InfluxRawSink({
        log: this.gateway.log,
        offsets: this.gateway.offsets,
        writer: this.influx,
        quarantine: this.gateway.quarantine,
        metrics: this.metrics,
        logger,
        batchSize: config.influx.batchSize,
      });
      this.sink.start();
    }
    this.analyticsJobs = new Analytics({
      config,
      gateway: this.gateway,
      influx: this.influx,
      publish: (topic, payload) => this.broker.publish(topic, payload, { qos: 1 }),
      logger,
      registry: this.metricsRegistry,
    });
    this.analyticsJobs.start();
    await this.broker.start();
    this.registerGauges();
    if (this.influx) {
      this.reporter = new PipelineReporter({
        writer: this.influx,
        registry: this.metricsRegistry,
        intervalMs: config.influx.pipelineInterval,
        logHead: () => this.gateway.log.head(),
        consumers: () => this.consumerStatus(),
        logger,
      });
      this.reporter.start();
    }
    this.http = await buildHttpApp({
      logger,
      metrics: this.metricsRegistry,
      version,
      health: () => ({ store: true, broker: this.broker.port > 0 }),
      routes: [...this.gateway.routes(), ...this.analyticsJobs.routes()],
      onRoute: (method, url) => this.routes.push({ method, url }),
      authorize: requireKey(
        (key) => keys.verify(key),
        (reason) => this.metrics.authFailures.inc({ reason }),
      ),
    });
    if (this.broker instanceof MqttBroker) this.broker.attachWebSocket(this.http.server);
    await this.http.listen({ host: config.http.host, port: config.http.port });
  }

  /** An MQTT login: an API key as the password (integrators, operators), else a device's id and secret. */
  private async authenticateMqtt(username: string, password: string): Promise<Principal | null> {
    const key = this.gateway.apiKeys.verify(password);
    if (key) return { kind: 'key', name: key.name, role: key.role, subjects: key.subjects };
    return (await this.gateway.authenticateDevice(username, password)) ? { kind: 'device', deviceId: username } : null;
  }

  /** How far each reader of the durable log is behind. */
  consumerStatus(): Record<string, ConsumerStatus> {
    return {
      ...(this.sink ? { 'influx-raw': this.sink.status() } : {}),
      ...(this.analyticsJobs ? { 'analytics-sessions': this.analyticsJobs.status() } : {}),
    };
  }

  async stop(): Promise<void> {
    this.reporter?.stop();
    await this.http?.close();
    await this.broker.stop();
    await this.sink?.stop();
    await this.analyticsJobs?.stop();
    this.gateway.stop();
    await this.lease?.stop();
  }

  /** See `reattribute.ts`: after a registry correction, re-attribute `[from, to)` and re-derive. */
  reattribute(from: number, to: number, onProgress: (progress: ReattributeProgress) => void = () => undefined): Promise<ReattributeResult> {
    return reattribute({ gateway: this.gateway, analytics: this.analytics, influx: this.influx }, from, to, onProgress);
  }

  /** Every route the HTTP API serves (method and URL), to check them against the OpenAPI document. */
  httpRoutes(): { method: string; url: string }[] {
    return this.routes;
  }

  /** Waits until the InfluxDB sink and the analytics have handled everything stored so far. */
  async drained(): Promise<void> {
    await Promise.all([this.sink?.caughtUp(), this.analyticsJobs?.caughtUp()]);
  }

  private registerGauges(): void {
    const app = this;
    const registers = [this.metricsRegistry];
    collectDefaultMetrics({ register: this.metricsRegistry, prefix: 'parcours_' });
    new Gauge({
      name: 'parcours_log_consumer_lag',
      help: 'Records in the durable log not yet handled, by consumer.',
      labelNames: ['consumer'],
      registers,
      collect() {
        for (const [consumer, status] of Object.entries(app.consumerStatus())) this.set({ consumer }, status.lag);
      },
    });
    new Gauge({
      name: 'parcours_log_consumer_lag_seconds',
      help: 'Age of the oldest record a consumer has not handled yet (0 when caught up).',
      labelNames: ['consumer'],
      registers,
      collect() {
        for (const [consumer, status] of Object.entries(app.consumerStatus())) this.set({ consumer }, status.lagSeconds);
      },
    });
    new Gauge({
      name: 'parcours_log_head',
      help: 'Records in the durable log.',
      registers,
      collect() {
        this.set(app.gateway.log.head());
      },
    });
    new Gauge({
      name: 'parcours_devices_online',
      help: 'Devices whose last status is online.',
      registers,
      collect() {
        this.set(app.gateway.presence.countOnline());
      },
    });
  }
}
