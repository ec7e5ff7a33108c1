import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ClaimWatch, type ClaimWatchOptions } from './claim-watch.js';
import { type LeaseBackend, withoutCredentials } from './lease-backend.js';
import type { LeaseClaim } from './lease-claim.js';

export interface MqttLeaseOptions {
  url: string;
  username: string;
  password: string;
  /** `{baseTopic}/nodes/{sharedGroup}/ingest` */
  topic: string;
  ttlMs: number;
  logger: Logger;
}

/**
 * The ingest lease of external mode, on the external broker: a retained claim on one topic (see
 * `ClaimWatch` for who holds it). A node watches the topic without a will, and claims only when it looks
 * free, on a second connection whose delayed will clears the claim if that connection dies for longer
 * than the TTL. While it holds the lease it keeps its claim the retained one: it puts it back when the
 * topic is emptied or a rival's claim replaced it, and gives the lease up if its connection stays down for
 * half the TTL (before its will can fire) or comes back without its session (after it fired).
 *
 * Two nodes that both found the topic empty both claim; the broker forwards the two claims in one order,
 * so both agree that the first holds. The second is retained last, though: the holder puts its own back
 * over it, and the other node waits to hear that before it gives up, so that once both have settled the
 * retained claim names the holder.
 */
export class MqttLease implements LeaseBackend {
  readonly where: string;
  private observer: ClaimWatch | null = null;
  private holding: { watch: ClaimWatch; claim: LeaseClaim } | null = null;
  private seenVersion = 0;
  private lost = false;
  private fenceTimer: NodeJS.Timeout | null = null;
  private onLost: (reason: string) => void = () => undefined;

  constructor(private readonly options: MqttLeaseOptions) {
    this.where = withoutCredentials(options.url);
  }

  async open(): Promise<void> {
    try {
      this.observer = await ClaimWatch.open(this.watchOptions(null), clientId());
    } catch (error) {
      throw new Error(`cannot reach ${this.where} for the ingest lease: ${(error as Error).message}`, { cause: error });
    }
  }

  async acquire(claim: LeaseClaim): Promise<LeaseClaim | null> {
    const observer = this.connection();
    for (;;) {
      this.seenVersion = observer.version;
      if (observer.holder) return observer.holder;
      const attempt = await ClaimWatch.open(this.watchOptions({ delaySeconds: Math.ceil(this.options.ttlMs / 1000) }), clientId());
      try {
        if (!attempt.holder && (await this.claim(attempt, claim))) {
          this.holding = { watch: attempt, claim };
          this.lost = false;
          return null;
        }
      } catch (error) {
        // Whether our claim holds is unknown: leave without DISCONNECT, so that the will clears it. Should
        // a rival hold instead, it puts its claim back.
        attempt.abandon();
        throw error;
      }
      const holder = attempt.holder;
      await attempt.close();
      if (holder) return holder;
      // The topic was emptied again after our claim (a rival's will): look again.
    }
  }

  /**
   * Claims on `attempt`, which found the topic empty; resolves whether the claim holds. Either way it
   * returns once the retained claim is the holder's as far as `attempt` has heard (or the wait for the
   * holder to put its own back timed out), so that a node refused next is told the right holder.
   */
  private async claim(attempt: ClaimWatch, claim: LeaseClaim): Promise<boolean> {
    await attempt.publish(claim);
    await attempt.barrier(); // our claim and any rival's published before this probe have arrived, in order
    // A rival whose probe preceded our claim published its own after it: it lost, but the broker retains it.
    while (attempt.heldBy(claim) && attempt.retained?.token !== claim.token) {
      await attempt.publish(claim);
      await attempt.barrier();
    }
    if (attempt.heldBy(claim)) return true;
    // Ours came after the holder's claim, so it is retained until the holder puts its own back.
    const replaced = await attempt.until(() => attempt.retained?.token !== claim.token);
    if (!replaced) this.options.logger.warn({ holder: attempt.holder }, "the ingest lease holder did not put its claim back over this node's, which lost");
    return false;
  }

  changed(signal: AbortSignal): Promise<void> {
    const observer = this.connection();
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const done = (error?: Error) => {
        observer.listener = {};
        signal.removeEventListener('abort', abort);
        if (error) reject(error);
        else resolve();
      };
      const abort = () => done(signal.reason as Error);
      signal.addEventListener('abort', abort, { once: true });
      const moved = () => observer.version !== this.seenVersion;
      if (moved()) done();
      else observer.listener = { heard: () => moved() && done() };
    });
  }

  keep(onLost: (reason: string) => void): void {
    const held = this.holding;
    if (!held) return;
    this.onLost = onLost;
    const { watch, claim } = held;
    // Decided from the state heard, not from one message: a rival's claim heard before this listener was set counts too.
    const check = () => {
      if (watch.holder && !watch.heldBy(claim)) this.lose(`another node took the lease (${watch.holder.nodeId})`);
      else if (watch.retained?.token !== claim.token) {
        watch.publish(claim).catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not put the ingest claim back'));
      }
    };
    watch.listener = {
      heard: check,
      offline: () => {
        this.fenceTimer ??= setTimeout(() => this.lose(`the connection to ${this.where} was down for half the lease TTL`), this.options.ttlMs / 2);
      },
      reconnected: (sessionPresent) => {
        if (this.fenceTimer) clearTimeout(this.fenceTimer);
        this.fenceTimer = null;
        if (!sessionPresent) this.lose(`${this.where} had ended this node's session, so its will cleared the claim`);
      },
    };
    // Stop watching once held: the holding connection sees everything the observer would.
    const observer = this.observer;
    this.observer = null;
    observer?.close().catch((error: unknown) => this.options.logger.warn({ err: error }, 'ingest lease: could not close the watching connection'));
    check();
  }

  async close(): Promise<void> {
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    this.fenceTimer = null;
    const held = this.holding;
    this.holding = null;
    if (held) {
      held.watch.listener = {};
      // Not once lost: the topic may be another node's by now. Not while disconnected either: the publish
      // would wait for a reconnection; the will clears the claim instead.
      if (!this.lost && held.watch.connected && held.watch.heldBy(held.claim)) {
        await held.watch.publish(null).catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not release the ingest lease'));
      }
      await held.watch.close();
    }
    const observer = this.observer;
    this.observer = null;
    await observer?.close();
  }

  private lose(reason: string): void {
    const held = this.holding;
    if (!held || this.lost) return;
    this.lost = true;
    if (this.fenceTimer) clearTimeout(this.fenceTimer);
    this.fenceTimer = null;
    held.watch.listener = {};
    this.onLost(reason);
  }

  private watchOptions(claimant: ClaimWatchOptions['claimant']): ClaimWatchOptions {
    const { url, username, password, topic, ttlMs, logger } = this.options;
    // Keep-alive at a fifth of the TTL: a dead connection is noticed well within the half-TTL fence.
    return { url, username, password, topic, claimant, keepaliveSeconds: Math.max(1, Math.floor(ttlMs / 5000)), timeoutMs: Math.max(ttlMs, 5000), logger };
  }

  private connection(): ClaimWatch {
    if (!this.observer) throw new Error('the ingest lease is not open');
    return this.observer;
  }
}

/** Its own client id per connection: a standby's never takes over the holder's session. */
function clientId(): string {
  return `parcours-lease-${randomBytes(6).toString('hex')}`;
}
