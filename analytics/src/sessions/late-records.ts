import { measurements, tags, type LogReader, type LogRecord, type UsageSession } from '@parcours/contracts';
import type { DeleteRange } from '@parcours/gateway';
import { rulesOf, SessionBuilder, type DeviceState, type SessionRules } from './session-builder.js';
import type { SessionStore } from './session-store.js';

/** What re-deriving the devices that received late records changes. */
export interface LateRederivation {
  /** Each device, and the device time its sessions are re-derived from. */
  devices: { deviceId: string; from: number }[];
  /** Their closed sessions from there, in place of the stored ones and of those the batch closed. */
  closed: UsageSession[];
  /** The stored sessions they replace. */
  replaced: UsageSession[];
  /** Their records of the batch that were a `usage.stop` closing no session. */
  unmatchedStops: LogRecord[];
}

/** A batch without late records. */
export const noLateRecords: LateRederivation = Object.freeze({ devices: [], closed: [], replaced: [], unmatchedStops: [] });

/**
 * Re-derives, in device-time order, the sessions of the devices that received records older than their
 * frontier (or a stop for a session the idle timeout had closed: `SessionBuilder.takeLate`), from the
 * start of the latest session the first late record could have changed (a point where the device had no
 * session open, so a fresh builder starts there as the streaming one was, with what it kept of the
 * sessions before). The device's state in `draft` is replaced by the re-derived one, so streaming goes on
 * as if the records had come in order: the result is the batch re-derivation's, and replaces the earlier
 * one under the same ids.
 */
export function rederiveLate(
  deps: { log: LogReader; store: SessionStore; rules: SessionRules },
  draft: SessionBuilder,
  late: ReadonlyMap<string, number>,
  closedInBatch: readonly UsageSession[],
  batch: { firstOffset: number; lastOffset: number },
  watermark: number,
): LateRederivation {
  const result: LateRederivation = { devices: [], closed: [], replaced: [], unmatchedStops: [] };
  for (const [deviceId, lateTs] of late) {
    const from = rederivationStart(deps, draft, deviceId, lateTs, closedInBatch);
    const rebuilt = new SessionBuilder(deps.rules, [], [memoryBefore(draft.deviceState(deviceId), from)]);
    result.closed.push(...rebuilt.apply(deps.log.readDevice(deviceId, from, batch.lastOffset)), ...rebuilt.advance(watermark));
    result.unmatchedStops.push(...rebuilt.takeUnmatchedStops().filter((r) => r.offset >= batch.firstOffset));
    draft.replaceDevice(rebuilt.openSession(deviceId), rebuilt.deviceState(deviceId));
    result.replaced.push(...deps.store.listForDevice(deviceId, from, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    result.devices.push({ deviceId, from });
  }
  return result;
}

/** The sessions a batch closed, those of the re-derived devices from their re-derivation's start replaced by the re-derived ones. */
export function withRederived(closed: UsageSession[], late: LateRederivation): UsageSession[] {
  if (late.devices.length === 0) return closed;
  const from = new Map(late.devices.map((d) => [d.deviceId, d.from]));
  return [...closed.filter((s) => s.start < (from.get(s.deviceId) ?? Number.POSITIVE_INFINITY)), ...late.closed];
}

/** The InfluxDB ranges of the re-derived devices' earlier session points: from the re-derivation's start to the last session it replaces. */
export function replacedRanges(late: LateRederivation): DeleteRange[] {
  return late.devices.flatMap(({ deviceId, from }) => {
    const last = Math.max(...late.replaced.filter((s) => s.deviceId === deviceId).map((s) => s.start));
    return last >= from ? [{ measurement: measurements.usageSession, tags: { [tags.device]: deviceId }, from, to: last + 1 }] : [];
  });
}

/** What the device's memory holds of sessions before `from`: a builder reading its records in order would have it at `from`. */
function memoryBefore(state: DeviceState, from: number): DeviceState {
  const { deviceId, idleClosed, dropped } = state;
  return {
    deviceId,
    frontier: Number.NEGATIVE_INFINITY,
    ...(idleClosed && idleClosed.start < from ? { idleClosed } : {}),
    ...(dropped && dropped.start < from ? { dropped } : {}),
  };
}

/**
 * The start of the device's latest session (stored, closed by this batch, open, or dropped as too short)
 * that a record at `lateTs` may change, else `lateTs`.
 */
function rederivationStart(
  deps: { store: SessionStore; rules: SessionRules },
  draft: SessionBuilder,
  deviceId: string,
  lateTs: number,
  closedInBatch: readonly UsageSession[],
): number {
  const open = draft.openSession(deviceId);
  const { dropped } = draft.deviceState(deviceId);
  const candidates = [
    deps.store.latestStartingBy(deviceId, lateTs),
    ...closedInBatch.filter((s) => s.deviceId === deviceId && s.start <= lateTs),
    ...[open, dropped].map((s) => (s && s.start <= lateTs ? { deviceType: s.deviceType, start: s.start, end: s.lastSeen } : null)),
  ].filter((s) => s !== null);
  const latest = candidates.reduce<(typeof candidates)[number] | null>((a, b) => (a === null || b.start > a.start ? b : a), null);
  if (!latest) return lateTs;
  // A record this long after a session's end could still have extended it: its idle timeout, and the
  // time a threshold session goes on reporting below its threshold before it closes.
  const rules = rulesOf(deps.rules, latest.deviceType);
  const reach = latest.end + rules.idleTimeoutMs + (rules.threshold?.closeAfter ?? 0);
  return lateTs <= reach ? latest.start : lateTs;
}
