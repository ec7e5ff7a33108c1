import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationText, parseDuration } from '../src/duration.js';

describe('durations as text', () => {
  it('reads back every whole number of milliseconds as written', () => {
    fc.assert(
      fc.property(fc.nat({ max: 400 * 86_400_000 }), (ms) => {
        expect(parseDuration(durationText(ms))).toBe(ms);
      }),
    );
  });

  it('writes the largest units first', () => {
    expect([0, 500, 90_000, 5_400_000, 86_400_000 + 1_000].map(durationText)).toEqual(['0s', '500ms', '1m30s', '1h30m', '1d1s']);
  });
});
