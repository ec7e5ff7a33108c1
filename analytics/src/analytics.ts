import type { Config, Journey, UsageSession } from '@parcours/contracts';
import { migrate, type ConsumerStatus, type Gateway, type InfluxWriter } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createAnalyticsMetrics } from './analytics-metrics.js';
import { derivationSettings, DerivationSettingsStore } from './derivation-settings.js';
import { AggregateJob } from './aggregates/aggregate-job.js';
import { AggregateStore } from './aggregates/aggregate-store.js';
import { batchJobNames, batchJobs, type BatchDeps, type BatchJobResult, type BatchProgress, type BatchRun } from './batch/batch-jobs.js';
import { funnelOccurrences } from './funnels/funnel-occurrences.js';
import { funnelRoutes } from './http/funnel-routes.js';
import { aggregateRoutes } from './http/aggregate-routes.js';
import { journeyRoutes } from './http/journey-routes.js';
import { retentionRoutes } from './http/retention-routes.js';
import { sessionRoutes } from './http/session-routes.js';
import { splitJourneys } from './journeys/journey-builder.js';
import { JourneyJob } from './journeys/journey-job.js';
import { JourneyStore } from './journeys/journey-store.js';
import { analyticsMigrations } from './migrations.js';
import { Outbox, OutboxRelay } from './outbox/outbox.js';
import { ActorInference } from './sessions/actor-inference.js';
import type { DeviceSelection } from './sessions/rederive-sessions.js';
import { longestSession, sessionRulesFrom, type SessionRules } from './sessions/session-builder.js';
import { SessionJob } from './sessions/session-job.js';
import { SessionStore } from './sessions/session-store.js';

export interface AnalyticsOptions {
  config: Pick<Config, 'analytics' | 'mqtt'>;
  gateway: Gateway;
  influx: InfluxWriter | null;
  publish: (topic: string, payload: string) => Promise<void>;
  logger: Logger;
  onSessions?: (sessions: UsageSession[]) => void;
  /** Where the analytics' metrics go (`/metrics`); none in batch commands. */
  registry?: Registry;
}

/** The analytics jobs that follow the gateway's durable log: usage sessions, and the journeys made of them. */
export class Analytics {
  private store: SessionStore | null = null;
  private journeys: JourneyStore | null = null;
  private sessions: SessionJob | null = null;
  private journeyJob: JourneyJob | null = null;
  private outboxStore: Outbox | null = null;
  private relay: OutboxRelay | null = null;
  private aggregateStore: AggregateStore | null = null;
  private aggregateJob: AggregateJob | null = null;

  constructor(private readonly options: AnalyticsOptions) {}

  get sessionRules(): SessionRules {
    return sessionRulesFrom(this.options.config.analytics);
  }

  private get rules(): SessionRules {
    return this.sessionRules;
  }

  private inference(): ActorInference | null {
    const { config, gateway } = this.options;
    if (!config.analytics.actorInference) return null;
    return new ActorInference(config.analytics.actorInferenceWindow, longestSession(this.rules), (collective, t) =>
      gateway.attributionIndex.membersAt(collective, t),
    );
  }

  /** Opens the analytics' tables without following the log (for batch commands). */
  open(): void {
    migrate(this.options.gateway.db, analyticsMigrations);
    this.store = new SessionStore(this.options.gateway.db);
    this.journeys = new JourneyStore(this.options.gateway.db);
    this.outboxStore = new Outbox(this.options.gateway.db);
    this.aggregateStore = new AggregateStore(this.options.gateway.db);
    const { config, influx, logger } = this.options;
    this.aggregateJob = new AggregateJob({
      store: this.aggregateStore,
      influx,
      intervalMs: config.analytics.aggregateInterval,
      retentionIntervalMs: config.analytics.retentionInterval,
      funnels: config.analytics.funnels,
      funnelOccurrences: (funnel, from, to) => funnelOccurrences(this.sessionStore, this.options.gateway.log, funnel, from, to),
      activeWeeks: (kind, low, high) => this.sessionStore.activeWeeks(kind, low, high),
      individualType: this.individualType,
      logger: logger.child({ part: 'analytics-aggregates' }),
    });
  }

  /** The registry's type of an individual, for the journeys of someone using another subject's device. */
  private readonly individualType = (id: string): string | null => this.options.gateway.registry.getSubject(id)?.type ?? null;

  /** Opens, then follows the log as it grows. */
  start(): void {
    const { config, gateway, influx, publish, logger, onSessions, registry } = this.options;
    this.open();
    this.adoptSettings();
    const metrics = registry ? createAnalyticsMetrics(registry, () => this.outbox.count()) : null;
    const journeys = (this.journeyJob = new JourneyJob({
      store: this.journeyStore,
      sessions: this.sessionStore,
      gapMs: config.analytics.journeyGap,
      individualType: this.individualType,
      influx,
      publish,
      baseTopic: config.mqtt.baseTopic,
      logger: logger.child({ part: 'analytics-journeys' }),
      onRebuilt: (n) => metrics?.journeyRebuilds.inc(n),
    }));
    journeys.start();
    this.sessions = new SessionJob({
      log: gateway.log,
      offsets: gateway.offsets,
      store: this.sessionStore,
      rules: this.rules,
      inference: this.inference(),
      influx,
      publish,
      baseTopic: config.mqtt.baseTopic,
      logger: logger.child({ part: 'analytics' }),
      ...(onSessions ? { onSessions } : {}),
      followers: [journeys],
      onLate: (devices) => metrics?.lateDevices.inc(devices),
    });
    this.sessions.start();
    this.relay = new OutboxRelay(this.outbox, publish, logger.child({ part: 'analytics-outbox' }));
    this.relay.start();
    void this.relay.flush();
    this.aggregates.start();
  }

  async stop(): Promise<void> {
    await this.sessions?.stop();
    await this.relay?.stop();
    // Last: recomputes the days the final batches changed.
    await this.aggregateJob?.stop();
  }

  status(): ConsumerStatus {
    return this.sessions?.status() ?? { lag: 0, lagSeconds: 0, lastBatchMs: 0, failing: false };
  }

  get lag(): number {
    return this.sessions?.lag ?? 0;
  }

  /** Resolves once the log so far is handled and the outbox published. */
  async caughtUp(): Promise<void> {
    await this.sessions?.caughtUp();
    await this.relay?.flush();
  }

  get sessionStore(): SessionStore {
    if (!this.store) throw new Error('analytics not started');
    return this.store;
  }

  /**
   * The derivation settings (session rules, journey gap, inference, funnels) that differ from those the
   * server last ran with: a batch command started with other settings would replace its results.
   */
  settingsDifferences(): string[] {
    return this.settings.differences(derivationSettings(this.options.config.analytics));
  }

  /** Records this configuration's derivation settings as the ones the results now follow (a deliberate change). */
  adoptSettings(): void {
    this.settings.record(derivationSettings(this.options.config.analytics));
  }

  private get settings(): DerivationSettingsStore {
    return new DerivationSettingsStore(this.options.gateway.db);
  }

  get outbox(): Outbox {
    if (!this.outboxStore) throw new Error('analytics not started');
    return this.outboxStore;
  }

  /** Transitions, activity and shared-device usage in InfluxDB: `flush()` recomputes the changed days now. */
  get aggregates(): AggregateJob {
    if (!this.aggregateJob) throw new Error('analytics not started');
    return this.aggregateJob;
  }

  get journeyStore(): JourneyStore {
    if (!this.journeys) throw new Error('analytics not started');
    return this.journeys;
  }

  /**
   * Re-derives the sessions of these devices that start in `[from, to)`, replacing the stored ones, then
   * the journeys they were or are part of; integrators get the new and changed ones through the outbox.
   */
  async rederive(devices: DeviceSelection, from: number, to: number): Promise<UsageSession[]> {
    const run = await this.runBatch({ jobs: ['sessions', 'journeys'], devices, from, to });
    return run.sessions;
  }

  /**
   * Runs batch jobs (`batchJobs`, in their order) over `[from, to)`: each replaces its results in the
   * range (same ids, never added) in the store and InfluxDB, and queues the changed ones for integrators.
   */
  async runBatch(options: {
    jobs: readonly string[];
    devices?: DeviceSelection;
    from: number;
    to: number;
    onProgress?: (progress: BatchProgress) => void;
  }): Promise<BatchRun & { results: BatchJobResult[] }> {
    const unknown = options.jobs.filter((name) => !batchJobNames.includes(name));
    if (unknown.length > 0) throw new Error(`unknown batch job ${unknown.join(', ')}; the jobs are ${batchJobNames.join(', ')}`);
    const run: BatchRun = {
      from: options.from,
      to: options.to,
      devices: options.devices ?? 'all',
      subjects: new Set(),
      sessions: [],
      onProgress: options.onProgress ?? (() => undefined),
    };
    const results: BatchJobResult[] = [];
    for (const job of batchJobs.filter((j) => options.jobs.includes(j.name))) results.push(await job.run(this.batchDeps(), run));
    // In a running server, the stream goes on from the pending journeys the batch rebuilt.
    this.journeyJob?.reload(run.subjects);
    await this.relay?.flush();
    await this.aggregates.flush();
    return { ...run, results };
  }

  private batchDeps(): BatchDeps {
    const { config, gateway, influx, logger } = this.options;
    return {
      log: gateway.log,
      sessions: this.sessionStore,
      journeys: this.journeyStore,
      outbox: this.outbox,
      rules: this.rules,
      inference: () => this.inference(),
      gapMs: config.analytics.journeyGap,
      individualType: this.individualType,
      influx,
      baseTopic: config.mqtt.baseTopic,
      logger,
      aggregates: this.aggregateStore!,
    };
  }

  get journeyGap(): number {
    return this.options.config.analytics.journeyGap;
  }

  /** Journeys starting in `[from, to)`: the closed ones stored, and those still pending in the stream as they stand. */
  journeysInRange(from: number, to: number): Journey[] {
    const pending = this.journeyStore.loadPending().flatMap((p) => splitJourneys(p, p.steps, this.options.config.analytics.journeyGap));
    return [...this.journeyStore.listInRange(from, to), ...pending.filter((j) => j.start >= from && j.start < to)];
  }

  routes(): FastifyPluginAsync[] {
    const { config, gateway } = this.options;
    if (!this.aggregateStore) throw new Error('analytics not started');
    return [
      sessionRoutes(this.sessionStore),
      journeyRoutes(this.journeyStore),
      aggregateRoutes(this.aggregateStore, this.individualType),
      funnelRoutes(config.analytics.funnels, (funnel, from, to) => funnelOccurrences(this.sessionStore, gateway.log, funnel, from, to)),
      retentionRoutes(this.sessionStore, (id) => gateway.registry.getSubject(id)?.type ?? null),
    ];
  }
}
