/**
 * Publish→ack latencies in logarithmic buckets 1% wide: memory stays bounded however long a run lasts
 * (a list of every latency would not), and percentiles are within 1% of the exact ones.
 */
const floorMs = 0.01;
const growth = Math.log(1.01);

export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  private total = 0;
  private maxMs = 0;

  record(ms: number): void {
    const bucket = ms <= floorMs ? 0 : Math.ceil(Math.log(ms / floorMs) / growth);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.total++;
    this.maxMs = Math.max(this.maxMs, ms);
  }

  get count(): number {
    return this.total;
  }

  /** [bucket, count] pairs, for the IPC channel. */
  toJSON(): [number, number][] {
    return [...this.counts];
  }

  merge(buckets: [number, number][]): this {
    for (const [bucket, count] of buckets) {
      this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + count);
      this.total += count;
      this.maxMs = Math.max(this.maxMs, floorMs * Math.exp(bucket * growth));
    }
    return this;
  }

  /** The upper bound of the bucket holding the q-quantile; null without any sample. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (const [bucket, count] of [...this.counts].sort((a, b) => a[0] - b[0])) {
      seen += count;
      if (seen >= rank) return Math.min(this.maxMs, floorMs * Math.exp(bucket * growth));
    }
    return this.maxMs;
  }
}
