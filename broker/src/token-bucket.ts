/**
 * A token bucket: `rate` tokens a second, at most `burst` saved up, full to begin with. Pure: the caller
 * gives the time (ms), so that tests need no clock.
 */
export class TokenBucket {
  private tokens: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private refilledAt: number,
  ) {
    this.tokens = burst;
  }

  /** Takes a token if there is one. */
  take(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** How long until a token is there (0: there is one now), in whole milliseconds. */
  msUntilToken(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) return 0;
    // Less a float rounding error, which would otherwise round 1 ms up to 2.
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000 - 1e-9));
  }

  /** Whether the bucket is as it was new, so forgetting it changes nothing. */
  isFull(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    if (now <= this.refilledAt) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.rate);
    this.refilledAt = now;
  }
}
