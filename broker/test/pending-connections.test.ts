import { describe, expect, it } from 'vitest';
import { type Pending, PendingConnections } from '../src/pending-connections.js';

function tracker(overrides: Partial<ConstructorParameters<typeof PendingConnections>[0]> = {}) {
  const clock = { t: 0 };
  const pending = new PendingConnections<string>({ maxPending: 6, maxPendingPerAddress: 3, busyTimeoutMs: 5_000, now: () => clock.t, ...overrides });
  return { pending, clock };
}

function opened(result: Pending<string> | string): Pending<string> {
  if (typeof result === 'string') throw new Error(`refused: ${result}`);
  return result;
}

describe('PendingConnections', () => {
  it('caps the connections pending from one address, and counts one again once it is closed', () => {
    const { pending } = tracker();
    const first = opened(pending.open('10.0.0.1', 'a'));
    pending.open('10.0.0.1', 'b');
    pending.open('10.0.0.1', 'c');
    expect(pending.open('10.0.0.1', 'd')).toBe('pending_per_address');
    expect(typeof pending.open('10.0.0.2', 'e')).toBe('object');
    expect(pending.close(first)).toBe(true);
    expect(pending.close(first)).toBe(false);
    expect(typeof pending.open('10.0.0.1', 'f')).toBe('object');
    expect(pending.size).toBe(4);
  });

  it('caps the connections pending in total, whatever their addresses', () => {
    const { pending } = tracker();
    for (let i = 0; i < 6; i++) opened(pending.open(`10.0.0.${i}`, `s${i}`));
    expect(pending.open('10.0.0.99', 'x')).toBe('pending_connections');
  });

  it('gives up on silent connections after the busy timeout only while more than half the cap is taken', () => {
    const { pending, clock } = tracker();
    const silent = [1, 2, 3].map((i) => opened(pending.open(`10.0.0.${i}`, `silent-${i}`)));
    clock.t = 10_000;
    expect(pending.overdue()).toEqual([]); // three of six: no pressure, aedes' connect timeout applies
    const connecting = opened(pending.open('10.0.0.4', 'connecting'));
    pending.connectReceived(connecting);
    clock.t = 12_000;
    opened(pending.open('10.0.0.5', 'young'));
    expect(pending.overdue().map((entry) => entry.value)).toEqual(['silent-1', 'silent-2', 'silent-3']);
    for (const entry of silent) pending.close(entry);
    expect(pending.overdue()).toEqual([]);
  });
});
