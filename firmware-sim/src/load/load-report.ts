import { LatencyHistogram } from './latency-histogram.js';
import type { WorkerCounts, WorkerReport } from './load-plan.js';

/** What a load run achieved, over all its processes. */
export interface LoadReport {
  devices: number;
  processes: number;
  connected: number;
  connectFailed: number;
  /** CONNECTs acknowledged per second, over the slowest process's connect phase. */
  connectRate: number;
  /** Messages per second the plan asked for, all devices together; null for saturation (as fast as acks allow). */
  targetRate: number | null;
  /** Acknowledged messages per second over the slowest process's run. */
  rate: number;
  elapsedMs: number;
  sent: number;
  acked: number;
  failed: number;
  unacked: number;
  /** Publish→ack latency in ms (QoS 0: publish→written); null when nothing was acked. */
  latencyMs: { p50: number; p95: number; p99: number; max: number } | null;
  window: number;
  maxInFlight: number;
}

export interface ConnectPhase {
  connected: number;
  failed: number;
  elapsedMs: number;
}

export function sumCounts(counts: WorkerCounts[]): WorkerCounts {
  return counts.reduce((sum, c) => ({ sent: sum.sent + c.sent, acked: sum.acked + c.acked, failed: sum.failed + c.failed }), { sent: 0, acked: 0, failed: 0 });
}

export function aggregateReports(
  plan: { devices: number; window: number; targetRate: number | null },
  connects: ConnectPhase[],
  reports: WorkerReport[],
): LoadReport {
  const histogram = new LatencyHistogram();
  for (const r of reports) histogram.merge(r.latency);
  const elapsedMs = Math.max(0, ...reports.map((r) => r.elapsedMs));
  const connected = connects.reduce((sum, c) => sum + c.connected, 0);
  const connectMs = Math.max(0, ...connects.map((c) => c.elapsedMs));
  const counts = sumCounts(reports);
  const q = (quantile: number) => histogram.quantile(quantile)!;
  return {
    devices: plan.devices,
    processes: reports.length,
    connected,
    connectFailed: connects.reduce((sum, c) => sum + c.failed, 0),
    connectRate: connectMs > 0 ? (connected * 1000) / connectMs : 0,
    targetRate: plan.targetRate,
    rate: elapsedMs > 0 ? (counts.acked * 1000) / elapsedMs : 0,
    elapsedMs,
    ...counts,
    unacked: reports.reduce((sum, r) => sum + r.unacked, 0),
    latencyMs: histogram.count === 0 ? null : { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) },
    window: plan.window,
    maxInFlight: Math.max(0, ...reports.map((r) => r.maxInFlight)),
  };
}
