import type { LogReader, LogRecord, UsageSession } from '@parcours/contracts';
import { LogConsumer, type ConsumerOffsets, type ConsumerStatus } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { OutboxMessage } from '../outbox/outbox.js';
import type { ResultWriter } from '../output/result-writer.js';
import { sessionChange } from '../result-updates.js';
import type { ActorInference } from './actor-inference.js';
import { deriveStep } from './derivation-step.js';
import { noLateRecords, rederiveLate, replacedRanges, withRederived, type LateRederivation } from './late-records.js';
import { reattributedState } from './reattributed-state.js';
import { SessionBuilder, thresholdTypes, type OpenSession, type SessionRules } from './session-builder.js';
import type { CollectivesAt } from './session-output.js';
import type { SessionStore } from './session-store.js';

export interface SessionJobDeps {
  log: LogReader;
  offsets: ConsumerOffsets;
  store: SessionStore;
  rules: SessionRules;
  writer: ResultWriter;
  baseTopic: string;
  /** The registry's collectives of an individual at t, announced with each session. */
  collectivesAt: CollectivesAt;
  logger: Logger;
  /** Adds an inferred actor to shared-device sessions without one; null when switched off. */
  inference: ActorInference | null;
  /** Told how many devices a batch re-derived for late records. */
  onLate?: (devices: number) => void;
  /** Told how many `usage.stop` records of a batch closed no session. */
  onUnmatchedStops?: (stops: number) => void;
  /** Jobs derived from closed sessions (journeys), committed in the same transaction as the sessions. */
  followers?: readonly SessionFollower[];
  /** The watermark's advance with the clock while no record arrives; null: it moves with device time only. */
  clockAdvance?: ClockAdvance | null;
}

/**
 * When no record has arrived for `quietMs` of processing time, the watermark advances to `now() -
 * latenessMs` (and again every `quietMs` while quiet): a record whose device time is at most `latenessMs`
 * behind its arrival still comes ahead of it, so this closes nothing such a record could have kept open.
 */
export interface ClockAdvance {
  quietMs: number;
  latenessMs: number;
  now: () => number;
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

/** What a follower leaves for the sessions' commit: its announcements, and the commit of its new state. */
export interface FollowerCommit {
  messages: readonly OutboxMessage[];
  /** Run inside the sessions' transaction, last: it may also swap the follower's state in memory. */
  commit: () => void;
}

/**
 * A job fed by the sessions job: it writes its InfluxDB outputs (which may be retried), then returns its
 * part of the commit, so that a failed batch is redone by both. `settle` then finishes what a committed
 * batch left to do from the store (re-derivations); it is also called before each batch, so that work
 * left by a crash is done.
 */
export interface SessionFollower {
  /** Resumes from the committed state: at start, and after work done on the store between batches (`SessionJob.exclusive`). */
  start(): void;
  handle(batch: SessionBatch, signal: AbortSignal): Promise<FollowerCommit>;
  settle(state: { watermark: number; open: readonly OpenSession[] }, signal: AbortSignal): Promise<void>;
}

const consumerName = 'analytics-sessions';

/**
 * Streaming usage sessions: follows the durable log, closes sessions as events arrive, writes them to
 * InfluxDB, then commits them with their announcements, the open state and the log offset in one
 * transaction. A batch that fails is retried from the committed state, so nothing is applied twice.
 */
export class SessionJob {
  private builder: SessionBuilder;
  /** The latest trusted device time so far. */
  private watermark = Number.NEGATIVE_INFINITY;
  private readonly consumer: LogConsumer;
  /** Batches and clock advances, one at a time: each forks the state its predecessor left. */
  private serial: Promise<void> = Promise.resolve();
  private quietTimer: NodeJS.Timeout | null = null;
  private clockAbort = new AbortController();

  constructor(private readonly deps: SessionJobDeps) {
    this.builder = new SessionBuilder(deps.rules);
    this.consumer = new LogConsumer({
      name: consumerName,
      log: deps.log,
      offsets: deps.offsets,
      batchSize: 5_000,
      // Metrics only for the types with a telemetry threshold: the others keep the fast path.
      withMetrics: thresholdTypes(deps.rules),
      logger: deps.logger,
      handle: (records, signal) => this.serialized(() => this.handle(records, this.watermark, signal)),
    });
  }

  status(): ConsumerStatus {
    return this.consumer.status();
  }

  /** Resumes from the committed state and follows the log. */
  start(): void {
    this.restore();
    this.clockAbort = new AbortController();
    this.consumer.start();
    this.armClock();
  }

  private restore(): void {
    const { store, rules } = this.deps;
    this.builder = new SessionBuilder(rules, store.loadOpen(), store.loadDevices());
    this.watermark = store.loadWatermark();
  }

  /**
   * Runs `task`, which changes the committed results and state in the store (a batch re-derivation),
   * between two batches; then this job and its followers resume from what it committed, as after a
   * restart. Without it a batch in progress would commit, over the task's, what it built from before.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.consumer.exclusive(async () => {
      try {
        return await this.serialized(task);
      } finally {
        this.restore();
        for (const follower of this.deps.followers ?? []) follower.start();
      }
    });
  }

  /**
   * After a registry correction rewrote these devices' records: their open sessions, and what is kept of
   * their closed ones, attributed again as the records the stream has read now say (`reattributedState`).
   * Call within `exclusive`, which then resumes from it.
   */
  reattributeState(devices: ReadonlySet<string>): void {
    const { store, log, rules, offsets } = this.deps;
    const state = reattributedState({ log, rules, upTo: offsets.get(consumerName) }, devices, store.loadOpen(), store.loadDevices());
    store.saveState(state.open, state.devices);
  }

  async stop(): Promise<void> {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = null;
    this.clockAbort.abort();
    await this.consumer.stop();
    await this.serial;
  }

  caughtUp(): Promise<void> {
    return this.consumer.caughtUp();
  }

  /** Runs `task` once those before it (batches, clock advances) have settled, whether they succeeded or not. */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.serial.then(task);
    this.serial = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** (Re)starts the wait for a quiet log, after which the watermark advances with the clock. */
  private armClock(): void {
    const advance = this.deps.clockAdvance;
    if (!advance || advance.quietMs <= 0 || this.clockAbort.signal.aborted) return;
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => void this.serialized(() => this.advanceClock(advance)), advance.quietMs);
    // A server keeps running for its other parts; this timer alone must not hold the process.
    this.quietTimer.unref();
  }

  /** The clock advance of a quiet log: a batch of no records whose watermark is the clock's, less the lateness allowed. */
  private async advanceClock(advance: ClockAdvance): Promise<void> {
    const signal = this.clockAbort.signal;
    if (signal.aborted) return;
    try {
      const target = advance.now() - advance.latenessMs;
      // Records waiting to be read: the log is not quiet, their batch comes first.
      if (this.consumer.lag() === 0 && target > this.watermark) await this.handle([], target, signal);
    } catch (error) {
      if (!signal.aborted) this.deps.logger.error({ err: error }, 'advancing the watermark with the clock failed; retrying');
    }
    this.armClock();
  }

  /**
   * Applies a batch of records (none: a clock advance) from the watermark `from`: derives, writes to
   * InfluxDB, then commits sessions, followers, watermark and offset in one transaction.
   */
  private async handle(records: LogRecord[], from: number, signal: AbortSignal): Promise<void> {
    const { deps } = this;
    await this.settleFollowers(signal);
    const draft = this.builder.fork();
    const position = this.consumer.position;
    const offsets = { firstOffset: records[0]?.offset ?? position, lastOffset: records[records.length - 1]?.offset ?? position };
    const { lastOffset } = offsets;
    let late: LateRederivation = noLateRecords;
    const step = deriveStep(draft, records, from, {
      revise: (built, watermark) => {
        late = rederiveLate(deps, draft, draft.takeLate(), built, offsets, watermark);
        return withRederived(built, late);
      },
    });
    const { watermark } = step;
    // Those of re-derived devices as their re-derivation saw them, in device-time order.
    const rederivedDevices = new Set(late.devices.map((d) => d.deviceId));
    const unmatchedStops = [...draft.takeUnmatchedStops().filter((r) => !rederivedDevices.has(r.deviceId)), ...late.unmatchedStops];
    const inferred = this.inferActors(records, step.closed, late.replaced, watermark);
    const { closed } = inferred;
    const open = draft.openSessions();
    const change = sessionChange(deps, replacedRanges(late), [...late.replaced, ...inferred.revisedFrom], [...closed, ...inferred.revised], open);
    await deps.writer.replacePoints(change, signal);
    const rederived = new Set(late.closed.map((s) => s.id));
    const batch = { closed, open, watermark, rederived: closed.filter((s) => rederived.has(s.id)), replaced: late.replaced };
    const followers: FollowerCommit[] = [];
    for (const follower of deps.followers ?? []) followers.push(await follower.handle(batch, signal));
    deps.writer.commit(
      () =>
        deps.store.save({ closed: [...closed, ...inferred.revised], open, devices: draft.movedDevices(), watermark, rederived: late.devices }, () => {
          deps.offsets.commit(consumerName, lastOffset);
          for (const follower of followers) follower.commit();
        }),
      [...change.messages, ...followers.flatMap((f) => f.messages)],
    );
    this.builder = draft;
    this.watermark = watermark;
    if (late.devices.length > 0) deps.onLate?.(late.devices.length);
    for (const stop of unmatchedStops) deps.logger.debug({ deviceId: stop.deviceId, ts: stop.ts, offset: stop.offset }, 'usage.stop closes no session');
    if (unmatchedStops.length > 0) deps.onUnmatchedStops?.(unmatchedStops.length);
    await this.settleFollowers(signal);
    if (records.length > 0) this.armClock();
  }

  /**
   * The actors of the sessions the batch closed, inferred where the watermark decides them, and the stored
   * sessions whose inference the batch changed (decided now, or within reach of late activity).
   */
  private inferActors(
    records: readonly LogRecord[],
    closed: UsageSession[],
    replaced: readonly UsageSession[],
    watermark: number,
  ): { closed: UsageSession[]; revisedFrom: UsageSession[]; revised: UsageSession[] } {
    const { inference, store } = this.deps;
    if (!inference) return { closed, revisedFrom: [], revised: [] };
    const skip = new Set([...closed, ...replaced].map((s) => s.id));
    const { before, after } = inference.revisions(records, { before: this.watermark, after: watermark }, (from, to) => store.listInRange(from, to), skip);
    return { closed: closed.map((s) => inference.infer(s, watermark)), revisedFrom: before, revised: after };
  }

  private async settleFollowers(signal: AbortSignal): Promise<void> {
    const state = { watermark: this.watermark, open: this.builder.openSessions() };
    for (const follower of this.deps.followers ?? []) await follower.settle(state, signal);
  }
}
