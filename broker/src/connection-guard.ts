/**
 * Admission limits checked before a client's credentials are: how many clients at once, how many new
 * connections per second (a reconnect storm), and logins that keep failing (password guessing), which are
 * refused without checking anything for a while. A failing login is blocked from its address only, so
 * that one misconfigured device does not lock out the others behind the same NAT; an address failing with
 * many logins (a guesser trying user names) is blocked as a whole past a higher ceiling. Pure, with an
 * injected clock.
 */
export interface ConnectionGuardOptions {
  maxConnections: number;
  /** New connections per second accepted across the node (token bucket of one second's burst). */
  connectRate: number;
  /** Failed logins of one login from one address within `authFailureWindowMs` before that pair is blocked for that long. */
  authFailureLimit: number;
  /** Failed logins from one address, whatever the login, within `authFailureWindowMs` before the address is blocked. */
  authFailureAddressLimit: number;
  authFailureWindowMs: number;
  now?: () => number;
}

export type Refusal = 'max_connections' | 'connect_rate' | 'auth_rate_limited' | 'auth_address_rate_limited';

export class ConnectionGuard {
  private tokens: number;
  private refilledAt: number;
  private readonly loginFailures: RecentFailures;
  private readonly addressFailures: RecentFailures;
  private readonly now: () => number;

  constructor(private readonly options: ConnectionGuardOptions) {
    this.now = options.now ?? Date.now;
    this.tokens = options.connectRate;
    this.refilledAt = this.now();
    this.loginFailures = new RecentFailures(options.authFailureWindowMs, this.now);
    this.addressFailures = new RecentFailures(options.authFailureWindowMs, this.now);
  }

  /**
   * Whether a new connection from `address` logging in as `login` (its user name, else its client id) may
   * go on to authenticate; takes a token when it may.
   */
  admit(address: string, login: string, connected: number): Refusal | null {
    if (this.addressFailures.count(address) >= this.options.authFailureAddressLimit) return 'auth_address_rate_limited';
    if (this.loginFailures.count(pair(address, login)) >= this.options.authFailureLimit) return 'auth_rate_limited';
    if (connected >= this.options.maxConnections) return 'max_connections';
    const now = this.now();
    this.tokens = Math.min(this.options.connectRate, this.tokens + ((now - this.refilledAt) / 1000) * this.options.connectRate);
    this.refilledAt = now;
    if (this.tokens < 1) return 'connect_rate';
    this.tokens -= 1;
    return null;
  }

  recordAuthFailure(address: string, login: string): void {
    this.loginFailures.add(pair(address, login));
    this.addressFailures.add(address);
  }
}

function pair(address: string, login: string): string {
  return `${address}\n${login}`;
}

/** When each key failed within a sliding window; keys left with none are dropped as the map grows. */
class RecentFailures {
  private readonly failures = new Map<string, number[]>();
  private pruneAt = 1024;

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  count(key: string): number {
    return this.recent(key).length;
  }

  add(key: string): void {
    this.failures.set(key, [...this.recent(key), this.now()]);
    // Guessers make up new logins: a key never seen again must not stay for ever.
    if (this.failures.size >= this.pruneAt) {
      for (const stale of this.failures.keys()) this.recent(stale);
      this.pruneAt = Math.max(1024, 2 * this.failures.size);
    }
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const recent = (this.failures.get(key) ?? []).filter((at) => at > since);
    if (recent.length === 0) this.failures.delete(key);
    return recent;
  }
}
