import type { Logger } from 'pino';

export interface SubscriptionDenial {
  filter: string;
  reason: string;
}

interface Batch {
  who: Record<string, unknown>;
  denied: number;
  examples: SubscriptionDenial[];
}

/**
 * Logs the subscriptions refused to a client once per SUBSCRIBE, not once per filter, so that a SUBSCRIBE of
 * 10,000 forbidden filters is one warning (how many, and the first few), not 10,000 lines. aedes asks about
 * every filter of a packet in the same tick, so the refusals gathered until the next tick make one line
 * (a persistent session's restored subscriptions too).
 */
export class SubscriptionDenials {
  private pending = new Map<object, Batch>();

  constructor(
    private readonly log: Logger,
    private readonly examples = 5,
  ) {}

  /** `client` tells one connection from another; `who` is what the line says of it. */
  add(client: object, who: Record<string, unknown>, denial: SubscriptionDenial): void {
    let batch = this.pending.get(client);
    if (batch === undefined) {
      batch = { who, denied: 0, examples: [] };
      this.pending.set(client, batch);
      if (this.pending.size === 1) setImmediate(() => this.flush());
    }
    batch.denied += 1;
    if (batch.examples.length < this.examples) batch.examples.push(denial);
  }

  private flush(): void {
    const pending = this.pending;
    this.pending = new Map();
    for (const { who, denied, examples } of pending.values()) this.log.warn({ ...who, denied, filters: examples }, 'subscriptions denied (SUBACK 0x80)');
  }
}
