import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/load/latency-histogram.js';

describe('LatencyHistogram', () => {
  it('gives percentiles within 1% of the exact ones, also after a merge', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => 0.5 + (i % 997) * 0.37);
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (const [i, v] of values.entries()) (i % 2 ? a : b).record(v);
    const merged = new LatencyHistogram().merge(a.toJSON()).merge(b.toJSON());
    const sorted = [...values].sort((x, y) => x - y);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
      expect(Math.abs(merged.quantile(q)! - exact) / exact).toBeLessThan(0.01);
    }
    expect(merged.count).toBe(values.length);
  });

  it('has no percentile without samples', () => {
    expect(new LatencyHistogram().quantile(0.5)).toBeNull();
  });
});
