import {
  clockRulesOf,
  isUpstreamDeviceTopic,
  type ApiKeyInfo,
  type ApiRole,
  type Config,
  type PartHealth,
  type RegistryAsOf,
  type RevokedCredentials,
} from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { ApiKeyStore } from './auth/api-key-store.js';
import { checkGrants } from './auth/key-grants.js';
import { ConsentStore } from './consent/consent-store.js';
import { KeyRevocationWatch } from './auth/key-revocation-watch.js';
import { ConsumerOffsets } from './log/consumer-offsets.js';
import { EventLog } from './log/event-log.js';
import { eventRoutes } from './http/routes/event-routes.js';
import { fleetRoutes } from './http/routes/fleet-routes.js';
import { quarantineRoutes } from './http/routes/quarantine-routes.js';
import { consentRoutes } from './http/routes/consent-routes.js';
import { deviceRoutes } from './http/routes/device-routes.js';
import { importRoutes } from './http/routes/import-routes.js';
import { membershipRoutes } from './http/routes/membership-routes.js';
import { profileImportRoutes } from './http/routes/profile-import-routes.js';
import { profileSubjectRoutes } from './http/routes/profile-subject-routes.js';
import { registryChangeRoutes } from './http/routes/registry-change-routes.js';
import { sourceRoutes } from './http/routes/source-routes.js';
import { subjectRoutes } from './http/routes/subject-routes.js';
import type { GatewayMetrics } from './metrics.js';
import { BatchWriter, type WriteOutcome } from './pipeline/batch-writer.js';
import type { InboundMessage } from './pipeline/message.js';
import { Ingest } from './pipeline/ingest.js';
import { ProfileStore } from './profiles/profile-store.js';
import { PresenceStore } from './pipeline/presence-store.js';
import { QuarantineStore, type QuarantineEntry, type QuarantineFilter } from './quarantine/quarantine-store.js';
import { AttributionIndex } from './registry/attribution-index.js';
import { registryAsOf } from './registry/registry-as-of.js';
import { RegistryStore } from './registry/registry-store.js';
import type { Database } from './store/database.js';
import type { EmbeddedStore } from './store/embedded-store.js';

/** How often retention runs; records go at most this long after they expired. */
const retentionCheckMs = 3_600_000;

export interface GatewayOptions {
  /** The opened, migrated embedded store; the gateway's parts are built on it. */
  store: EmbeddedStore;
  config: Pick<Config, 'data' | 'mqtt' | 'gateway'>;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Told of each quarantined message (published on `quarantine/{deviceId}` for operators). */
  onQuarantined?: (entry: QuarantineEntry) => void;
  /** Told when credentials stop being valid, here or (API keys) in another process: the broker ends their sessions. */
  onCredentialsRevoked?: (revoked: RevokedCredentials) => void;
}

/**
 * The registry, the durable log and the ingest pipeline on the embedded store. The broker hands it every
 * device message; the sinks and the analytics follow its log. Built whole in the constructor (statements
 * prepared, no I/O); `start()` only schedules the log retention, so commands use it without starting it.
 */
export class Gateway {
  readonly db: Database;
  readonly registry: RegistryStore;
  readonly log: EventLog;
  readonly offsets: ConsumerOffsets;
  readonly quarantine: QuarantineStore;
  readonly presence: PresenceStore;
  readonly apiKeys: ApiKeyStore;
  readonly consents: ConsentStore;
  /** Customer profiles from several sources: identities and attributes with provenance, as of any date. */
  readonly profiles: ProfileStore;
  /** The registry as the analytics ask it, as of any instant. */
  readonly asOf: RegistryAsOf;
  private readonly pipeline: Ingest;
  private retentionTimer: NodeJS.Timeout | null = null;
  private readonly keyWatch: KeyRevocationWatch;
  /** Rebuilt when next needed, not on every change: registering a fleet of thousands is then linear. */
  private index: AttributionIndex | null = null;

  constructor(private readonly options: GatewayOptions) {
    const { store, config, logger, metrics } = options;
    this.db = store.db;
    const revoked = (credentials: RevokedCredentials) => this.revoked(credentials);
    this.registry = new RegistryStore(store.db, revoked);
    this.log = new EventLog(store.db);
    this.offsets = new ConsumerOffsets(store.db);
    this.quarantine = new QuarantineStore(store.db, { maxEntries: config.gateway.quarantineMaxEntries, maxBytes: config.gateway.quarantineMaxBytes });
    this.presence = new PresenceStore(store.db);
    this.apiKeys = new ApiKeyStore(store.db, revoked);
    this.consents = new ConsentStore(store.db, this.registry);
    this.profiles = new ProfileStore(store.db, this.registry);
    this.keyWatch = new KeyRevocationWatch(store.db, this.apiKeys, logger);
    const writer = new BatchWriter(store.db, this.log, this.quarantine, this.presence, (dropped) => this.quarantineDropped(dropped), store.walSync);
    this.registry.onChange(() => (this.index = null));
    this.asOf = registryAsOf(this.registry, () => this.attributionIndex);
    this.pipeline = new Ingest({
      options: {
        baseTopic: config.mqtt.baseTopic,
        maxPayloadBytes: config.gateway.maxPayloadBytes,
        ...clockRulesOf(config),
        quarantinePrefixBytes: config.gateway.quarantinePrefixBytes,
      },
      index: () => this.attributionIndex,
      writer,
      metrics,
      logger: logger.child({ part: 'gateway' }),
      onQuarantined: options.onQuarantined,
    });
  }

  /**
   * Applies the log retention now and every hour, and watches for API keys revoked by commands (the server
   * does; commands that open the store do not).
   */
  async start(): Promise<void> {
    const { config, logger } = this.options;
    logger.info({ dataDir: config.data.dir, stored: this.log.count() }, 'gateway started');
    this.keyWatch.start();
    if (config.data.logRetention <= 0) return;
    this.applyRetention();
    this.retentionTimer = setInterval(() => this.applyRetention(), retentionCheckMs).unref();
  }

  async stop(): Promise<void> {
    this.keyWatch.stop();
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = null;
  }

  /** The store takes writes. */
  health(): PartHealth {
    return { ok: this.options.store.writable() };
  }

  /**
   * Quarantines a message refused after the pipeline accepted it (a prompt's reply the surveys refuse), counted
   * by reason and told like those the pipeline refuses.
   */
  quarantineRefused(entry: QuarantineEntry): void {
    this.quarantineDropped(this.quarantine.append([entry]));
    this.options.metrics.quarantined.inc({ reason: entry.reason });
    this.options.onQuarantined?.(entry);
  }

  private quarantineDropped(dropped: number): void {
    if (dropped === 0) return;
    const { config, metrics, logger } = this.options;
    metrics.quarantineDropped.inc(dropped);
    logger.warn(
      { dropped, maxEntries: config.gateway.quarantineMaxEntries, maxBytes: config.gateway.quarantineMaxBytes },
      'quarantine full: dropped the oldest messages',
    );
  }

  /** Resolves once the message is durably stored (or quarantined); only then may the broker acknowledge it. */
  ingest(message: InboundMessage): Promise<WriteOutcome> {
    return this.pipeline.handle(message);
  }

  /** Deletes log records older than the retention that every active reader has handled. */
  applyRetention(now = Date.now()): number {
    const { config, logger } = this.options;
    const deleted = this.log.prune(now - config.data.logRetention);
    if (deleted > 0) logger.info({ deleted, retention: config.data.logRetention }, 'log retention applied');
    return deleted;
  }

  /** The registry as it is now, indexed for attribution as of any instant. */
  get attributionIndex(): AttributionIndex {
    this.index ??= new AttributionIndex(this.registry.snapshot());
    return this.index;
  }

  /**
   * Runs quarantined messages through the pipeline again (after their cause was fixed, e.g. the device
   * registered): each is taken out and either stored or quarantined anew with its current reason.
   */
  async replayQuarantine(filter: QuarantineFilter, limit: number): Promise<Record<WriteOutcome | 'replayed', number>> {
    const tally = { replayed: 0, stored: 0, duplicate: 0, quarantined: 0, presence: 0 };
    for (const entry of this.quarantine.take(filter, limit)) {
      const outcome = await this.ingest({
        topic: entry.topic,
        payload: entry.payload,
        receivedAt: entry.receivedAt,
        clientId: entry.clientId,
        username: entry.username,
      });
      tally[outcome] += 1;
      tally.replayed += 1;
    }
    return tally;
  }

  /** A listener that fails must not fail the change that revoked the credentials (it is committed). */
  private revoked(credentials: RevokedCredentials): void {
    try {
      this.options.onCredentialsRevoked?.(credentials);
    } catch (error) {
      this.options.logger.error({ err: error, credentials: credentials.kind }, 'could not end the sessions of revoked credentials');
    }
  }

  /** Creates an API key once its grants are checked against its role and the registry (`parcours keys create`). */
  createApiKey(input: { name: string; role: ApiRole; subjects: string[] }): { info: ApiKeyInfo; key: string } {
    checkGrants(input.role, input.subjects, (id) => this.registry.getSubject(id) !== null);
    return this.apiKeys.create(input);
  }

  authenticateDevice(deviceId: string, secret: string): Promise<boolean> {
    return this.registry.verifyCredentials(deviceId, secret);
  }

  isDeviceTopic(topic: string): boolean {
    return isUpstreamDeviceTopic(this.options.config.mqtt.baseTopic, topic);
  }

  routes(): FastifyPluginAsync[] {
    const { registry, quarantine, log, presence, profiles } = this;
    const { metrics } = this.options;
    return [
      subjectRoutes(registry),
      profileSubjectRoutes(profiles),
      sourceRoutes(profiles),
      membershipRoutes(registry),
      consentRoutes(this.consents),
      deviceRoutes(registry, presence),
      registryChangeRoutes(registry),
      importRoutes(registry),
      profileImportRoutes(profiles, {
        traits: (report) => {
          metrics.traitRows.inc({ source: report.source, outcome: 'matched' }, report.matched);
          metrics.traitRows.inc({ source: report.source, outcome: 'unmatched' }, report.unmatched.count);
          metrics.traitRows.inc({ source: report.source, outcome: 'ambiguous' }, report.ambiguous.count);
          metrics.traitRows.inc({ source: report.source, outcome: 'conflicting' }, report.conflicting.count);
        },
        identityKeys: (keys) => metrics.identityKeys.inc(keys),
      }),
      quarantineRoutes(quarantine, (filter, limit) => this.replayQuarantine(filter, limit), this.options.config.gateway.quarantinePageBytes),
      eventRoutes(log, this.asOf),
      fleetRoutes({
        registeredDevices: () => registry.countDevices(),
        onlineDevices: () => presence.countOnline(),
        acceptedPerMinute: (since) => log.countPerMinute(since),
        quarantinedPerMinute: (since) => quarantine.countPerMinute(since),
        quarantineByReason: () => quarantine.countByReason(),
      }),
    ];
  }
}
