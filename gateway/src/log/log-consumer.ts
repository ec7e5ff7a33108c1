import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { LogReader, LogRecord, MetricsSelection, PartHealth } from '@parcours/contracts';
import type { ConsumerOffsets } from './consumer-offsets.js';

export interface LogConsumerOptions {
  /** Stable name: the key of the persisted offset. */
  name: string;
  log: LogReader;
  offsets: ConsumerOffsets;
  batchSize: number;
  /** Processes one batch; the offset is committed only after it resolves. */
  handle: (records: LogRecord[], signal: AbortSignal) => Promise<void>;
  logger: Logger;
  /** Called when `handle` rejects; the batch is then retried after a pause. */
  onError?: (error: unknown) => void;
  /** False for readers that never look at telemetry metrics, or the device types whose metrics they need (see EventLog.readAfter). */
  withMetrics?: MetricsSelection;
}

const retryPauseMs = 1_000;

/**
 * Most records read in one turn of the event loop. A reader catching up reads its batch (thousands of
 * records, each decoded) page by page, letting the loop turn in between: read at once, 5,000 records held
 * every connection for tens of milliseconds, and the broker's acknowledgements with them.
 */
export const pageSize = 500;

export interface ConsumerStatus {
  lag: number;
  lagSeconds: number;
  lastBatchMs: number;
  /** Its last batch failed (it is being retried): the reader is stuck until that batch goes through. */
  failing: boolean;
}

/**
 * Follows the durable log from a persisted offset: reads a batch, hands it over, commits the offset,
 * and sleeps until the log says something was appended. At-least-once: a crash between handling and
 * committing replays the batch, so handlers must be idempotent.
 */
export class LogConsumer {
  private offset = 0;
  private readonly abort = new AbortController();
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly idleWaiters = new Set<() => void>();
  private lastBatchMs = 0;
  private failing = false;
  /** The end of the batch or `exclusive` task in progress: the next one starts after it. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LogConsumerOptions) {}

  get position(): number {
    return this.offset;
  }

  /** How far behind the log this reader is: records, seconds since the oldest unhandled one arrived, and its last batch's duration. */
  status(now = Date.now()): ConsumerStatus {
    const oldest = this.options.log.receivedAfter(this.offset);
    return { lag: this.lag(), lagSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000), lastBatchMs: this.lastBatchMs, failing: this.failing };
  }

  /** Healthy unless its batches keep failing; with its lag. */
  health(): PartHealth {
    const { lag, lagSeconds, failing } = this.status();
    return { ok: !failing, lag, lagSeconds };
  }

  /** Stored records after this reader's offset. */
  lag(): number {
    return this.options.log.countAfter(this.offset);
  }

  start(): void {
    this.offset = this.options.offsets.get(this.options.name);
    this.unsubscribe = this.options.log.onAppend(() => this.wake?.());
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    this.unsubscribe?.();
    await this.loop;
  }

  /** Resolves once everything appended so far has been handled (for tests and orderly shutdown). */
  async caughtUp(): Promise<void> {
    while (this.lag() > 0 && !this.abort.signal.aborted) {
      await new Promise<void>((resolve) => this.idleWaiters.add(resolve));
    }
  }

  /**
   * Runs `task` between two batches: none is read or handled until it settles, and the next one reads
   * what it left in the log and the store. Works whether or not the consumer is started.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.turn.then(task);
    this.turn = result.catch(() => undefined);
    return result;
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      const pause = await this.exclusive(() => this.next());
      await pause?.until;
    }
  }

  /**
   * Reads and handles one batch; returns what to wait for, outside the turn, before the next: nothing, the
   * next append when the log had nothing new (set up before returning, so an append in between is not
   * missed), or a pause after a failed batch. Wrapped: a promise returned bare would be awaited within the turn.
   */
  private async next(): Promise<{ until: Promise<unknown> } | null> {
    const { offsets, name, handle, logger } = this.options;
    const signal = this.abort.signal;
    if (signal.aborted) return null;
    const records = await this.readBatch(signal);
    if (records.length === 0) {
      for (const resolve of this.idleWaiters) resolve();
      this.idleWaiters.clear();
      const appended = new Promise<void>((resolve) => (this.wake = resolve));
      return {
        until: appended.then(() => {
          this.wake = null;
        }),
      };
    }
    try {
      const started = performance.now();
      await handle(records, signal);
      this.lastBatchMs = performance.now() - started;
      this.failing = false;
      this.offset = records[records.length - 1]!.offset;
      offsets.commit(name, this.offset);
      return null;
    } catch (error) {
      if (signal.aborted) return null;
      this.failing = true;
      this.options.onError?.(error);
      logger.error({ err: error, consumer: name, offset: this.offset }, 'log consumer batch failed; retrying');
      return { until: new Promise((resolve) => setTimeout(resolve, retryPauseMs)) };
    }
  }

  /** Up to `batchSize` records after the offset, a page a turn; a short page is the end of the log for now. */
  private async readBatch(signal: AbortSignal): Promise<LogRecord[]> {
    const { log, batchSize, withMetrics = true } = this.options;
    const records = log.readAfter(this.offset, Math.min(pageSize, batchSize), withMetrics);
    let last = records.length;
    while (last === pageSize && records.length < batchSize && !signal.aborted) {
      await nextTurn();
      const page = log.readAfter(records[records.length - 1]!.offset, Math.min(pageSize, batchSize - records.length), withMetrics);
      for (const record of page) records.push(record);
      last = page.length;
    }
    return records;
  }
}
