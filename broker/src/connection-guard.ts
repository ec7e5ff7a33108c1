/**
 * Admission limits checked before a client's credentials are: how many clients at once, how many new
 * connections per second (a reconnect storm), and addresses that keep failing authentication (password
 * guessing), which are refused without checking anything for a while. Pure, with an injected clock.
 */
export interface ConnectionGuardOptions {
  maxConnections: number;
  /** New connections per second accepted across the node (token bucket of one second's burst). */
  connectRate: number;
  /** Failed authentications from one address within `authFailureWindowMs` before it is blocked for that long. */
  authFailureLimit: number;
  authFailureWindowMs: number;
  now?: () => number;
}

export type Refusal = 'max_connections' | 'connect_rate' | 'auth_rate_limited';

export class ConnectionGuard {
  private tokens: number;
  private refilledAt: number;
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(private readonly options: ConnectionGuardOptions) {
    this.now = options.now ?? Date.now;
    this.tokens = options.connectRate;
    this.refilledAt = this.now();
  }

  /** Whether a new connection from `address` may go on to authenticate; takes a token when it may. */
  admit(address: string, connected: number): Refusal | null {
    if (this.isBlocked(address)) return 'auth_rate_limited';
    if (connected >= this.options.maxConnections) return 'max_connections';
    const now = this.now();
    this.tokens = Math.min(this.options.connectRate, this.tokens + ((now - this.refilledAt) / 1000) * this.options.connectRate);
    this.refilledAt = now;
    if (this.tokens < 1) return 'connect_rate';
    this.tokens -= 1;
    return null;
  }

  recordAuthFailure(address: string): void {
    const recent = this.recent(address);
    recent.push(this.now());
    this.failures.set(address, recent);
  }

  isBlocked(address: string): boolean {
    return this.recent(address).length >= this.options.authFailureLimit;
  }

  private recent(address: string): number[] {
    const since = this.now() - this.options.authFailureWindowMs;
    const recent = (this.failures.get(address) ?? []).filter((at) => at > since);
    if (recent.length === 0) this.failures.delete(address);
    return recent;
  }
}
