import { describe, expect, it } from 'vitest';
import { SimClock, sleep } from '../src/clock.js';

describe('SimClock', () => {
  const hour = 3_600_000;

  it('runs `speed` times faster than real time while it is behind', () => {
    let real = 10 * hour;
    const clock = new SimClock({ fromMs: 2 * hour, speed: 60, now: () => real });
    clock.start();
    expect(clock.delayUntil(2 * hour)).toBe(0);
    expect(clock.delayUntil(3 * hour)).toBe(60_000); // one simulated hour in one real minute
    real += 30_000;
    expect(clock.delayUntil(3 * hour)).toBe(30_000);
  });

  it('never runs ahead of real time: the backfill catches up, then real time', () => {
    let real = 10 * hour;
    const clock = new SimClock({ fromMs: 9 * hour, speed: 3600, now: () => real });
    clock.start();
    expect(clock.delayUntil(9.5 * hour)).toBe(500);
    expect(clock.delayUntil(10 * hour + 5000)).toBe(5000); // the sped-up clock got there in 1 s, the real one in 5 s
    real += 5000;
    expect(clock.delayUntil(10 * hour + 5000)).toBe(0);
  });

  it('tells the simulated now: sped up while behind, never ahead of the real now', () => {
    let real = 10 * hour;
    const clock = new SimClock({ fromMs: 9 * hour, speed: 3600, now: () => real });
    clock.start();
    real += 500;
    expect(clock.simulatedNow()).toBe(9.5 * hour);
    real += 5000;
    expect(clock.simulatedNow()).toBe(real);
  });

  it("does not wait at 'max' speed, except for the future", () => {
    const real = 10 * hour;
    const clock = new SimClock({ fromMs: 0, speed: 'max', now: () => real });
    clock.start();
    expect(clock.delayUntil(9 * hour)).toBe(0);
    expect(clock.delayUntil(10 * hour + 250)).toBe(250);
  });

  it('sleeps no longer than an abort', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = sleep(60_000, controller.signal);
    setTimeout(() => controller.abort(), 20);
    await sleeping;
    expect(Date.now() - started).toBeLessThan(30_000); // far from the minute it would sleep, however busy the machine
  });
});
