import { isUpstreamDeviceTopic, type Config } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { ApiKeyStore } from './auth/api-key-store.js';
import { ConsumerOffsets } from './log/consumer-offsets.js';
import { EventLog } from './log/event-log.js';
import { eventRoutes } from './http/routes/event-routes.js';
import { quarantineRoutes } from './http/routes/quarantine-routes.js';
import { deviceRoutes } from './http/routes/device-routes.js';
import { importRoutes } from './http/routes/import-routes.js';
import { membershipRoutes } from './http/routes/membership-routes.js';
import { registryChangeRoutes } from './http/routes/registry-change-routes.js';
import { subjectRoutes } from './http/routes/subject-routes.js';
import type { GatewayMetrics } from './metrics.js';
import { BatchWriter, type WriteOutcome } from './pipeline/batch-writer.js';
import type { InboundMessage } from './pipeline/message.js';
import { Ingest } from './pipeline/ingest.js';
import { PresenceStore } from './pipeline/presence-store.js';
import { QuarantineStore, type QuarantineEntry, type QuarantineFilter } from './quarantine/quarantine-store.js';
import { AttributionIndex } from './registry/attribution-index.js';
import { RegistryStore } from './registry/registry-store.js';
import { migrate, openDatabase, type Database } from './store/database.js';
import { WalSync } from './store/wal-sync.js';
import { gatewayMigrations } from './store/migrations.js';

/** How often retention runs; records go at most this long after they expired. */
const retentionCheckMs = 3_600_000;

export interface GatewayOptions {
  config: Pick<Config, 'data' | 'mqtt' | 'gateway'>;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Told of each quarantined message (DESIGN: published on `quarantine/{deviceId}` for operators). */
  onQuarantined?: (entry: QuarantineEntry) => void;
}

/** The parts that exist once the gateway has started. */
interface Started {
  db: Database;
  walSync: WalSync | null;
  registry: RegistryStore;
  log: EventLog;
  offsets: ConsumerOffsets;
  quarantine: QuarantineStore;
  presence: PresenceStore;
  apiKeys: ApiKeyStore;
  ingest: Ingest;
}

/**
 * Owns the embedded store, the registry and the ingest pipeline. The broker hands it every device
 * message; the sinks and the analytics follow its durable log.
 */
export class Gateway {
  private parts: Started | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private index: AttributionIndex | null = null;

  constructor(private readonly options: GatewayOptions) {}

  start(): void {
    const { config, logger, metrics } = this.options;
    const db = openDatabase(config.data.dir);
    migrate(db, gatewayMigrations);
    const walSync = config.data.sync === 'full' ? new WalSync(`${db.name}-wal`) : null;
    walSync?.start();
    const registry = new RegistryStore(db);
    const log = new EventLog(db);
    const quarantine = new QuarantineStore(db, config.gateway.quarantineMaxEntries);
    const presence = new PresenceStore(db);
    const writer = new BatchWriter(
      db,
      log,
      quarantine,
      presence,
      (dropped) => {
        metrics.quarantineDropped.inc(dropped);
        logger.warn({ dropped, max: config.gateway.quarantineMaxEntries }, 'quarantine full: dropped the oldest messages');
      },
      walSync,
    );
    // Rebuilt when next needed, not on every change: registering a fleet of thousands is then linear.
    registry.onChange(() => (this.index = null));
    const ingest = new Ingest({
      options: {
        baseTopic: config.mqtt.baseTopic,
        maxPayloadBytes: config.gateway.maxPayloadBytes,
        maxClockSkewMs: config.gateway.maxClockSkew,
        maxLatenessMs: config.gateway.maxLateness,
      },
      index: () => this.attributionIndex,
      writer,
      metrics,
      logger: logger.child({ part: 'gateway' }),
      onQuarantined: this.options.onQuarantined,
    });
    this.parts = { db, walSync, registry, log, offsets: new ConsumerOffsets(db), quarantine, presence, apiKeys: new ApiKeyStore(db), ingest };
    logger.info({ dataDir: config.data.dir, stored: log.head() }, 'gateway started');
  }

  stop(): void {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.index = null;
    this.parts?.walSync?.stop();
    this.parts?.db.close();
    this.parts = null;
  }

  private get started(): Started {
    if (!this.parts) throw new Error('the gateway is not started');
    return this.parts;
  }

  get db(): Database {
    return this.started.db;
  }
  get registry(): RegistryStore {
    return this.started.registry;
  }
  get log(): EventLog {
    return this.started.log;
  }
  get offsets(): ConsumerOffsets {
    return this.started.offsets;
  }
  get quarantine(): QuarantineStore {
    return this.started.quarantine;
  }
  get presence(): PresenceStore {
    return this.started.presence;
  }
  get apiKeys(): ApiKeyStore {
    return this.started.apiKeys;
  }

  /** Resolves once the message is durably stored (or quarantined); only then may the broker acknowledge it. */
  ingest(message: InboundMessage): Promise<WriteOutcome> {
    return this.started.ingest.handle(message);
  }

  /** Applies the log retention now and every hour, for the server (commands that open the store do not). */
  startRetention(): void {
    if (this.options.config.data.logRetention <= 0) return;
    this.applyRetention();
    this.retentionTimer = setInterval(() => this.applyRetention(), retentionCheckMs).unref();
  }

  /** Deletes log records older than the retention that every active reader has handled. */
  applyRetention(now = Date.now()): number {
    const { config, logger } = this.options;
    const deleted = this.started.log.prune(now - config.data.logRetention);
    if (deleted > 0) logger.info({ deleted, retention: config.data.logRetention }, 'log retention applied');
    return deleted;
  }

  /** The registry as it is now, indexed for attribution as of any instant. */
  get attributionIndex(): AttributionIndex {
    this.index ??= new AttributionIndex(this.started.registry.snapshot());
    return this.index;
  }

  /**
   * Runs quarantined messages through the pipeline again (after their cause was fixed, e.g. the device
   * registered): each is taken out and either stored or quarantined anew with its current reason.
   */
  async replayQuarantine(filter: QuarantineFilter, limit: number): Promise<Record<WriteOutcome | 'replayed', number>> {
    const tally = { replayed: 0, stored: 0, duplicate: 0, quarantined: 0, presence: 0 };
    for (const entry of this.started.quarantine.take(filter, limit)) {
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

  authenticateDevice(deviceId: string, secret: string): Promise<boolean> {
    return this.started.registry.verifyCredentials(deviceId, secret);
  }

  isDeviceTopic(topic: string): boolean {
    return isUpstreamDeviceTopic(this.options.config.mqtt.baseTopic, topic);
  }

  routes(): FastifyPluginAsync[] {
    const { registry, quarantine, log, presence } = this.started;
    return [
      subjectRoutes(registry),
      membershipRoutes(registry),
      deviceRoutes(registry, presence),
      registryChangeRoutes(registry),
      importRoutes(registry),
      quarantineRoutes(quarantine, (filter, limit) => this.replayQuarantine(filter, limit)),
      eventRoutes(log),
    ];
  }
}
