import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PublishThrottle } from '../src/publish-throttle.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

const connection = {};

/**
 * Admits `count` publishes of `publisher` in a row (from `from`), recording the order in which each may go
 * on; returns how many went on at once.
 */
function publishes(throttle: PublishThrottle, publisher: string, count: number, released: string[], from = connection): number {
  let atOnce = 0;
  for (let i = 0; i < count; i++) {
    const name = `${publisher}${i}`;
    const waiting = throttle.admit(publisher, from);
    if (waiting === null) {
      released.push(name);
      atOnce++;
    } else void waiting.then(() => released.push(name));
  }
  return atOnce;
}

describe('PublishThrottle', () => {
  it('lets a burst through at once, then releases the publishes that wait at the rate, in order', async () => {
    const throttle = new PublishThrottle({ rate: 10, burst: 2 });
    const released: string[] = [];
    expect(publishes(throttle, 'd', 5, released)).toBe(2);
    expect(released).toEqual(['d0', 'd1']);
    await vi.advanceTimersByTimeAsync(99);
    expect(released).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(released).toEqual(['d0', 'd1', 'd2']);
    await vi.advanceTimersByTimeAsync(200);
    expect(released).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
  });

  it('holds a publish behind those already waiting, even once a token is there', async () => {
    const throttle = new PublishThrottle({ rate: 10, burst: 1 });
    const released: string[] = [];
    publishes(throttle, 'd', 3, released);
    // A token is there at 100 ms, before the timer that hands it out has run: the new publish still waits its turn.
    vi.setSystemTime(150);
    const late = throttle.admit('d', connection);
    expect(late).not.toBeNull();
    void late!.then(() => released.push('late'));
    await vi.advanceTimersByTimeAsync(300);
    expect(released).toEqual(['d0', 'd1', 'd2', 'late']);
  });

  it('limits each publisher on its own', () => {
    const throttle = new PublishThrottle({ rate: 1, burst: 1 });
    expect(throttle.admit('a', connection)).toBeNull();
    expect(throttle.admit('b', connection)).toBeNull();
    expect(throttle.admit('a', connection)).not.toBeNull();
  });

  it('forgets, once a minute, the publishers whose bucket is full again and that wait for nothing', async () => {
    const throttle = new PublishThrottle({ rate: 1, burst: 2 });
    throttle.admit('idle', connection);
    const released: string[] = [];
    publishes(throttle, 'busy', 63, released);
    expect(throttle.size).toBe(2);
    await vi.advanceTimersByTimeAsync(60_000);
    throttle.admit('new', connection);
    // 'idle' refilled long ago; 'busy' still has a publish waiting; 'new' has just taken a token.
    expect(throttle.size).toBe(2);
    expect(released).toHaveLength(62);
  });

  it("forgets a closed connection's publishes still waiting, and releases the others in their turn", async () => {
    const throttle = new PublishThrottle({ rate: 10, burst: 1 });
    const released: string[] = [];
    const closed = {};
    publishes(throttle, 'd', 3, released, closed);
    publishes(throttle, 'e', 1, released);
    const open = {};
    void throttle.admit('d', open)!.then(() => released.push('open'));
    throttle.forget('d', closed);
    await vi.advanceTimersByTimeAsync(1000);
    expect(released).toEqual(['d0', 'e0', 'open']);
  });

  it('releases nothing once stopped', async () => {
    const throttle = new PublishThrottle({ rate: 10, burst: 1 });
    const released: string[] = [];
    publishes(throttle, 'd', 2, released);
    throttle.stop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(released).toEqual(['d0']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
