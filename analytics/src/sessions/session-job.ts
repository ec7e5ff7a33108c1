import type { UsageSession } from '@parcours/contracts';
import { LogConsumer, writeIsolatingRefused, type ConsumerStatus, type ConsumerOffsets, type EventLog, type InfluxWriter, type LogRecord } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { ActorInference } from './actor-inference.js';
import { SessionBuilder, thresholdTypes, type OpenSession, type SessionRules } from './session-builder.js';
import { sessionMessages, sessionPoint } from './session-output.js';
import type { SessionStore } from './session-store.js';

export interface SessionJobDeps {
  log: EventLog;
  offsets: ConsumerOffsets;
  store: SessionStore;
  rules: SessionRules;
  influx: InfluxWriter | null;
  publish: (topic: string, payload: string) => Promise<void>;
  baseTopic: string;
  logger: Logger;
  onSessions?: (sessions: UsageSession[]) => void;
  /** Adds an inferred actor to shared-device sessions without one; null when switched off. */
  inference: ActorInference | null;
  /** Jobs derived from closed sessions (journeys), committed in the same transaction as the sessions. */
  followers?: readonly SessionFollower[];
}

/** A batch of the sessions job as its followers see it. */
export interface SessionBatch {
  closed: readonly UsageSession[];
  open: readonly OpenSession[];
  /** The latest device time of the batch. */
  watermark: number;
}

/**
 * A job fed by the sessions job: it writes its outputs (which may be retried), then returns the commit
 * of its new state, run inside the sessions' transaction so that a failed batch is redone by both.
 */
export interface SessionFollower {
  handle(batch: SessionBatch, signal: AbortSignal): Promise<() => void>;
}

const consumerName = 'analytics-sessions';

/**
 * Streaming usage sessions: follows the durable log, closes sessions as events arrive, and writes them
 * to InfluxDB and MQTT before committing them with the open state and the log offset in one transaction.
 * A batch that fails is retried from the committed state, so nothing is applied twice.
 */
export class SessionJob {
  private builder: SessionBuilder | null = null;
  private consumer: LogConsumer | null = null;

  constructor(private readonly deps: SessionJobDeps) {}

  get lag(): number {
    return this.consumer?.lag() ?? 0;
  }

  status(): ConsumerStatus {
    return this.consumer?.status() ?? { lag: 0, lagSeconds: 0, lastBatchMs: 0 };
  }

  start(): void {
    const { deps } = this;
    this.builder = new SessionBuilder(deps.rules, deps.store.loadOpen());
    this.consumer = new LogConsumer({
      name: consumerName,
      log: deps.log,
      offsets: deps.offsets,
      batchSize: 5_000,
      // Metrics only for the types with a telemetry threshold: the others keep the fast path.
      withMetrics: thresholdTypes(deps.rules),
      logger: deps.logger,
      handle: (records, signal) => this.handle(records, signal),
    });
    this.consumer.start();
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  caughtUp(): Promise<void> {
    return this.consumer?.caughtUp() ?? Promise.resolve();
  }

  private async handle(records: LogRecord[], signal: AbortSignal): Promise<void> {
    const { deps } = this;
    const draft = new SessionBuilder(deps.rules, structuredClone(this.builder!.openSessions()));
    deps.inference?.observe(records);
    const built = draft.apply(records);
    // A corrected device clock is stamped with the receive time, which in a replay of past data runs far
    // ahead of the fleet's time: only trusted clocks move the watermark that closes idle sessions.
    const watermark = records.reduce((max, r) => (r.deviceTs === null && r.ts > max ? r.ts : max), -Infinity);
    built.push(...draft.advance(watermark));
    const closed = deps.inference ? deps.inference.apply(built) : built;
    if (closed.length > 0) {
      if (deps.influx) {
        await writeIsolatingRefused(deps.influx, closed.map(sessionPoint), (point, error) => {
          deps.logger.error({ point, reason: error.message }, 'InfluxDB refused a session point; the session stays in the store');
        }, signal);
      }
      for (const session of closed) {
        for (const message of sessionMessages(deps.baseTopic, session)) await deps.publish(message.topic, message.payload);
      }
    }
    const commits: (() => void)[] = [];
    for (const follower of deps.followers ?? []) commits.push(await follower.handle({ closed, open: draft.openSessions(), watermark }, signal));
    const lastOffset = records[records.length - 1]!.offset;
    deps.store.save(closed, draft.openSessions(), () => {
      deps.offsets.commit(consumerName, lastOffset);
      // Last: a follower's commit also swaps its state in memory, which a failure before it must not leave swapped.
      for (const commit of commits) commit();
    });
    this.builder = draft;
    if (closed.length > 0) deps.onSessions?.(closed);
  }
}
