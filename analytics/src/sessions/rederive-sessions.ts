import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { measurements, tags, type LogReader, type UsageSession } from '@parcours/contracts';
import type { ResultWriter } from '../output/result-writer.js';
import { sessionChange } from '../result-updates.js';
import type { ActorInference } from './actor-inference.js';
import { deriveStep } from './derivation-step.js';
import { longestSession, SessionBuilder, thresholdTypes, type SessionRules } from './session-builder.js';
import type { CollectivesAt } from './session-output.js';
import type { SessionStore } from './session-store.js';

/** Which devices a re-derivation covers: a set, or every device with records in the range. */
export type DeviceSelection = ReadonlySet<string> | 'all';

export interface RederiveSessionsDeps {
  log: LogReader;
  store: SessionStore;
  rules: SessionRules;
  writer: ResultWriter;
  baseTopic: string;
  /** The registry's collectives of an individual at t, announced with each session. */
  collectivesAt: CollectivesAt;
  inference: ActorInference | null;
  /** Told after each chunk read: records read so far, of `total`. */
  onProgress?: (read: number, total: number) => void;
}

/** The range of device times a re-derivation of `[from, to)` reads: up to one maximum session length after `to`, so that sessions crossing `to` close. */
export function readRange(rules: SessionRules, from: number, to: number): { from: number; to: number } {
  return { from, to: to + longestSession(rules) };
}

/**
 * What a re-derivation reads of each record: no attrs, and metrics for the types with a telemetry
 * threshold only. Exported so that the benchmark's read baseline reads exactly this.
 */
export function rederiveReadOptions(rules: SessionRules): { withMetrics: string[]; withAttrs: false } {
  return { withMetrics: thresholdTypes(rules), withAttrs: false };
}

/** The sessions a re-derivation wrote, and the stored ones they replaced. */
export interface RederivedSessions {
  sessions: UsageSession[];
  replaced: UsageSession[];
}

/**
 * Batch re-derivation of the usage sessions of some devices (or all) that start in `[from, to)`, from
 * the log in device-time order, step by step as the stream derives them (`deriveStep`): the same
 * watermark of the fleet closes idle sessions, so a device silent after a `usage.start` is closed here as
 * there (a session's end does not depend on when the watermark passed, only on whether it did). The
 * sessions are replaced (same ids), never added, in the store and in InfluxDB, and integrators are told
 * of the changed and removed ones.
 */
export async function rederiveSessions(deps: RederiveSessionsDeps, devices: DeviceSelection, from: number, to: number): Promise<RederivedSessions> {
  const builder = new SessionBuilder(deps.rules);
  // By id: a stop after the idle timeout closes, in a later step, the session an earlier one closed as idle.
  const closed = new Map<string, UsageSession>();
  const range = readRange(deps.rules, from, to);
  const total = deps.onProgress ? deps.log.countTimeRange(range.from, range.to) : 0;
  const selected = devices === 'all' ? () => true : (deviceId: string) => devices.has(deviceId);
  let read = 0;
  let watermark = Number.NEGATIVE_INFINITY;
  for (const chunk of deps.log.readTimeRange(range.from, range.to, rederiveReadOptions(deps.rules))) {
    const applied = devices === 'all' ? chunk : chunk.filter((record) => selected(record.deviceId));
    const step = deriveStep(builder, chunk, watermark, { applied });
    watermark = step.watermark;
    for (const session of step.closed) closed.set(session.id, session);
    // The stream counted them as they came: a re-derivation reads them again.
    builder.takeUnmatchedStops();
    read += chunk.length;
    if (deps.onProgress) {
      deps.onProgress(read, total);
      // Lets a progress display draw between chunks: the read itself is synchronous.
      await yieldToLoop();
    }
  }
  const { inference, store } = deps;
  // The stream's watermark, which its clock may have moved past the log's latest device time, closes the
  // idle sessions and decides the inferences it did there.
  const decidedBy = Math.max(watermark, deps.log.latestTrustedTs() ?? Number.NEGATIVE_INFINITY, store.loadWatermark());
  for (const session of builder.advance(decidedBy)) closed.set(session.id, session);
  const sessions = [...closed.values()].filter((s) => s.start >= from && s.start < to).map((s) => (inference ? inference.infer(s, decidedBy) : s));
  const replaced =
    devices === 'all' ? store.listInRange(from, to) : [...devices].flatMap((device) => store.listForDevice(device, from, to, Number.MAX_SAFE_INTEGER));
  const scopes = devices === 'all' ? [{}] : [...devices].map((device) => ({ [tags.device]: device }));
  const ranges = scopes.map((scope) => ({ measurement: measurements.usageSession, tags: scope, from, to }));
  await deps.writer.replace(sessionChange(deps, ranges, replaced, sessions, store.loadOpen()), () => store.replace(devices, from, to, sessions));
  return { sessions, replaced };
}
