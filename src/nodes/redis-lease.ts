import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { abortableDelay, type LeaseBackend, withoutCredentials } from './lease-backend.js';
import { type LeaseClaim, parseClaim, unknownClaim } from './lease-claim.js';

// Both compare the value first: a node whose lease expired must neither revive nor delete its successor's.
const extendScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const releaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export interface RedisLeaseOptions {
  url: string;
  /** `parcours:{baseTopic}:ingest-lease` */
  key: string;
  ttlMs: number;
  logger: Logger;
}

/**
 * The ingest lease of an embedded cluster, in the Redis its nodes share: `SET NX PX ttl`, extended every
 * third of the TTL while held. The holder counts its lease from when it sent the last successful extension
 * (Redis counts from when it ran it, later), and gives it up a tenth of the TTL before it could expire there.
 */
export class RedisLease implements LeaseBackend {
  readonly where: string;
  private redis: Redis | null = null;
  /** Our claim as stored, while we hold the lease. */
  private held: string | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private fenceTimer: NodeJS.Timeout | null = null;
  private onLost: (reason: string) => void = () => undefined;

  constructor(private readonly options: RedisLeaseOptions) {
    this.where = withoutCredentials(options.url);
  }

  async open(): Promise<void> {
    const { url, ttlMs, logger } = this.options;
    // No offline queue: a renewal fails at once while Redis is unreachable, and the fence decides in time.
    const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: Math.ceil(ttlMs / 3) });
    let lastError: Error | null = null;
    redis.on('error', (error: Error) => {
      lastError = error;
      if (this.redis) logger.warn({ err: error }, 'ingest lease: Redis connection error');
    });
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      // connect() rejects with "Connection is closed."; the error event said why.
      const cause = lastError ?? (error as Error);
      throw new Error(`cannot reach ${this.where} for the ingest lease: ${cause.message}`, { cause });
    }
    this.redis = redis;
  }

  async acquire(claim: LeaseClaim): Promise<LeaseClaim | null> {
    const redis = this.connection();
    const value = JSON.stringify(claim);
    for (;;) {
      const sentAt = Date.now();
      if ((await redis.set(this.options.key, value, 'PX', this.options.ttlMs, 'NX')) === 'OK') {
        this.held = value;
        this.confirmed(sentAt);
        return null;
      }
      const current = await redis.get(this.options.key);
      if (current !== null) return parseClaim(current) ?? unknownClaim(current);
      // It expired between the two commands: try again.
    }
  }

  /** Redis tells nothing when a key expires (without keyspace notifications), so a standby polls. */
  changed(signal: AbortSignal): Promise<void> {
    return abortableDelay(Math.min(this.options.ttlMs / 3, 1000), signal);
  }

  keep(onLost: (reason: string) => void): void {
    this.onLost = onLost;
    this.renewTimer = setInterval(() => void this.renew(), this.options.ttlMs / 3);
  }

  async close(): Promise<void> {
    this.stopTimers();
    const redis = this.redis;
    if (!redis) return;
    this.redis = null;
    if (this.held) {
      const held = this.held;
      this.held = null;
      await redis
        .eval(releaseScript, 1, this.options.key, held)
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not release the ingest lease: it expires by itself'));
    }
    await redis.quit().catch(() => redis.disconnect());
  }

  private async renew(): Promise<void> {
    const held = this.held;
    if (!held || !this.redis) return;
    const sentAt = Date.now();
    try {
      const extended = await this.redis.eval(extendScript, 1, this.options.key, held, String(this.options.ttlMs));
      if (this.held !== held) return; // released or lost meanwhile
      if (extended === 1) this.confirmed(sentAt);
      else this.lose("the lease in Redis is no longer this node's: it expired, and another node may have taken it");
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not renew the ingest lease; retrying');
    }
  }

  /** The lease is ours until `sentAt + ttl` at the earliest: give it up a tenth of the TTL before. */
  private confirmed(sentAt: number): void {
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    const deadline = sentAt + this.options.ttlMs * 0.9;
    this.fenceTimer = setTimeout(() => this.lose(`could not renew the lease in ${this.where} before it could expire`), deadline - Date.now());
  }

  private lose(reason: string): void {
    if (!this.held) return;
    this.held = null;
    this.stopTimers();
    this.onLost(reason);
  }

  private stopTimers(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    this.renewTimer = null;
    this.fenceTimer = null;
  }

  private connection(): Redis {
    if (!this.redis) throw new Error('the ingest lease is not open');
    return this.redis;
  }
}
