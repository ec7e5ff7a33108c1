import { afterEach, describe, expect, it, vi } from 'vitest';
import { surveyClock } from '../src/index.js';

describe('the surveys’ clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('system: the machine’s clock, whatever the data says', () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse('2031-01-01T00:00:00Z'));
    const now = surveyClock('system', () => Date.parse('2026-03-29T08:00:00Z'));
    expect(now()).toBe(Date.parse('2031-01-01T00:00:00Z'));
  });

  it('device: the device time reached, with no time before the first data, never going back', () => {
    let watermark = Number.NEGATIVE_INFINITY;
    const now = surveyClock('device', () => watermark);
    expect(now()).toBe(Number.NEGATIVE_INFINITY);
    watermark = Date.parse('2026-03-29T08:00:00Z');
    expect(now()).toBe(watermark);
    watermark = Date.parse('2026-03-29T09:30:00Z');
    expect(now()).toBe(watermark);
    // A re-derivation that starts again from earlier data: what was decided and delivered stays in the past.
    watermark = Date.parse('2026-03-28T00:00:00Z');
    expect(now()).toBe(Date.parse('2026-03-29T09:30:00Z'));
  });
});
