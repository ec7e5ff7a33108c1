/**
 * Runs a task at an interval and whenever woken, one run at a time: wakes during a run coalesce into a single run
 * after it, so that work committed meanwhile is always seen. A failed run goes to `onError`; the next one retries.
 */
export class CoalescingRunner {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  /** Whether a run is already queued behind the current one. */
  private queued = false;

  constructor(
    private readonly task: () => void | Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs: number,
  ) {}

  /** Whether its timer runs: stopped, it only runs when asked to (a batch command's process). */
  get started(): boolean {
    return this.timer !== null;
  }

  /** Starts the timer and runs once, for what waits from before. */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
    return this.run();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Runs soon; nothing while stopped. */
  wake(): void {
    if (this.timer) void this.run();
  }

  /** Runs after the run in progress (joining a run already queued); resolves when done, or failed to be retried. */
  run(): Promise<void> {
    if (this.queued) return this.running;
    this.queued = true;
    this.running = this.running.then(async () => {
      this.queued = false;
      try {
        await this.task();
      } catch (error) {
        this.onError(error);
      }
    });
    return this.running;
  }
}
