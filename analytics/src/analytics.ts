import type { Config, UsageSession } from '@parcours/contracts';
import { migrate, type ConsumerStatus, type Gateway, type InfluxWriter } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { sessionRoutes } from './http/session-routes.js';
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

/** The analytics jobs that follow the gateway's durable log. Today: usage sessions. */
export class Analytics {
  private store: SessionStore | null = null;
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
  }

  /** Opens, then follows the log as it grows. */
  start(): void {
    const { config, gateway, influx, publish, logger, onSessions } = this.options;
    this.open();
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

  /** Re-derives the sessions of these devices that start in `[from, to)`, replacing the stored ones. */
  rederive(devices: ReadonlySet<string>, from: number, to: number): Promise<UsageSession[]> {
    const { gateway, influx, logger } = this.options;
    return rederiveSessions({ log: gateway.log, store: this.sessionStore, rules: this.rules, influx, logger, inference: this.inference() }, devices, from, to);
  }

  routes(): FastifyPluginAsync[] {
    return [sessionRoutes(this.sessionStore)];
  }
}
