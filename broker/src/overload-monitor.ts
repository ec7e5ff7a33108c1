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
  /** CPU time the process has used, ms. */
  cpu?: () => number;
}

/** How often the monitor's timer notes that the event loop came round to it. */
const tickMs = 10;

function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Whether Parcours is behind with device messages, and why: the store (more messages waiting to be stored
 * than `maxBacklog`), or the CPU (the event loop busy for `maxBusyMs` without a pause, as when it reads
 * floods from many sockets at once). A message read meanwhile would wait behind all that work; and the
 * longer a turn of the loop, the more every client sends before the next one. Busy means working: a
 * process the machine did not run for a while (a loaded host) did no work, and is not behind for it.
 */
export class OverloadMonitor {
  private readonly now: () => number;
  private readonly cpu: () => number;
  private tickedAt: number;
  private tickedCpu: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: OverloadMonitorOptions) {
    this.now = options.now ?? (() => performance.now());
    this.cpu = options.cpu ?? processCpuMs;
    this.tickedAt = this.now();
    this.tickedCpu = this.cpu();
  }

  start(): void {
    const tick = () => {
      this.tickedAt = this.now();
      this.tickedCpu = this.cpu();
    };
    tick();
    this.timer = setInterval(tick, tickMs).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Null when Parcours keeps up; else what it is behind with. */
  reason(): 'backlog' | 'busy' | null {
    const { backlog, maxBacklog, maxBusyMs } = this.options;
    if (backlog.size >= maxBacklog) return 'backlog';
    // The clock first: it is cheap, and the CPU time is needed only once the loop is late.
    if (this.timer === null || this.now() - this.tickedAt - tickMs < maxBusyMs) return null;
    return this.cpu() - this.tickedCpu >= maxBusyMs ? 'busy' : null;
  }
}
