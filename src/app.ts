import { Analytics, analyticsMigrations, WeightedFigures } from '@parcours/analytics';
import { ExternalBroker, MqttBroker, type Principal } from '@parcours/broker';
import {
  PanelHealthJob,
  PanelService,
  PanelStore,
  panelMigrations,
  panelRoutes,
  SchemeService,
  SchemeStore,
  schemeRunWriter,
  weightingSchemeRoutes,
} from '@parcours/panels';
import {
  gatewayPeople,
  journeySurveySteps,
  PromptDelivery,
  PromptReplies,
  PromptStore,
  promptPointWriter,
  promptRoutes,
  ReplyFollower,
  SurveyService,
  SurveyStore,
  surveyClock,
  surveyMigrations,
  surveyResultsRoutes,
  surveyRoutes,
  TriggerInbox,
  TriggerJob,
} from '@parcours/surveys';
import { errorCodes, ParcoursError, quarantineTopic, type Config, type Health, type PartHealth } from '@parcours/contracts';
import {
  createGatewayMetrics,
  createInfluxWriter,
  EmbeddedStore,
  Gateway,
  gatewayMigrations,
  InfluxRawSink,
  isTruncated,
  requireKey,
  type ConsumerStatus,
  type InfluxWriter,
  type ReattributeProgress,
} from '@parcours/gateway';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { HttpServer } from './http-server.js';
import { startInOrder, stopInReverse, type NamedPart } from './lifecycle/parts.js';
import { explainPortInUse, type ListenerPort } from './lifecycle/port-in-use.js';
import { ServerPresenceMark } from './lifecycle/server-presence.js';
import { IngestLease } from './nodes/ingest-lease.js';
import { PipelineReporter } from './pipeline-reporter.js';
import { reattribute, type ReattributeResult } from './reattribute.js';
import { reattributeRoutes } from './reattribute-routes.js';
import { version } from './version.js';
import { gatewayUniverseSources, storedRespondents, weightedSchemes } from './weighting-schemes.js';

export interface AppUrls {
  http: string;
  mqtt: string;
}

/**
 * Parcours in one process. `ParcoursApp.open` takes the ingest lease where another node could share this
 * one's log (docs/several-nodes.md), opens the embedded store and builds every part on it (no other I/O);
 * `start()` starts them in data-flow order — the gateway, the InfluxDB sink, the broker that feeds the
 * gateway, the analytics that publish through it, the pipeline reporter, the HTTP API — and if one fails,
 * stops those already started, closes the store and gives the lease up; `stop()` does so in reverse.
 */
export class ParcoursApp {
  readonly metricsRegistry = new Registry();
  readonly metrics = createGatewayMetrics(this.metricsRegistry);
  readonly gateway: Gateway;
  readonly broker: MqttBroker | ExternalBroker;
  readonly analytics: Analytics;
  readonly panels: PanelService;
  readonly weightingSchemes: SchemeService;
  readonly surveys: SurveyService;
  /** Matches derived results against the surveys' triggers and records the prompts; `promptDelivery` sends them. */
  readonly surveyTriggers: TriggerJob;
  readonly promptDelivery: PromptDelivery;
  /** Every prompt decision and what became of it; with InfluxDB, each change also written there (docs/surveys.md, "Results"). */
  readonly prompts: PromptStore;
  /** Applies the replies people's app devices publish (`survey.answer`, …) to their prompts. */
  readonly surveyReplies: ReplyFollower;
  readonly influxSink: InfluxRawSink | null;
  private readonly influx: InfluxWriter | null;
  private readonly http: HttpServer;
  private readonly parts: NamedPart[];
  private readonly routes: { method: string; url: string }[] = [];
  /** The admin key made on the first start (no key existed yet): shown once, never stored in clear. */
  private firstAdminKey: string | null = null;
  /** Tells commands run on the data folder that this server holds its store. */
  private readonly presence: ServerPresenceMark;

  /**
   * Takes the ingest lease if one is needed — a node refused fails here, before anything listens or
   * ingests, and a standby waits here — then opens the store in the data folder (created and migrated if
   * needed) and builds the parts on it. A lease lost later stops the app, then tells `onLeaseLost`.
   */
  static async open(config: Readonly<Config>, logger: Logger, onLeaseLost: (reason: string) => void = () => undefined): Promise<ParcoursApp> {
    let app: ParcoursApp | null = null;
    let lostWhileOpening: string | null = null;
    const lease = IngestLease.needed(config)
      ? new IngestLease({
          config,
          logger,
          onLost: (reason) => {
            if (!app) {
              lostWhileOpening = reason;
              return;
            }
            void app
              .stop()
              .catch((error: unknown) => logger.error({ err: error }, 'could not stop after losing the ingest lease'))
              .then(() => onLeaseLost(reason));
          },
        })
      : null;
    await lease?.start();
    try {
      const store = EmbeddedStore.open(config.data, [...gatewayMigrations, ...analyticsMigrations, ...panelMigrations, ...surveyMigrations], (error) =>
        logger.warn({ err: error }, 'the WAL checkpoint worker failed; checkpoints are back on the event loop'),
      );
      if (lostWhileOpening !== null) {
        store.close();
        throw new ParcoursError(errorCodes.anotherNode, `lost the ingest lease while starting: ${lostWhileOpening}`);
      }
      app = new ParcoursApp(config, logger, store, lease);
      return app;
    } catch (error) {
      await lease?.stop();
      throw error;
    }
  }

  private constructor(
    readonly config: Readonly<Config>,
    private readonly logger: Logger,
    private readonly store: EmbeddedStore,
    private readonly lease: IngestLease | null,
  ) {
    this.gateway = new Gateway({
      store,
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
          payloadSize: entry.payloadSize,
          payloadSha256: entry.payloadSha256,
          payloadTruncated: isTruncated(entry),
        };
        this.broker
          .publish(quarantineTopic(config.mqtt.baseTopic, entry.deviceId ?? 'unknown'), JSON.stringify(message), { qos: 0 })
          .catch((error: unknown) => {
            logger.warn({ err: error }, 'could not publish a quarantined message');
          });
      },
      // An external broker checks logins itself: revoking there is its operator's business.
      onCredentialsRevoked: (revoked) => {
        if (this.broker instanceof MqttBroker) this.broker.disconnectRevoked(revoked);
      },
    });
    this.broker = this.buildBroker();
    this.presence = new ServerPresenceMark(config.data.dir);
    this.influx = config.influx.url ? createInfluxWriter(config.influx, logger.child({ part: 'influx' })) : null;
    this.influxSink = this.influx
      ? new InfluxRawSink({
          log: this.gateway.log,
          offsets: this.gateway.offsets,
          writer: this.influx,
          quarantine: this.gateway.quarantine,
          metrics: this.metrics,
          logger,
          batchSize: config.influx.batchSize,
        })
      : null;
    const triggerInbox = new TriggerInbox(store.db, config.mqtt.baseTopic);
    this.analytics = new Analytics({
      config,
      db: store.db,
      log: this.gateway.log,
      offsets: this.gateway.offsets,
      registry: this.gateway.asOf,
      influx: this.influx,
      publish: (topic, payload) => this.broker.publish(topic, payload, { qos: 1 }),
      logger,
      metrics: this.metricsRegistry,
      weightedSchemes: () => weightedSchemes(this.weightingSchemes),
      onAnnounced: (messages) => {
        triggerInbox.add(messages);
        this.surveyTriggers.wake();
        // On the device clock, new results move the time: prompts held until then may be due.
        if (config.surveys.clock === 'device') this.promptDelivery.wake();
      },
    });
    const panelStore = new PanelStore(store.db, this.gateway.registry);
    const influx = this.influx;
    const universeSources = gatewayUniverseSources(this.gateway);
    this.panels = new PanelService({
      registry: this.gateway.registry,
      consents: this.gateway.consents,
      store: panelStore,
      sources: universeSources,
      sessionsPerIndividual: (deviceType, from, to) => this.analytics.sessionStore.countPerIndividual(deviceType, from, to),
      individualsReachingStep: (funnel, step, from, to) => this.analytics.individualsReachingStep(funnel, step, from, to),
      weeksActivePerIndividual: (weeks, at) => this.analytics.weeksActiveBefore(weeks, at),
      writePoints: influx ? (points) => influx.write(points) : null,
      logger: logger.child({ part: 'panels' }),
    });
    const surveyStore = new SurveyStore(store.db);
    this.surveys = new SurveyService({ store: surveyStore, funnels: config.analytics.funnels });
    const writePromptPoints = influx
      ? promptPointWriter(
          (points) => influx.write(points),
          (id, v) => surveyStore.get(id, v)?.survey ?? null,
          logger.child({ part: 'surveys' }),
        )
      : null;
    this.prompts = new PromptStore(store.db, (change) => {
      writePromptPoints?.(change);
      // An answered or dismissed prompt is no longer shown: the delivery clears its retained messages now.
      if (change.kind === 'answered' || change.kind === 'dismissed') this.promptDelivery.wake();
    });
    const schemeStore = new SchemeStore(store.db);
    const writeRunPoints = influx ? schemeRunWriter((points) => influx.write(points), logger.child({ part: 'weighting' })) : null;
    this.weightingSchemes = new SchemeService({
      store: schemeStore,
      panels: panelStore,
      registry: this.gateway.registry,
      sources: universeSources,
      respondents: storedRespondents(surveyStore, this.prompts),
      // The run's points, then its weighted aggregates: their days are recomputed by the aggregate job.
      writeRun: writeRunPoints
        ? (run) => {
            writeRunPoints(run);
            this.analytics.aggregates.reweigh(run.at);
          }
        : undefined,
    });
    const people = gatewayPeople(this.gateway);
    // `device`: replayed or simulated days prompt at the device time the analytics reached (docs/surveys.md).
    const surveyNow = surveyClock(config.surveys.clock, () => this.analytics.sessionStore.loadWatermark());
    this.promptDelivery = new PromptDelivery({
      prompts: this.prompts,
      surveys: this.surveys,
      people,
      baseTopic: config.mqtt.baseTopic,
      deviceTypes: config.surveys.promptDeviceTypes,
      publish: (topic, payload, options) => this.broker.publish(topic, payload, options),
      logger: logger.child({ part: 'survey-prompts' }),
      now: surveyNow,
    });
    this.surveyTriggers = new TriggerJob({
      db: store.db,
      inbox: triggerInbox,
      log: this.gateway.log,
      offsets: this.gateway.offsets,
      funnelStepReached: (reach) => this.analytics.funnelStepReached(reach),
      surveys: this.surveys,
      prompts: this.prompts,
      people,
      settings: config.surveys,
      onRecorded: () => this.promptDelivery.wake(),
      logger: logger.child({ part: 'survey-triggers' }),
      now: surveyNow,
    });
    const promptReplies = new PromptReplies({ prompts: this.prompts, surveys: surveyStore });
    const quarantineReply = (entry: Parameters<Gateway['quarantineRefused']>[0]) => this.gateway.quarantineRefused(entry);
    this.surveyReplies = new ReplyFollower({
      log: this.gateway.log,
      offsets: this.gateway.offsets,
      replies: promptReplies,
      quarantine: quarantineReply,
      baseTopic: config.mqtt.baseTopic,
      logger,
      onError: () => this.metrics.sinkErrors.inc({ consumer: 'survey-replies' }),
    });
    const reporter = this.influx
      ? new PipelineReporter({
          writer: this.influx,
          registry: this.metricsRegistry,
          intervalMs: config.influx.pipelineInterval,
          logRecords: () => this.gateway.log.count(),
          consumers: () => this.consumerStatus(),
          logger,
        })
      : null;
    const keys = this.gateway.apiKeys;
    this.http = new HttpServer({
      host: config.http.host,
      port: config.http.port,
      logger,
      metrics: this.metricsRegistry,
      version,
      health: () => this.health(),
      routes: () => [
        ...this.gateway.routes(),
        ...this.analytics.routes(
          (id, version) => this.weightingSchemes.weighting(id, version),
          (personId, journeys) => journeySurveySteps(this.prompts, personId, journeys),
        ),
        panelRoutes(this.panels, panelStore),
        weightingSchemeRoutes(this.weightingSchemes, schemeStore),
        surveyRoutes(this.surveys, surveyStore),
        surveyResultsRoutes(
          this.surveys,
          this.prompts,
          (id, version) => new WeightedFigures(this.weightingSchemes.weighting(id, version)),
          (person, from, to) => this.analytics.sessionStore.countOf(person, from, to),
        ),
        promptRoutes({ replies: promptReplies, quarantine: quarantineReply, now: surveyNow }),
        reattributeRoutes((from, to) => this.reattribute(from, to)),
      ],
      onRoute: (method, url) => this.routes.push({ method, url }),
      authorize: requireKey(
        (key) => keys.verify(key),
        (reason) => this.metrics.authFailures.inc({ reason }),
      ),
      countError: (status, code) => this.metrics.httpErrors.inc({ status, code }),
      requestTimeout: config.http.requestTimeout,
      onServer: (server, refuse) => {
        if (this.broker instanceof MqttBroker) this.broker.attachWebSocket(server, refuse);
      },
    });
    this.parts = [
      { name: 'gateway', part: this.gateway },
      ...(this.influxSink ? [{ name: 'influx-raw', part: this.influxSink }] : []),
      { name: 'broker', part: { start: () => this.startBroker(), stop: () => this.broker.stop(), health: () => this.brokerHealth() } },
      { name: 'prompt-delivery', part: this.promptDelivery },
      { name: 'survey-triggers', part: this.surveyTriggers },
      { name: 'analytics', part: this.analytics },
      { name: 'survey-replies', part: this.surveyReplies },
      ...(reporter ? [{ name: 'pipeline-reporter', part: reporter }] : []),
      ...(influx ? [{ name: 'panel-health', part: new PanelHealthJob(this.panels, config.influx.panelHealthInterval) }] : []),
      { name: 'http', part: { start: () => this.startHttp(), stop: () => this.http.stop(), health: () => this.http.health() } },
    ];
    this.registerGauges();
  }

  /** The embedded broker, or in external mode (docs/external-broker.md) a client of another broker. */
  private buildBroker(): MqttBroker | ExternalBroker {
    const { config, logger } = this;
    const ingest = (message: Parameters<Gateway['ingest']>[0]) => this.gateway.ingest(message);
    if (config.mqtt.mode === 'external') return new ExternalBroker({ config: config.mqtt, dataDir: config.data.dir, logger, hooks: { ingest } });
    return new MqttBroker({
      config: config.mqtt,
      dataDir: config.data.dir,
      logger,
      registry: this.metricsRegistry,
      version,
      hooks: {
        authenticate: (username, password) => this.authenticateMqtt(username, password),
        deviceExists: (deviceId) => this.gateway.registry.getDevice(deviceId) !== null,
        isIngestTopic: (topic) => this.gateway.isDeviceTopic(topic),
        ingest,
      },
    });
  }

  get urls(): AppUrls {
    const host = (h: string) => (h === '0.0.0.0' || h === '::' ? 'localhost' : h);
    const mqtt = this.config.mqtt.mode === 'external' ? this.config.mqtt.externalUrl : `mqtt://${host(this.config.mqtt.host)}:${this.broker.port}`;
    return { http: `http://${host(this.config.http.host)}:${this.http.port || this.config.http.port}`, mqtt };
  }

  get initialAdminKey(): string | null {
    return this.firstAdminKey;
  }

  /** A fresh admin key for the built-in fleet's registration; the previous one stops working. */
  fleetApiKey(): string {
    return this.gateway.apiKeys.replace({ name: 'builtin-fleet', role: 'admin' }).key;
  }

  /** Starts every part in order; on a failure, stops what started, closes the store and throws. */
  async start(): Promise<void> {
    const keys = this.gateway.apiKeys;
    if (this.config.http.adminKey) keys.replace({ name: 'configured-admin', role: 'admin', key: this.config.http.adminKey });
    else if (keys.count() === 0) this.firstAdminKey = keys.create({ name: 'initial-admin', role: 'admin' }).key;
    try {
      await startInOrder(this.parts, this.logger);
    } catch (error) {
      await this.close();
      throw error;
    }
    // Last: a command that sees it may call the HTTP API it names.
    await this.presence.write(this.urls.http).catch(async (error: unknown) => {
      await this.stop();
      throw error;
    });
  }

  async stop(): Promise<void> {
    try {
      await stopInReverse(this.parts, this.logger);
    } finally {
      await this.close();
    }
  }

  /** Last: the store, then the lease, so a standby opens the store only once this node has closed it. */
  private async close(): Promise<void> {
    await this.presence.remove();
    this.store.close();
    await this.lease?.stop();
  }

  /** The broker's start, with a taken port named in one line. */
  private async startBroker(): Promise<void> {
    const { mqtt } = this.config;
    const listeners: ListenerPort[] = [
      { what: 'MQTT', port: mqtt.port, setting: 'mqtt.port', env: 'PARCOURS_MQTT_PORT' },
      { what: 'MQTT over TLS', port: mqtt.tlsPort, setting: 'mqtt.tlsPort', env: 'PARCOURS_MQTT_TLS_PORT' },
    ];
    await this.broker.start().catch((error: unknown) => {
      throw explainPortInUse(error, listeners);
    });
  }

  private async startHttp(): Promise<void> {
    const listener: ListenerPort = { what: 'HTTP API', port: this.config.http.port, setting: 'http.port', env: 'PARCOURS_HTTP_PORT' };
    await this.http.start().catch((error: unknown) => {
      throw explainPortInUse(error, [listener]);
    });
  }

  /** Every part's state, for `/healthz`: the store takes writes, the broker listens, each log reader's lag. */
  health(): Health['parts'] {
    return Object.fromEntries(this.parts.map(({ name, part }) => [name, part.health?.() ?? { ok: true }]));
  }

  private brokerHealth(): PartHealth {
    const { mqtt } = this.config;
    if (this.broker instanceof ExternalBroker) return { ok: this.broker.port > 0, connected: this.broker.port > 0 };
    const tls = mqtt.tlsCert !== '' && mqtt.tlsKey !== '';
    const listening = { tcp: this.broker.port, ...(tls ? { tls: this.broker.tlsPort } : {}) };
    return { ok: Object.values(listening).every((port) => port > 0), listening, clients: this.broker.connectedClients };
  }

  /** An MQTT login: an API key as the password (integrators, operators), else a device's id and secret. */
  private async authenticateMqtt(username: string, password: string): Promise<Principal | null> {
    const key = this.gateway.apiKeys.verify(password);
    if (key) return { kind: 'key', id: key.id, name: key.name, role: key.role, subjects: key.subjects };
    return (await this.gateway.authenticateDevice(username, password)) ? { kind: 'device', deviceId: username, login: 'secret' } : null;
  }

  /** How far each reader of the durable log is behind. */
  consumerStatus(): Record<string, ConsumerStatus> {
    return {
      ...(this.influxSink ? { 'influx-raw': this.influxSink.status() } : {}),
      'analytics-sessions': this.analytics.status(),
      'survey-replies': this.surveyReplies.status(),
    };
  }

  /** See `reattribute.ts`: after a registry correction, re-attribute `[from, to)` and re-derive. */
  reattribute(from: number, to: number, onProgress: (progress: ReattributeProgress) => void = () => undefined): Promise<ReattributeResult> {
    const parts = { gateway: this.gateway, analytics: this.analytics, influx: this.influx, sink: this.influxSink, logger: this.logger };
    return reattribute(parts, from, to, onProgress);
  }

  /** Every route the HTTP API serves (method and URL), to check them against the OpenAPI document. */
  httpRoutes(): { method: string; url: string }[] {
    return this.routes;
  }

  /** Waits until the InfluxDB sink and the analytics have handled everything stored so far. */
  async drained(): Promise<void> {
    await Promise.all([this.influxSink?.caughtUp(), this.analytics.caughtUp(), this.surveyReplies.caughtUp()]);
  }

  private registerGauges(): void {
    const app = this;
    const registers = [this.metricsRegistry];
    collectDefaultMetrics({ register: this.metricsRegistry, prefix: 'parcours_' });
    new Gauge({
      name: 'parcours_log_consumer_lag',
      help: 'Records stored in the durable log that a consumer has not handled yet (duplicates turned away are none).',
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
      help: 'Records stored in the durable log (duplicates turned away are none; retention removes the oldest).',
      registers,
      collect() {
        this.set(app.gateway.log.count());
      },
    });
    new Gauge({
      name: 'parcours_quarantine_bytes',
      help: 'Bytes held in the quarantine (payloads, topics, details), bounded by gateway.quarantineMaxBytes.',
      registers,
      collect() {
        this.set(app.gateway.quarantine.bytes());
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
