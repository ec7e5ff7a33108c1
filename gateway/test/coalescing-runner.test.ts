import { describe, expect, it } from 'vitest';
import { CoalescingRunner } from '../src/jobs/coalescing-runner.js';

describe('a coalescing runner', () => {
  it('runs one at a time, folds the wakes of a run into one run after it, and reports a failure without stopping', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const errors: unknown[] = [];
    let release: () => void = () => undefined;
    const runner = new CoalescingRunner(
      async () => {
        runs++;
        active++;
        most = Math.max(most, active);
        await new Promise<void>((resolve) => (release = resolve));
        active--;
        if (runs === 2) throw new Error('second run fails');
      },
      (error) => errors.push(error),
      60_000,
    );
    expect(runner.started).toBe(false);
    runner.wake();
    expect(runs).toBe(0);
    const first = runner.start();
    await new Promise((resolve) => setImmediate(resolve));
    // Three wakes while the first run works: one more run, after it.
    runner.wake();
    runner.wake();
    const queued = runner.run();
    release();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await queued;
    expect([runs, most, errors.length]).toEqual([2, 1, 1]);
    await runner.stop();
    expect(runner.started).toBe(false);
  });
});
