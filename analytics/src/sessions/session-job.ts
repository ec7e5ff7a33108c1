import { measurements, sessionId, tags, type LogRecord, type UsageSession } from '@parcours/contracts';
import { LogConsumer, writeIsolatingRefused, type ConsumerStatus, type ConsumerOffsets, type EventLog, type InfluxWriter } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { ActorInference } from './actor-inference.js';
import { sessionUpdates } from '../result-updates.js';
import { rederiveLate, type LateRederivation } from './late-records.js';
import { SessionBuilder, thresholdTypes, type OpenSession, type SessionRules } from './session-builder.js';
import { sessionPoint } from './session-output.js';
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
  /** Told how many devices a batch re-derived for late records. */
  onLate?: (devices: number) => void;
  /** Jobs derived from closed sessions (journeys), committed in the same transaction as the sessions. */
  followers?: readonly SessionFollower[];
}

/** A batch of the sessions job as its followers see it. */
export interface SessionBatch {
  /** Sessions closed by the batch, re-derived ones included. */
  closed: readonly UsageSession[];
  open: readonly OpenSession[];
  /** The latest trusted device time so far. */
  watermark: number;
  /** Late records: sessions re-derived from the log, in `closed`, and the stored ones they replace. */
  rederived: readonly UsageSession[];
  replaced: readonly UsageSession[];
}

/**
 * A job fed by the sessions job: it writes its outputs (which may be retried), then returns the commit
 * of its new state, run inside the sessions' transaction so that a failed batch is redone by both.
 * `settle` then finishes what a committed batch left to do from the store (re-derivations); it is also
 * called before each batch, so that work left by a crash is done.
 */
export interface SessionFollower {
  handle(batch: SessionBatch, signal: AbortSignal): Promise<() => void>;
  settle(state: { watermark: number; open: readonly OpenSession[] }, signal: AbortSignal): Promise<void>;
}

const consumerName = 'analytics-sessions';

/**
 * Streaming usage sessions: follows the durable log, closes sessions as events arrive, and writes them
 * to InfluxDB and MQTT before committing them with the open state and the log offset in one transaction.
 * A batch that fails is retried from the committed state, so nothing is applied twice.
 */
export class SessionJob {
  private builder: SessionBuilder | null = null;
  /** The latest trusted device time so far. */
  private watermark = Number.NEGATIVE_INFINITY;
  private consumer: LogConsumer | null = null;

  constructor(private readonly deps: SessionJobDeps) {}

  get lag(): number {
    return this.consumer?.lag() ?? 0;
  }

  status(): ConsumerStatus {
    return this.consumer?.status() ?? { lag: 0, lagSeconds: 0, lastBatchMs: 0, failing: false };
  }

  start(): void {
    const { deps } = this;
    this.builder = new SessionBuilder(deps.rules, deps.store.loadOpen(), deps.store.loadFrontiers());
    this.watermark = deps.store.loadWatermark();
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
    await this.settleFollowers(signal);
    const draft = this.builder!.fork();
    deps.inference?.observe(records);
    let built = draft.apply(records);
    // A corrected device clock is stamped with the receive time, which in a replay of past data runs far
    // ahead of the fleet's time: only trusted clocks move the watermark that closes idle sessions.
    const watermark = records.reduce((max, r) => (r.deviceTs === null && r.ts > max ? r.ts : max), this.watermark);
    built.push(...draft.advance(watermark));
    const lastOffset = records[records.length - 1]!.offset;
    const late = rederiveLate(deps, draft, draft.takeLate(), built, lastOffset, watermark);
    if (late.devices.length > 0) {
      const from = new Map(late.devices.map((d) => [d.deviceId, d.from]));
      built = [...built.filter((s) => s.start < (from.get(s.deviceId) ?? Number.POSITIVE_INFINITY)), ...late.closed];
    }
    const closed = deps.inference ? deps.inference.apply(built) : built;
    const rederived = new Set(late.closed.map((s) => s.id));
    await this.output(closed, late, draft.openSessions(), signal);
    const batch = { closed, open: draft.openSessions(), watermark, rederived: closed.filter((s) => rederived.has(s.id)), replaced: late.replaced };
    const commits: (() => void)[] = [];
    for (const follower of deps.followers ?? []) commits.push(await follower.handle(batch, signal));
    deps.store.save({ closed, open: batch.open, frontiers: draft.movedFrontiers(), watermark, rederived: late.devices }, () => {
      deps.offsets.commit(consumerName, lastOffset);
      // Last: a follower's commit also swaps its state in memory, which a failure before it must not leave swapped.
      for (const commit of commits) commit();
    });
    this.builder = draft;
    this.watermark = watermark;
    if (late.devices.length > 0) deps.onLate?.(late.devices.length);
    await this.settleFollowers(signal);
    if (closed.length > 0) deps.onSessions?.(closed);
  }

  private async settleFollowers(signal: AbortSignal): Promise<void> {
    const state = { watermark: this.watermark, open: this.builder!.openSessions() };
    for (const follower of this.deps.followers ?? []) await follower.settle(state, signal);
  }

  /** Sessions to InfluxDB (the re-derived devices' earlier points deleted first) and to MQTT (unchanged re-derived ones not again). */
  private async output(closed: readonly UsageSession[], late: LateRederivation, open: readonly OpenSession[], signal: AbortSignal): Promise<void> {
    const { deps } = this;
    if (deps.influx) {
      for (const { deviceId, from } of late.devices) {
        const last = Math.max(...late.replaced.filter((s) => s.deviceId === deviceId).map((s) => s.start));
        if (last >= from)
          await deps.influx.deleteRange({ measurement: measurements.usageSession, tags: { [tags.device]: deviceId }, from, to: last + 1 }, { signal });
      }
      if (closed.length > 0) {
        await writeIsolatingRefused(
          deps.influx,
          closed.map(sessionPoint),
          (point, error) => {
            deps.logger.error({ point, reason: error.message }, 'InfluxDB refused a session point; the session stays in the store');
          },
          signal,
        );
      }
    }
    // Unchanged re-derived sessions are not sent again; those whose id is gone (their start moved) are
    // announced removed, unless open again to close under it.
    const reopened = new Set(open.map((s) => sessionId(s.deviceId, s.start)));
    for (const message of sessionUpdates(deps.baseTopic, late.replaced, closed, reopened)) await deps.publish(message.topic, message.payload);
  }
}
