import { afterEach, describe, expect, it, vi } from 'vitest';
import { OverloadMonitor } from '../src/overload-monitor.js';

afterEach(() => {
  vi.useRealTimers();
});

function monitor() {
  const clock = { t: 0, cpu: 0 };
  const backlog = { size: 0 };
  const m = new OverloadMonitor({ backlog, maxBacklog: 3, maxBusyMs: 50, now: () => clock.t, cpu: () => clock.cpu });
  return { m, clock, backlog };
}

describe('OverloadMonitor', () => {
  it('says the store is behind while the backlog is at its maximum or beyond', () => {
    const { m, backlog } = monitor();
    backlog.size = 2;
    expect(m.reason()).toBeNull();
    backlog.size = 3;
    expect(m.reason()).toBe('backlog');
    backlog.size = 2;
    expect(m.reason()).toBeNull();
  });

  it('says the process is busy once the event loop has not come back to its timers for the longest busy time', () => {
    vi.useFakeTimers();
    const { m, clock } = monitor();
    m.start();
    // Its timer runs every 10 ms: it may come 10 ms late without the loop being behind.
    clock.t = clock.cpu = 59;
    expect(m.reason()).toBeNull();
    clock.t = clock.cpu = 60;
    expect(m.reason()).toBe('busy');
    vi.advanceTimersByTime(10);
    expect(m.reason()).toBeNull();
    m.stop();
  });

  it('is not busy when the time went by without the process working (the machine did not run it)', () => {
    vi.useFakeTimers();
    const { m, clock } = monitor();
    m.start();
    clock.t = 200;
    clock.cpu = 49;
    expect(m.reason()).toBeNull();
    clock.cpu = 50;
    expect(m.reason()).toBe('busy');
    m.stop();
  });

  it('is never busy when not started', () => {
    const { m, clock } = monitor();
    clock.t = 10_000;
    expect(m.reason()).toBeNull();
  });
});
