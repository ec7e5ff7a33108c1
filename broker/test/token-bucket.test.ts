import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/token-bucket.js';

describe('TokenBucket', () => {
  it('gives its burst at once, then a token per 1/rate second', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.msUntilToken(0)).toBe(100);
    expect(bucket.take(99)).toBe(false);
    expect(bucket.msUntilToken(99)).toBe(1);
    expect(bucket.take(100)).toBe(true);
    expect(bucket.take(100)).toBe(false);
  });

  it('saves up no more than its burst while unused', () => {
    const bucket = new TokenBucket(10, 3, 0);
    for (let i = 0; i < 3; i++) bucket.take(0);
    expect(bucket.isFull(200)).toBe(false);
    expect(bucket.isFull(300)).toBe(true);
    expect(bucket.msUntilToken(60_000)).toBe(0);
    const taken = Array.from({ length: 5 }, () => bucket.take(60_000));
    expect(taken).toEqual([true, true, true, false, false]);
  });

  it('ignores a clock that goes back', () => {
    const bucket = new TokenBucket(1, 1, 1000);
    expect(bucket.take(1000)).toBe(true);
    expect(bucket.take(500)).toBe(false);
    expect(bucket.take(1999)).toBe(false);
    expect(bucket.take(2000)).toBe(true);
  });
});
