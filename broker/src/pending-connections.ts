/**
 * Connections accepted but not logged in yet. Each holds a file descriptor and counts toward no client
 * limit until it is logged in, so sockets that never send a CONNECT could take every descriptor of the
 * process. They are capped per address and in total, and while more than half the total cap is taken,
 * the silent ones (no CONNECT yet) are closed after `busyTimeoutMs` instead of the usual connect timeout.
 * Pure, with an injected clock.
 */
export interface PendingConnectionsOptions {
  maxPending: number;
  maxPendingPerAddress: number;
  busyTimeoutMs: number;
  now?: () => number;
}

export type PendingRefusal = 'pending_connections' | 'pending_per_address';

/** One pending connection; `value` is what the caller needs to close it. */
export interface Pending<T> {
  readonly address: string;
  readonly since: number;
  readonly value: T;
  /** No CONNECT has arrived yet. */
  silent: boolean;
}

export class PendingConnections<T> {
  /** In the order they were opened: the oldest first. */
  private readonly pending = new Set<Pending<T>>();
  private readonly perAddress = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: PendingConnectionsOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.pending.size;
  }

  /** Counts a new connection from `address` as pending, or says which cap refuses it. */
  open(address: string, value: T): Pending<T> | PendingRefusal {
    if (this.pending.size >= this.options.maxPending) return 'pending_connections';
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (fromAddress >= this.options.maxPendingPerAddress) return 'pending_per_address';
    this.perAddress.set(address, fromAddress + 1);
    const entry: Pending<T> = { address, since: this.now(), value, silent: true };
    this.pending.add(entry);
    return entry;
  }

  /** Its CONNECT arrived: it is being logged in, no longer silent. */
  connectReceived(entry: Pending<T>): void {
    entry.silent = false;
  }

  /** It is logged in, or closed; returns whether it was still pending (a second call does nothing). */
  close(entry: Pending<T>): boolean {
    if (!this.pending.delete(entry)) return false;
    const fromAddress = (this.perAddress.get(entry.address) ?? 1) - 1;
    if (fromAddress === 0) this.perAddress.delete(entry.address);
    else this.perAddress.set(entry.address, fromAddress);
    return true;
  }

  /** The silent connections to close now: while more than half the cap is taken, those silent for `busyTimeoutMs`. */
  overdue(): Pending<T>[] {
    if (this.pending.size <= this.options.maxPending / 2) return [];
    const openedBefore = this.now() - this.options.busyTimeoutMs;
    const overdue: Pending<T>[] = [];
    for (const entry of this.pending) {
      if (entry.since > openedBefore) break;
      if (entry.silent) overdue.push(entry);
    }
    return overdue;
  }
}
