import { openCommandStore } from './command-store.js';
import { readFile } from 'node:fs/promises';
import { computeAccuracy, type Analytics, type AccuracyReport } from '@parcours/analytics';
import { ambientTypes, type LogRecord } from '@parcours/contracts';
import type { Gateway } from '@parcours/gateway';
import { buildJourneys, groundTruthSchema, type GroundTruth } from '@parcours/firmware-sim';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { batchAnalytics } from './batch-analytics.js';
import { durationOption } from './option-values.js';
import { UsageError } from './usage-error.js';

export interface AccuracyOptions {
  groundTruth: string;
  config?: string;
  json?: boolean;
  check?: boolean;
  tolerance?: string;
}

/** The stored side of the comparison, restricted to the truth's window and world (other fleets may run beside it). */
export function measureAccuracy(gateway: Gateway, analytics: Analytics, truth: GroundTruth, toleranceMs = 0): AccuracyReport {
  const { fromMs, toMs } = truth;
  const gapMs = analytics.journeyGap;
  const ambient = ambientTypes(analytics.sessionRules.types);
  const devices = new Set(truth.world.devices);
  const subjectIds = new Set(truth.world.subjects);
  const events: LogRecord[] = [];
  for (const chunk of gateway.log.readTimeRange(fromMs, toMs)) events.push(...chunk.filter((r) => r.channel === 'events' && devices.has(r.deviceId)));
  const subjects = new Map(gateway.registry.snapshot().subjects.map((s) => [s.id, { kind: s.kind, type: s.type }]));
  return computeAccuracy({
    fromMs,
    toMs,
    truth: truth.sessions,
    runningAtStart: truth.runningAtStart,
    derived: analytics.sessionStore.listInRange(fromMs, toMs).filter((s) => devices.has(s.deviceId)),
    derivedJourneys: analytics.journeysInRange(fromMs, toMs).filter((j) => subjectIds.has(j.subjectId)),
    events,
    subjects,
    journeysOf: (sessions) => buildJourneys(sessions, gapMs, (type) => ambient.has(type)),
    gapMs,
    ambient: (type) => ambient.has(type),
    toleranceMs,
  });
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const span = (from: number, to: number) => `${new Date(from).toISOString()} → ${new Date(to).toISOString()}`;

function formatReport(r: AccuracyReport): string {
  const lines = [`window ${new Date(r.window.fromMs).toISOString()} → ${new Date(r.window.toMs).toISOString()}`, ''];
  const s = r.sessions;
  lines.push(
    `sessions (tolerance ${s.toleranceMs} ms; ${s.runningAtStart.compared} running at the start compared from their first sample, ${s.runningAtStart.leftOut} not derived left out; ${s.excludedOpenAtEnd} still open at the end left out; ${s.nearMisses} near misses)`,
  );
  lines.push(
    `  ${'device type'.padEnd(18)} ${'truth'.padStart(6)} ${'derived'.padStart(8)} ${'matched'.padStart(8)} ${'precision'.padStart(10)} ${'recall'.padStart(8)} ${'F1'.padStart(8)}`,
  );
  for (const [type, x] of [...Object.entries(s.byDeviceType), ['all', s] as const]) {
    lines.push(
      `  ${type.padEnd(18)} ${String(x.truth).padStart(6)} ${String(x.derived).padStart(8)} ${String(x.matched).padStart(8)} ${pct(x.precision).padStart(10)} ${pct(x.recall).padStart(8)} ${pct(x.f1).padStart(8)}`,
    );
  }
  const { nearMisses, missed, spurious } = s.unmatched;
  if (nearMisses.length + missed.length + spurious.length > 0) {
    lines.push('', 'unmatched sessions (device, start → end)');
    for (const p of nearMisses) {
      lines.push(
        `  near miss  ${p.truth.deviceId}: truth ${span(p.truth.startMs, p.truth.endMs)}, derived ${span(p.derived.start, p.derived.end)} (${p.derived.id})`,
      );
    }
    for (const t of missed) lines.push(`  missed     ${t.deviceId}: ${span(t.startMs, t.endMs)}`);
    for (const d of spurious) lines.push(`  spurious   ${d.deviceId}: ${span(d.start, d.end)} (${d.id})`);
  }
  lines.push('', 'attribution (right subject / right individual)');
  for (const [what, a] of [
    ['sessions', r.attribution.sessions],
    ['events', r.attribution.events],
  ] as const) {
    lines.push(
      `  ${what.padEnd(9)} decided by registry or actor: ${a.decided.count} → ${pct(a.decided.subjectShare)} / ${pct(a.decided.individualShare)};  inferred: ${a.inferred.count} → ${pct(a.inferred.subjectShare)} / ${pct(a.inferred.individualShare)}`,
    );
  }
  const i = r.inference;
  lines.push(
    '',
    `inference (shared devices naming nobody): ${i.sessions} sessions, inferred for ${pct(i.inferredShare)}, right ${pct(i.precision)} of the time (95% interval ${pct(i.precisionInterval.low)}–${pct(i.precisionInterval.high)}), calibration error ${pct(i.calibrationError)} (chance alone: up to ${pct(i.calibrationErrorByChance)})`,
  );
  for (const b of i.bins)
    lines.push(
      `  confidence ${b.from.toFixed(1)}–${b.to.toFixed(1)}: ${String(b.count).padStart(5)} inferred, mean ${pct(b.meanConfidence)}, right ${pct(b.accuracy)}`,
    );
  lines.push('', 'transitions (Parcours side: its journeys table, and the journeys still pending in the stream)');
  for (const [what, t] of [
    ['knowable', r.transitions.knowable],
    ['all users', r.transitions.all],
  ] as const) {
    lines.push(`  ${what.padEnd(9)} truth ${t.truthTotal}, derived ${t.derivedTotal}, |error| ${t.absoluteError} = ${pct(t.relativeError)}`);
  }
  lines.push('', 'targets');
  for (const t of r.targets) lines.push(`  ${t.met ? 'met   ' : 'MISSED'} ${t.name.padEnd(38)} ${pct(t.value).padStart(8)}  (${t.target})`);
  return `${lines.join('\n')}\n`;
}

async function readGroundTruth(path: string): Promise<GroundTruth> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--ground-truth ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return groundTruthSchema.parse(JSON.parse(text));
  } catch {
    throw new UsageError(`--ground-truth ${path}: not a ground-truth file written by parcours sim (ground-truth-<from>-<to>.json)`);
  }
}

/** `parcours accuracy --ground-truth FILE`: on the configured store, which a running Parcours may share. */
export async function runAccuracyCommand(options: AccuracyOptions): Promise<void> {
  const toleranceMs = options.tolerance === undefined ? 0 : durationOption(options.tolerance, '--tolerance');
  const config = loadConfig({ file: options.config });
  const logger = createLogger({ ...config.log, level: 'warn' });
  const { gateway, store } = openCommandStore(config, logger);
  let report: AccuracyReport;
  try {
    const truth = await readGroundTruth(options.groundTruth);
    const analytics = batchAnalytics(config, gateway, null, logger);
    report = measureAccuracy(gateway, analytics, truth, toleranceMs);
  } finally {
    store.close();
  }
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  const missed = report.targets.filter((t) => !t.met);
  if (options.check && missed.length > 0) {
    process.stderr.write(`targets missed: ${missed.map((t) => t.name).join(', ')}\n`);
    process.exitCode = 1;
  }
}
