import { describe, expect, it } from 'vitest';
import { ConnectionGuard } from '../src/connection-guard.js';

function guard(overrides: Partial<ConstructorParameters<typeof ConnectionGuard>[0]> = {}) {
  const clock = { t: 0 };
  const g = new ConnectionGuard({ maxConnections: 3, connectRate: 2, authFailureLimit: 2, authFailureWindowMs: 60_000, now: () => clock.t, ...overrides });
  return { g, clock };
}

describe('ConnectionGuard', () => {
  it('refuses past the maximum number of connections', () => {
    const { g } = guard({ connectRate: 100 });
    expect(g.admit('a', 2)).toBeNull();
    expect(g.admit('a', 3)).toBe('max_connections');
  });

  it('accepts a burst of one second of the connect rate, then refills over time', () => {
    const { g, clock } = guard();
    expect(g.admit('a', 0)).toBeNull();
    expect(g.admit('b', 0)).toBeNull();
    expect(g.admit('c', 0)).toBe('connect_rate');
    clock.t = 500;
    expect(g.admit('c', 0)).toBeNull();
    expect(g.admit('c', 0)).toBe('connect_rate');
  });

  it('blocks an address after repeated authentication failures, for the window only', () => {
    const { g, clock } = guard({ connectRate: 100 });
    g.recordAuthFailure('10.0.0.1');
    expect(g.admit('10.0.0.1', 0)).toBeNull();
    g.recordAuthFailure('10.0.0.1');
    expect(g.admit('10.0.0.1', 0)).toBe('auth_rate_limited');
    expect(g.admit('10.0.0.2', 0)).toBeNull();
    clock.t = 60_001;
    expect(g.admit('10.0.0.1', 0)).toBeNull();
  });
});
