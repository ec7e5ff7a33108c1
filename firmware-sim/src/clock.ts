/**
 * The simulated clock: it starts at `from` and runs `speed` times faster than real time, or as fast as the
 * publisher goes (`'max'`), but never ahead of the real now: a backfill catches up, then runs in real time.
 */
export type Speed = number | 'max';

export interface SimClockOptions {
  fromMs: number;
  speed: Speed;
  /** Real time source, injectable for tests. */
  now?: () => number;
}

export class SimClock {
  private readonly now: () => number;
  private startedAt: number | null = null;

  constructor(private readonly options: SimClockOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Starts the clock at `from`: the speed counts from this real instant. */
  start(): void {
    this.startedAt = this.now();
  }

  /**
   * Real ms to wait until simulated time reaches `simMs` (0 when it already has): simulated time is
   * min(from + speed · elapsed, real now), so both the sped-up clock and the real one must have reached it.
   */
  delayUntil(simMs: number): number {
    const real = this.now();
    const { fromMs, speed } = this.options;
    const startedAt = this.startedAt ?? real;
    const bySpeed = speed === 'max' ? real : startedAt + (simMs - fromMs) / speed;
    return Math.max(0, Math.ceil(Math.max(bySpeed, simMs) - real));
  }

  /** The simulated instant now: min(from + speed · elapsed, real now); never ahead of the real clock. */
  simulatedNow(): number {
    const real = this.now();
    const { fromMs, speed } = this.options;
    if (speed === 'max') return real;
    return Math.min(fromMs + speed * (real - (this.startedAt ?? real)), real);
  }
}

/** Sleeps `ms`, or less if the signal aborts (stop() must not wait for a long simulated gap). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
