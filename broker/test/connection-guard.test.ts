import { describe, expect, it } from 'vitest';
import { ConnectionGuard } from '../src/connection-guard.js';

function guard(overrides: Partial<ConstructorParameters<typeof ConnectionGuard>[0]> = {}) {
  const clock = { t: 0 };
  const g = new ConnectionGuard({
    maxConnections: 3,
    connectRate: 2,
    authFailureLimit: 2,
    authFailureAddressLimit: 5,
    authFailureWindowMs: 60_000,
    now: () => clock.t,
    ...overrides,
  });
  return { g, clock };
}

describe('ConnectionGuard', () => {
  it('refuses past the maximum number of connections', () => {
    const { g } = guard({ connectRate: 100 });
    expect(g.admit('a', 'd1', 2)).toBeNull();
    expect(g.admit('a', 'd1', 3)).toBe('max_connections');
  });

  it('accepts a burst of one second of the connect rate, then refills over time', () => {
    const { g, clock } = guard();
    expect(g.admit('a', 'd1', 0)).toBeNull();
    expect(g.admit('b', 'd1', 0)).toBeNull();
    expect(g.admit('c', 'd1', 0)).toBe('connect_rate');
    clock.t = 500;
    expect(g.admit('c', 'd1', 0)).toBeNull();
    expect(g.admit('c', 'd1', 0)).toBe('connect_rate');
  });

  it('blocks a login that keeps failing from an address, for the window only, not its other logins', () => {
    const { g, clock } = guard({ connectRate: 100 });
    g.recordAuthFailure('10.0.0.1', 'd1');
    expect(g.admit('10.0.0.1', 'd1', 0)).toBeNull();
    g.recordAuthFailure('10.0.0.1', 'd1');
    expect(g.admit('10.0.0.1', 'd1', 0)).toBe('auth_rate_limited');
    expect(g.admit('10.0.0.1', 'd2', 0)).toBeNull();
    expect(g.admit('10.0.0.2', 'd1', 0)).toBeNull();
    clock.t = 60_001;
    expect(g.admit('10.0.0.1', 'd1', 0)).toBeNull();
  });

  it('blocks a whole address failing with many logins, past its own ceiling', () => {
    const { g, clock } = guard({ connectRate: 100 });
    for (let i = 0; i < 4; i++) g.recordAuthFailure('10.0.0.1', `guess-${i}`);
    expect(g.admit('10.0.0.1', 'd1', 0)).toBeNull();
    g.recordAuthFailure('10.0.0.1', 'guess-4');
    expect(g.admit('10.0.0.1', 'd1', 0)).toBe('auth_address_rate_limited');
    expect(g.admit('10.0.0.2', 'd1', 0)).toBeNull();
    clock.t = 60_001;
    expect(g.admit('10.0.0.1', 'd1', 0)).toBeNull();
  });

  it('forgets the logins whose failures are past the window, however many there were', () => {
    const { g, clock } = guard({ connectRate: 1e9, authFailureAddressLimit: 1e9 });
    const kept = (g as unknown as { loginFailures: { failures: Map<string, number[]> } }).loginFailures.failures;
    for (let i = 0; i < 3000; i++) g.recordAuthFailure('10.0.0.1', `guess-${i}`);
    clock.t = 60_001;
    for (let i = 0; i < 3000; i++) g.recordAuthFailure('10.0.0.1', `late-${i}`);
    expect(kept.size).toBeLessThanOrEqual(3000);
    expect([...kept.keys()].every((key) => key.includes('late-'))).toBe(true);
  });
});
