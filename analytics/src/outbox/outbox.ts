import { CoalescingRunner, type Database } from '@parcours/gateway';
import type { Logger } from 'pino';

export interface OutboxMessage {
  topic: string;
  payload: string;
}

/**
 * Every message for integrators, stored in the embedded store in the transaction that commits the
 * results it announces, and published from there by the running server (`OutboxRelay`): a crash between
 * the commit and the publication loses nothing, and a rolled-back result is never announced. Batch
 * commands, maybe run while the server is stopped, queue theirs the same way.
 */
export class Outbox {
  private readonly insert;
  private readonly select;
  private readonly delete;
  private readonly counter;

  constructor(private readonly db: Database) {
    this.insert = db.prepare<[string, string]>('INSERT INTO mqtt_outbox (topic, payload) VALUES (?, ?)');
    this.select = db.prepare<[number], OutboxMessage & { id: number }>('SELECT id, topic, payload FROM mqtt_outbox ORDER BY id LIMIT ?');
    this.delete = db.prepare<[number]>('DELETE FROM mqtt_outbox WHERE id = ?');
    this.counter = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM mqtt_outbox');
  }

  /** Queues messages, in order; inside the caller's transaction when there is one. */
  add(messages: readonly OutboxMessage[]): void {
    this.db.transaction(() => {
      for (const m of messages) this.insert.run(m.topic, m.payload);
    })();
  }

  /** The oldest messages, in the order they were added. */
  peek(limit: number): (OutboxMessage & { id: number })[] {
    return this.select.all(limit);
  }

  remove(ids: readonly number[]): void {
    this.db.transaction(() => {
      for (const id of ids) this.delete.run(id);
    })();
  }

  count(): number {
    return this.counter.get()!.n;
  }
}

/** How the relay is doing, for `/healthz`. */
export interface RelayStatus {
  /** Messages not yet published. */
  pending: number;
  /** The last publication's failure, null once one succeeds. */
  lastError: string | null;
}

/**
 * Publishes the outbox in order (one message at a time, QoS 1), removing messages only once the broker
 * has taken them: a crash in between publishes them again (at least once, as QoS 1 promises). It runs
 * when woken, right after a commit queued messages, and every interval, which retries a failed run.
 */
export class OutboxRelay {
  private readonly runner: CoalescingRunner;
  private lastError: string | null = null;

  constructor(
    private readonly outbox: Outbox,
    private readonly publish: (topic: string, payload: string) => Promise<void>,
    private readonly logger: Logger,
    intervalMs = 1_000,
  ) {
    this.runner = new CoalescingRunner(
      async () => {
        await this.drain();
        this.lastError = null;
      },
      (error) => {
        if (this.lastError === null) this.logger.warn({ err: error }, 'could not publish the MQTT outbox; retrying');
        this.lastError = (error as Error).message;
      },
      intervalMs,
    );
  }

  start(): void {
    void this.runner.start();
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  /** Publishes soon what was just committed; nothing while the relay is stopped (a batch command's process). */
  wake(): void {
    this.runner.wake();
  }

  /** Publishes everything in the outbox now, after the run in progress; resolves when done (or failed, to be retried). */
  flush(): Promise<void> {
    return this.runner.started ? this.runner.run() : Promise.resolve();
  }

  status(): RelayStatus {
    return { pending: this.outbox.count(), lastError: this.lastError };
  }

  private async drain(): Promise<void> {
    for (let batch = this.outbox.peek(500); batch.length > 0; batch = this.outbox.peek(500)) {
      const published: number[] = [];
      try {
        for (const message of batch) {
          await this.publish(message.topic, message.payload);
          published.push(message.id);
        }
      } finally {
        this.outbox.remove(published);
      }
    }
  }
}
