import type { Config, UsageSession } from '@parcours/contracts';
import { migrate, type ConsumerStatus, type Gateway, type InfluxWriter } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { funnelOccurrences } from './funnels/funnel-occurrences.js';
import { funnelRoutes } from './http/funnel-routes.js';
import { journeyRoutes } from './http/journey-routes.js';
import { retentionRoutes } from './http/retention-routes.js';
import { sessionRoutes } from './http/session-routes.js';
import { JourneyJob } from './journeys/journey-job.js';
import { JourneyStore } from './journeys/journey-store.js';
import { journeySubjects, rederiveJourneys } from './journeys/rederive-journeys.js';
import { analyticsMigrations } from './migrations.js';
import { Outbox, OutboxRelay, type OutboxMessage } from './outbox/outbox.js';
import { sessionMessages } from './sessions/session-output.js';
import { journeyMessage } from './journeys/journey-output.js';
import { ActorInference } from './sessions/actor-inference.js';
import { rederiveSessions } from './sessions/rederive-sessions.js';
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
}

/** The analytics jobs that follow the gateway's durable log: usage sessions, and the journeys made of them. */
export class Analytics {
  private store: SessionStore | null = null;
  private journeys: JourneyStore | null = null;
  private sessions: SessionJob | null = null;
  private outboxStore: Outbox | null = null;
  private relay: OutboxRelay | null = null;

  constructor(private readonly options: AnalyticsOptions) {}

  private get rules(): SessionRules {
    return sessionRulesFrom(this.options.config.analytics);
  }

  private inference(): ActorInference | null {
    const { config, gateway } = this.options;
    if (!config.analytics.actorInference) return null;
    return new ActorInference(config.analytics.actorInferenceWindow, longestSession(this.rules), (collective, t) => gateway.attributionIndex.membersAt(collective, t));
  }

  /** Opens the analytics' tables without following the log (for batch commands). */
  open(): void {
    migrate(this.options.gateway.db, analyticsMigrations);
    this.store = new SessionStore(this.options.gateway.db);
    this.journeys = new JourneyStore(this.options.gateway.db);
    this.outboxStore = new Outbox(this.options.gateway.db);
  }

  /** The registry's type of an individual, for the journeys of someone using another subject's device. */
  private readonly individualType = (id: string): string | null => this.options.gateway.registry.getSubject(id)?.type ?? null;

  /** Opens, then follows the log as it grows. */
  start(): void {
    const { config, gateway, influx, publish, logger, onSessions } = this.options;
    this.open();
    const journeys = new JourneyJob({
      store: this.journeyStore, sessions: this.sessionStore, gapMs: config.analytics.journeyGap, individualType: this.individualType, influx, publish,
      baseTopic: config.mqtt.baseTopic, logger: logger.child({ part: 'analytics-journeys' }),
    });
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
    });
    this.sessions.start();
    this.relay = new OutboxRelay(this.outbox, publish, logger.child({ part: 'analytics-outbox' }));
    this.relay.start();
    void this.relay.flush();
  }

  async stop(): Promise<void> {
    await this.sessions?.stop();
    await this.relay?.stop();
  }

  status(): ConsumerStatus {
    return this.sessions?.status() ?? { lag: 0, lagSeconds: 0, lastBatchMs: 0 };
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

  get outbox(): Outbox {
    if (!this.outboxStore) throw new Error('analytics not started');
    return this.outboxStore;
  }

  get journeyStore(): JourneyStore {
    if (!this.journeys) throw new Error('analytics not started');
    return this.journeys;
  }

  /**
   * Re-derives the sessions of these devices that start in `[from, to)`, replacing the stored ones, then
   * the journeys they were or are part of; integrators get the new and changed ones through the outbox.
   */
  async rederive(devices: ReadonlySet<string>, from: number, to: number): Promise<UsageSession[]> {
    const { config, gateway, influx, logger } = this.options;
    const before = [...devices].flatMap((device) => this.sessionStore.listForDevice(device, from, to, Number.MAX_SAFE_INTEGER));
    const sessions = await rederiveSessions({ log: gateway.log, store: this.sessionStore, rules: this.rules, influx, logger, inference: this.inference() }, devices, from, to);
    const subjects = journeySubjects([...before, ...sessions]);
    const journeysBefore = [...subjects].flatMap((subject) => this.journeyStore.listForSubject(subject, from - config.analytics.journeyGap - longestSession(this.rules), Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    const deps = { sessions: this.sessionStore, journeys: this.journeyStore, gapMs: config.analytics.journeyGap, individualType: this.individualType, influx, logger };
    const journeys = await rederiveJourneys(deps, subjects, from, to);
    const base = config.mqtt.baseTopic;
    this.outbox.add(changedMessages([...before.flatMap((s) => sessionMessages(base, s))], sessions.flatMap((s) => sessionMessages(base, s))));
    this.outbox.add(changedMessages(journeysBefore.map((j) => journeyMessage(base, j)), journeys.map((j) => journeyMessage(base, j))));
    await this.relay?.flush();
    return sessions;
  }

  routes(): FastifyPluginAsync[] {
    const { config, gateway } = this.options;
    return [
      sessionRoutes(this.sessionStore),
      journeyRoutes(this.journeyStore),
      funnelRoutes(config.analytics.funnels, (funnel, from, to) => funnelOccurrences(this.sessionStore, gateway.log, funnel, from, to)),
      retentionRoutes(this.sessionStore, (id) => gateway.registry.getSubject(id)?.type ?? null),
    ];
  }
}

/** The messages of `after` that are not, identically, in `before`. */
function changedMessages(before: readonly OutboxMessage[], after: readonly OutboxMessage[]): OutboxMessage[] {
  const known = new Set(before.map((m) => `${m.topic}\n${m.payload}`));
  return after.filter((m) => !known.has(`${m.topic}\n${m.payload}`));
}
