import type { Config, UsageSession } from '@parcours/contracts';
import { migrate, type ConsumerStatus, type Gateway, type InfluxWriter } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { journeyRoutes } from './http/journey-routes.js';
import { sessionRoutes } from './http/session-routes.js';
import { JourneyJob } from './journeys/journey-job.js';
import { JourneyStore } from './journeys/journey-store.js';
import { journeySubjects, rederiveJourneys } from './journeys/rederive-journeys.js';
import { analyticsMigrations } from './migrations.js';
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
  }

  async stop(): Promise<void> {
    await this.sessions?.stop();
  }

  status(): ConsumerStatus {
    return this.sessions?.status() ?? { lag: 0, lagSeconds: 0, lastBatchMs: 0 };
  }

  get lag(): number {
    return this.sessions?.lag ?? 0;
  }

  caughtUp(): Promise<void> {
    return this.sessions?.caughtUp() ?? Promise.resolve();
  }

  get sessionStore(): SessionStore {
    if (!this.store) throw new Error('analytics not started');
    return this.store;
  }

  get journeyStore(): JourneyStore {
    if (!this.journeys) throw new Error('analytics not started');
    return this.journeys;
  }

  /** Re-derives the sessions of these devices that start in `[from, to)`, replacing the stored ones, then the journeys they were or are part of. */
  async rederive(devices: ReadonlySet<string>, from: number, to: number): Promise<UsageSession[]> {
    const { config, gateway, influx, logger } = this.options;
    const before = [...devices].flatMap((device) => this.sessionStore.listForDevice(device, from, to, Number.MAX_SAFE_INTEGER));
    const sessions = await rederiveSessions({ log: gateway.log, store: this.sessionStore, rules: this.rules, influx, logger, inference: this.inference() }, devices, from, to);
    const deps = { sessions: this.sessionStore, journeys: this.journeyStore, gapMs: config.analytics.journeyGap, individualType: this.individualType, influx, logger };
    await rederiveJourneys(deps, journeySubjects([...before, ...sessions]), from, to);
    return sessions;
  }

  routes(): FastifyPluginAsync[] {
    return [sessionRoutes(this.sessionStore), journeyRoutes(this.journeyStore)];
  }
}
