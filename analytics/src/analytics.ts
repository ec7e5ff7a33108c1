import type { Config, FunnelStep, Journey, LogReader, PartHealth, RegistryAsOf, UsageSession } from '@parcours/contracts';
import type { ConsumerOffsets, ConsumerStatus, Database, InfluxWriter } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createAnalyticsMetrics } from './analytics-metrics.js';
import { derivationSettings, DerivationSettingsStore } from './derivation-settings.js';
import { AggregateJob } from './aggregates/aggregate-job.js';
import { AggregateStore } from './aggregates/aggregate-store.js';
import type { WeightedScheme } from './aggregates/weighted-points.js';
import { batchJobNames, batchJobs, type BatchDeps, type BatchJobResult, type BatchProgress, type BatchRun } from './batch/batch-jobs.js';
import { funnelOccurrences } from './funnels/funnel-occurrences.js';
import { individualsReachingStep, reachedStepAt } from './funnels/funnel-reach.js';
import { funnelRoutes } from './http/funnel-routes.js';
import { aggregateRoutes } from './http/aggregate-routes.js';
import { journeyRoutes, type SurveyStepsOf } from './http/journey-routes.js';
import { retentionRoutes } from './http/retention-routes.js';
import type { WeightedSamples } from './weighted/weighted-figures.js';
import { weeksActiveBefore } from './retention/weeks-active.js';
import { sessionRoutes } from './http/session-routes.js';
import { splitJourneys, type JourneyRules } from './journeys/journey-builder.js';
import { JourneyJob } from './journeys/journey-job.js';
import { JourneyStore } from './journeys/journey-store.js';
import { Outbox, OutboxRelay, type OutboxMessage } from './outbox/outbox.js';
import { derivedOutputs } from './output/derived-outputs.js';
import { InfluxCatchUp } from './output/influx-catch-up.js';
import { InfluxPositions } from './output/influx-positions.js';
import { ResultWriter } from './output/result-writer.js';
import { ServedResults } from './served-results.js';
import { ActorInference } from './sessions/actor-inference.js';
import type { DeviceSelection } from './sessions/rederive-sessions.js';
import { isAmbient, sessionRulesFrom, type SessionRules } from './sessions/session-builder.js';
import { SessionJob } from './sessions/session-job.js';
import { SessionStore } from './sessions/session-store.js';

export interface AnalyticsDeps {
  config: Pick<Config, 'analytics' | 'mqtt'>;
  /** The embedded store, opened and already migrated with `analyticsMigrations`. */
  db: Database;
  log: LogReader;
  offsets: ConsumerOffsets;
  registry: RegistryAsOf;
  influx: InfluxWriter | null;
  /** Publishes at QoS 1, resolving once the broker has taken the message; used only by the outbox relay. */
  publish: (topic: string, payload: string) => Promise<void>;
  logger: Logger;
  /** Where the analytics' metrics go (`/metrics`); none in batch commands. */
  metrics?: Registry;
  /** The weighting schemes whose latest version has a stored run, for the `weighted_activity` points; none when absent. */
  weightedSchemes?: () => readonly WeightedScheme[];
  /**
   * Told of every announcement of new or changed results (sessions, journeys) inside the transaction that
   * commits them, in streaming and in batch: a consumer that stores what it takes from them in that
   * transaction neither misses nor doubles one across a crash.
   */
  onAnnounced?: (messages: readonly OutboxMessage[]) => void;
  /** The processing clock, which the watermark follows on a quiet log (`Date.now` unless given: tests replaying arrival times set it). */
  now?: () => number;
}

/** How the analytics are doing, for `/healthz`. */
/**
 * The analytics over the gateway's durable log: usage sessions, the journeys made of them, their
 * aggregates, and the outbox that announces them to integrators. Built whole in the constructor (on a
 * migrated store); `start()` follows the log, batch commands call `runBatch` without it.
 */
export class Analytics {
  readonly sessionRules: SessionRules;
  readonly sessionStore: SessionStore;
  readonly journeyStore: JourneyStore;
  /** Transitions, activity and shared-device usage in InfluxDB: `flush()` recomputes the changed days now. */
  readonly aggregates: AggregateJob;
  private readonly outbox: Outbox;
  private readonly aggregateStore: AggregateStore;
  private readonly settings: DerivationSettingsStore;
  private readonly relay: OutboxRelay;
  private readonly writer: ResultWriter;
  private readonly journeyJob: JourneyJob;
  private readonly sessionJob: SessionJob;
  private readonly served: ServedResults;
  /** Null when switched off. */
  private readonly inference: ActorInference | null;
  /** Null without InfluxDB. */
  private readonly influxCatchUp: InfluxCatchUp | null;

  constructor(private readonly deps: AnalyticsDeps) {
    const { config, db, log, offsets, influx, publish, logger } = deps;
    const metrics = deps.metrics ? createAnalyticsMetrics(deps.metrics, () => this.outbox.count()) : null;
    this.sessionRules = sessionRulesFrom(config.analytics);
    this.inference = this.actorInference();
    this.sessionStore = new SessionStore(db);
    this.journeyStore = new JourneyStore(db);
    this.aggregateStore = new AggregateStore(db);
    this.settings = new DerivationSettingsStore(db);
    this.outbox = new Outbox(db);
    this.relay = new OutboxRelay(this.outbox, publish, logger.child({ part: 'analytics-outbox' }));
    const positions = new InfluxPositions(db);
    this.writer = new ResultWriter({
      db,
      influx,
      outbox: this.outbox,
      positions,
      onQueued: () => this.relay.wake(),
      onAnnounced: deps.onAnnounced,
      logger: logger.child({ part: 'analytics-output' }),
    });
    this.aggregates = new AggregateJob({
      store: this.aggregateStore,
      writer: this.writer,
      intervalMs: config.analytics.aggregateInterval,
      retentionIntervalMs: config.analytics.retentionInterval,
      funnels: config.analytics.funnels,
      funnelOccurrences: (funnel, from, to) => funnelOccurrences(this.sessionStore, log, funnel, from, to),
      activeWeeks: (kind, low, high) => this.sessionStore.activeWeeks(kind, low, high),
      individualType: this.individualType,
      weightedSchemes: deps.weightedSchemes ?? (() => []),
      logger: logger.child({ part: 'analytics-aggregates' }),
    });
    this.journeyJob = new JourneyJob({
      ...this.journeyRules(),
      store: this.journeyStore,
      sessions: this.sessionStore,
      writer: this.writer,
      baseTopic: config.mqtt.baseTopic,
      logger: logger.child({ part: 'analytics-journeys' }),
      onRebuilt: (n) => metrics?.journeyRebuilds.inc(n),
    });
    this.served = new ServedResults({
      sessions: this.sessionStore,
      journeys: this.journeyStore,
      rules: this.sessionRules,
      gapMs: config.analytics.journeyGap,
      collectivesAt: this.collectivesAt,
      individualType: this.individualType,
    });
    this.sessionJob = new SessionJob({
      log,
      offsets,
      store: this.sessionStore,
      rules: this.sessionRules,
      inference: this.inference,
      writer: this.writer,
      baseTopic: config.mqtt.baseTopic,
      collectivesAt: this.collectivesAt,
      logger: logger.child({ part: 'analytics' }),
      followers: [this.journeyJob],
      clockAdvance: { quietMs: config.analytics.idleAdvanceAfter, latenessMs: config.analytics.allowedLateness, now: deps.now ?? Date.now },
      onLate: (devices) => metrics?.lateDevices.inc(devices),
      onUnmatchedStops: (stops) => metrics?.unmatchedStops.inc(stops),
    });
    this.influxCatchUp = influx
      ? new InfluxCatchUp({
          positions,
          outputs: derivedOutputs({
            sessions: this.sessionStore,
            journeys: this.journeyStore,
            aggregateStore: this.aggregateStore,
            aggregates: this.aggregates,
            writer: this.writer,
            funnels: config.analytics.funnels,
            betweenBatches: (task) => this.sessionJob.exclusive(task),
          }),
          span: () => this.resultSpan(),
          logger: logger.child({ part: 'influx-catch-up' }),
        })
      : null;
  }

  /** From the oldest to the newest session start or log record (the log may have been pruned of the first, funnels read its events). */
  private resultSpan(): { from: number; to: number } | null {
    const spans = [this.sessionStore.startSpan(), this.deps.log.timeSpan()].filter((s) => s !== null);
    return spans.length === 0 ? null : { from: Math.min(...spans.map((s) => s.from)), to: Math.max(...spans.map((s) => s.to)) + 1 };
  }

  /** The registry's type of an individual, for the journeys of someone using another subject's device. */
  private readonly individualType = (id: string): string | null => this.deps.registry.subjectType(id);

  private readonly subjectKnown = (id: string): boolean => this.deps.registry.subjectType(id) !== null;

  /** The collectives an individual belonged to at t, for the collectives of the sessions served and announced. */
  private readonly collectivesAt = (individualId: string, t: number): string[] => this.deps.registry.collectivesAt(individualId, t);

  /** What decides journeys, in the stream and in batch: the gap, the registry's members, ambient device types. */
  private journeyRules(): JourneyRules {
    const { config, registry } = this.deps;
    return {
      gapMs: config.analytics.journeyGap,
      individualType: this.individualType,
      membersAt: (collective, t) => registry.membersAt(collective, t),
      ambient: (deviceType) => isAmbient(this.sessionRules, deviceType),
    };
  }

  /** The actor inference of both the stream and the batch (stateless: it reads the log), or null when switched off. */
  private actorInference(): ActorInference | null {
    const { config, registry, log } = this.deps;
    if (!config.analytics.actorInference) return null;
    return new ActorInference({
      log,
      rules: this.sessionRules,
      windowMs: config.analytics.actorInferenceWindow,
      minConfidence: config.analytics.inferenceMinConfidence,
      membersAt: (collective, t) => registry.membersAt(collective, t),
      deviceTypesOwnedAt: (individual, t) => registry.deviceTypesOwnedAt(individual, t),
    });
  }

  /**
   * Records the derivation settings, then starts the consumers of the results (aggregates, outbox relay)
   * before the jobs that produce them, which resume from their committed state and follow the log.
   */
  async start(): Promise<void> {
    this.adoptSettings();
    this.aggregates.start();
    this.relay.start();
    this.journeyJob.start();
    this.sessionJob.start();
    // Last: it rewrites between the stream's batches what InfluxDB lacks of the store.
    this.influxCatchUp?.start();
  }

  /** Stops in reverse: the catch-up of InfluxDB, the jobs, then the relay (what it has not published waits in the outbox), then the aggregates' last run. */
  async stop(): Promise<void> {
    await this.influxCatchUp?.stop();
    await this.sessionJob.stop();
    await this.relay.stop();
    // Last: recomputes the days the final batches changed.
    await this.aggregates.stop();
  }

  status(): ConsumerStatus {
    return this.sessionJob.status();
  }

  /**
   * Healthy while the sessions job's batches go through and the relay publishes what waits in the outbox;
   * with the lag of the former and the backlog of the latter.
   */
  health(): PartHealth {
    const { lag, lagSeconds, failing } = this.status();
    const outbox = this.relay.status();
    return { ok: !failing && (outbox.lastError === null || outbox.pending === 0), lag, lagSeconds, outbox };
  }

  /** Resolves once the log so far is handled and the outbox published. */
  async caughtUp(): Promise<void> {
    await this.sessionJob.caughtUp();
    await this.relay.flush();
  }

  /**
   * The derivation settings (session rules, journey gap, inference, funnels) that differ from those the
   * server last ran with: a batch command started with other settings would replace its results.
   */
  settingsDifferences(): string[] {
    return this.settings.differences(derivationSettings(this.deps.config.analytics));
  }

  /** Records this configuration's derivation settings as the ones the results now follow (a deliberate change). */
  adoptSettings(): void {
    this.settings.record(derivationSettings(this.deps.config.analytics));
  }

  /**
   * Re-derives the sessions of these devices that start in `[from, to)`, replacing the stored ones, then
   * the journeys they were or are part of; integrators get the new and changed ones through the outbox.
   * Between two batches of the stream (when it runs), which then goes on from the result.
   */
  rederive(devices: DeviceSelection, from: number, to: number): Promise<UsageSession[]> {
    return this.sessionJob.exclusive(() => this.rederiveSessions(devices, from, to));
  }

  /**
   * `rederive`, after a registry correction re-attributed these devices' records of `[from, to)`: first
   * their sessions still open (or kept to close again) take the attribution their records now give.
   */
  reattributed(devices: ReadonlySet<string>, from: number, to: number): Promise<UsageSession[]> {
    return this.sessionJob.exclusive(() => {
      this.sessionJob.reattributeState(devices);
      return this.rederiveSessions(devices, from, to);
    });
  }

  private async rederiveSessions(devices: DeviceSelection, from: number, to: number): Promise<UsageSession[]> {
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
    this.journeyJob.reload(run.subjects);
    await this.relay.flush();
    await this.aggregates.flush();
    return { ...run, results };
  }

  private batchDeps(): BatchDeps {
    const { config, log } = this.deps;
    return {
      log,
      sessions: this.sessionStore,
      journeys: this.journeyStore,
      writer: this.writer,
      rules: this.sessionRules,
      inference: this.inference,
      ...this.journeyRules(),
      baseTopic: config.mqtt.baseTopic,
      collectivesAt: this.collectivesAt,
      aggregates: this.aggregateStore,
    };
  }

  get journeyGap(): number {
    return this.deps.config.analytics.journeyGap;
  }

  /** Journeys starting in `[from, to)`: the closed ones stored, and those still pending in the stream as they stand. */
  journeysInRange(from: number, to: number): Journey[] {
    const pending = this.journeyStore.loadPending().flatMap((p) => splitJourneys(p, p.steps, this.journeyGap));
    return [...this.journeyStore.listInRange(from, to), ...pending.filter((j) => j.start >= from && j.start < to)];
  }

  /**
   * The individuals who entered the declared funnel `name` in `[from, to)` and reached its step `step`
   * (1 = entry) before `to`, as its route counts them. Refuses (`PARCOURS_E_VALIDATION`, naming it) a
   * funnel that is not declared, is counted by collective, or has no such step.
   */
  individualsReachingStep(name: string, step: number, from: number, to: number): Set<string> {
    const { config, log } = this.deps;
    return individualsReachingStep(config.analytics.funnels, (funnel, a, b) => funnelOccurrences(this.sessionStore, log, funnel, a, b), name, step, from, to);
  }

  /**
   * Whether the individual reached step `step` of the declared funnel `funnel` at `at`, with `what` they did
   * then (a session's start on a device type, an event of a type), as the funnel routes follow an entry. False
   * for a funnel not declared, counted by collective or without that step.
   */
  funnelStepReached(reach: { funnel: string; step: number; individualId: string; what: FunnelStep; at: number }): boolean {
    const { config, log } = this.deps;
    return reachedStepAt(config.analytics.funnels, (funnel, a, b) => funnelOccurrences(this.sessionStore, log, funnel, a, b), reach);
  }

  /** Per individual, in how many of the `weeks` whole ISO weeks before the week of `at` they had a counted session, as retention counts them. */
  weeksActiveBefore(weeks: number, at: number): Map<string, number> {
    return weeksActiveBefore((kind, low, high) => this.sessionStore.activeWeeks(kind, low, high), weeks, at);
  }

  /** The HTTP routes; `samples` reads weighting schemes' runs for weighted figures, `surveyStepsOf` the survey steps of journeys. */
  routes(samples: WeightedSamples, surveyStepsOf: SurveyStepsOf): FastifyPluginAsync[] {
    const { config, log } = this.deps;
    return [
      sessionRoutes(this.served, { subject: this.subjectKnown, device: (id) => this.deps.registry.deviceType(id) !== null }),
      journeyRoutes(this.served, this.subjectKnown, surveyStepsOf),
      aggregateRoutes(this.aggregateStore, this.individualType, samples),
      funnelRoutes(config.analytics.funnels, (funnel, from, to) => funnelOccurrences(this.sessionStore, log, funnel, from, to), samples),
      retentionRoutes(this.sessionStore, this.individualType, samples),
    ];
  }
}
