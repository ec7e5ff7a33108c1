/** Device messages of all clients handed to the gateway and not stored yet (the `ingest` step counts them). */
export interface IngestBacklog {
  size: number;
}

export interface OverloadMonitorOptions {
  backlog: IngestBacklog;
  /** Backlog from which the store is behind. */
  maxBacklog: number;
  /** How long the event loop may run without coming back to its timers before the process is behind. */
  maxBusyMs: number;
  now?: () => number;
}

/** How often the monitor's timer notes that the event loop came round to it. */
const tickMs = 10;

/**
 * Whether Parcours is behind with device messages, and why: the store (more messages waiting to be stored
 * than `maxBacklog`), or the CPU (the event loop busy for `maxBusyMs` without a pause, as when it reads
 * floods from many sockets at once). A message read meanwhile would wait behind all that work; and the
 * longer a turn of the loop, the more every client sends before the next one.
 */
export class OverloadMonitor {
  private readonly now: () => number;
  private tickedAt: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: OverloadMonitorOptions) {
    this.now = options.now ?? (() => performance.now());
    this.tickedAt = this.now();
  }

  start(): void {
    this.tickedAt = this.now();
    this.timer = setInterval(() => {
      this.tickedAt = this.now();
    }, tickMs).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Null when Parcours keeps up; else what it is behind with. */
  reason(): 'backlog' | 'busy' | null {
    if (this.options.backlog.size >= this.options.maxBacklog) return 'backlog';
    if (this.timer !== null && this.now() - this.tickedAt - tickMs >= this.options.maxBusyMs) return 'busy';
    return null;
  }
}
