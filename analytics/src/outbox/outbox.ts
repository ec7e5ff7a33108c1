import type { Database } from '@parcours/gateway';
import type { Logger } from 'pino';

export interface OutboxMessage {
  topic: string;
  payload: string;
}

/**
 * Messages for integrators from work done outside the streaming jobs — batch re-derivations, maybe by a
 * command while the server is stopped — stored in the embedded store, to be published by the running
 * server (`OutboxRelay`). Nothing is lost when no broker is up when the results change.
 */
export class Outbox {
  constructor(private readonly db: Database) {}

  add(messages: readonly OutboxMessage[]): void {
    const insert = this.db.prepare('INSERT INTO mqtt_outbox (topic, payload) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const m of messages) insert.run(m.topic, m.payload);
    })();
  }

  /** The oldest messages, in the order they were added. */
  peek(limit: number): (OutboxMessage & { id: number })[] {
    return this.db.prepare<[number], OutboxMessage & { id: number }>('SELECT id, topic, payload FROM mqtt_outbox ORDER BY id LIMIT ?').all(limit);
  }

  remove(ids: readonly number[]): void {
    const remove = this.db.prepare('DELETE FROM mqtt_outbox WHERE id = ?');
    this.db.transaction(() => {
      for (const id of ids) remove.run(id);
    })();
  }

  count(): number {
    return this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM mqtt_outbox').get()!.n;
  }
}

/** Publishes the outbox in order, at QoS 1, removing each message once the broker has taken it. */
export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly outbox: Outbox,
    private readonly publish: (topic: string, payload: string) => Promise<void>,
    private readonly logger: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Publishes everything in the outbox now (one run at a time). */
  flush(): Promise<void> {
    this.running = this.running
      .then(() => this.drain())
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'could not publish the MQTT outbox; retrying');
      });
    return this.running;
  }

  private async drain(): Promise<void> {
    for (let batch = this.outbox.peek(500); batch.length > 0; batch = this.outbox.peek(500)) {
      for (const message of batch) {
        await this.publish(message.topic, message.payload);
        this.outbox.remove([message.id]);
      }
    }
  }
}
