import { TokenBucket } from './token-bucket.js';

export interface PublishThrottleOptions {
  /** Publishes a second allowed to each publisher. */
  rate: number;
  /** Publishes a publisher may send at once above the rate, saved up while it publishes less. */
  burst: number;
  now?: () => number;
}

interface Waiting {
  release: () => void;
  connection: object;
}

interface Publisher {
  bucket: TokenBucket;
  /** Its publishes waiting for a token, oldest first. */
  waiting: Waiting[];
  timer: NodeJS.Timeout | null;
}

/** How often publishers that are back to a full bucket and wait for nothing are forgotten. */
const sweepIntervalMs = 60_000;

/**
 * Publish rate limits, one token bucket per publisher. A publish over the rate waits for its token behind
 * the publisher's publishes already waiting, so they keep their order. Waiting is the backpressure: aedes
 * reads a client's next packets only once those it has read are handled, so the client's socket is not
 * read meanwhile and TCP slows the client down, as EMQX's `messages_rate` does.
 */
export class PublishThrottle {
  private readonly publishers = new Map<string, Publisher>();
  private readonly now: () => number;
  private sweptAt: number;

  constructor(private readonly options: PublishThrottleOptions) {
    this.now = options.now ?? Date.now;
    this.sweptAt = this.now();
  }

  /**
   * Null when the publish may go on now (it took a token); else a promise resolved when its token is there,
   * unless its connection is forgotten first.
   */
  admit(publisher: string, connection: object): Promise<void> | null {
    const now = this.now();
    if (now - this.sweptAt >= sweepIntervalMs) this.sweep(now);
    let entry = this.publishers.get(publisher);
    if (!entry) {
      entry = { bucket: new TokenBucket(this.options.rate, this.options.burst, now), waiting: [], timer: null };
      this.publishers.set(publisher, entry);
    }
    if (entry.waiting.length === 0 && entry.bucket.take(now)) return null;
    const waiting = entry;
    return new Promise((resolve) => {
      waiting.waiting.push({ release: resolve, connection });
      if (waiting.timer === null) this.schedule(waiting);
    });
  }

  /**
   * Drops the publishes of a closed connection still waiting, never to be released: else a device that
   * sends a socket's worth, closes and reconnects would pile them up faster than its rate lets them go.
   */
  forget(publisher: string, connection: object): void {
    const entry = this.publishers.get(publisher);
    if (entry) entry.waiting = entry.waiting.filter((waiting) => waiting.connection !== connection);
  }

  /** Publishers known (waiting, or whose bucket is not full again yet): what the throttle holds in memory. */
  get size(): number {
    return this.publishers.size;
  }

  /** Stops the timers; publishes still waiting are never released (their connections are closing). */
  stop(): void {
    for (const entry of this.publishers.values()) if (entry.timer) clearTimeout(entry.timer);
    this.publishers.clear();
  }

  private schedule(entry: Publisher): void {
    entry.timer = setTimeout(() => this.release(entry), entry.bucket.msUntilToken(this.now()));
  }

  private release(entry: Publisher): void {
    entry.timer = null;
    const now = this.now();
    while (entry.waiting.length > 0 && entry.bucket.take(now)) entry.waiting.shift()!.release();
    if (entry.waiting.length > 0) this.schedule(entry);
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [publisher, entry] of this.publishers) if (entry.waiting.length === 0 && entry.bucket.isFull(now)) this.publishers.delete(publisher);
  }
}
