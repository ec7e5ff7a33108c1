import { runLoad, type LoadPlanInput, type LoadReport } from '@parcours/firmware-sim';
import type { Logger } from 'pino';
import { bar, startProgress } from './progress.js';

export interface LoadCommandInput {
  plan: LoadPlanInput & { duration: number };
  progressEveryMs: number;
  json: boolean;
  logger: Logger;
}

const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function formatLoadReport(r: LoadReport, plan: { qos: number; durationMs: number }): string {
  const latency = r.latencyMs
    ? `p50 ${fixed(r.latencyMs.p50, 2)} ms, p95 ${fixed(r.latencyMs.p95, 2)} ms, p99 ${fixed(r.latencyMs.p99, 2)} ms, max ${fixed(r.latencyMs.max, 2)} ms`
    : '-';
  return [
    `load: ${r.devices} devices over ${r.processes} processes, QoS ${plan.qos}, ${fixed(plan.durationMs / 1000)} s`,
    `connected      ${r.connected} (${r.connectFailed} failed), ${fixed(r.connectRate)} conn/s`,
    `sent           ${r.sent}`,
    `acked          ${r.acked}`,
    `failed         ${r.failed}`,
    `unacked        ${r.unacked}`,
    `rate           ${fixed(r.rate)} msg/s${r.targetRate === null ? ' (saturation)' : ` (target ${fixed(r.targetRate)})`}`,
    `latency        ${latency}`,
    `max in flight  ${r.maxInFlight} per device (window ${r.window})`,
  ].join('\n');
}

/** `parcours sim --load`: runs the load, prints its report; fails when a message or a device was lost. */
export async function runLoadCommand({ plan, progressEveryMs, json, logger }: LoadCommandInput): Promise<void> {
  let counts: { sent: number; acked: number } | null = null;
  let started = 0;
  const progress = startProgress({
    stream: process.stderr,
    everyMs: progressEveryMs,
    render: () => {
      if (!counts) return null;
      const elapsed = (performance.now() - started) / 1000;
      const head = plan.duration > 0 ? `${bar((elapsed * 1000) / plan.duration)} ` : '';
      return `${head}load ${fixed(elapsed)} s: sent ${counts.sent}, acked ${counts.acked}, ${fixed(counts.acked / Math.max(elapsed, 0.001))} msg/s`;
    },
  });
  let report: LoadReport;
  try {
    report = await runLoad(plan, {
      logger,
      onConnected: () => {
        started = performance.now();
        counts = { sent: 0, acked: 0 };
      },
      onProgress: (latest) => (counts = latest),
    });
  } finally {
    progress.stop();
  }
  process.stdout.write(`${json ? JSON.stringify(report) : formatLoadReport(report, { qos: plan.qos ?? 1, durationMs: plan.duration })}\n`);
  const lost = report.failed + report.unacked;
  if (lost > 0 || report.connectFailed > 0) {
    process.stderr.write(`load failed: ${report.connectFailed} devices could not connect, ${lost} messages not acknowledged\n`);
    process.exitCode = 1;
  }
}
