import { sessionId, type Config, type ThresholdRule, type UsageSession } from '@parcours/contracts';
import type { LogRecord } from '@parcours/contracts';

/** The limits of one device type's sessions, and its telemetry threshold if it has one. */
export interface TypeRules {
  idleTimeoutMs: number;
  maxLengthMs: number;
  threshold: ThresholdRule | null;
  /** Runs on its own, used by nobody in particular: no journey, no inferred actor. */
  ambient: boolean;
}

export interface SessionRules {
  /** A session with no message for this long is closed at its last message. */
  idleTimeoutMs: number;
  /** A session is cut when it reaches this length. */
  maxLengthMs: number;
  /** Per device type overrides; a type not listed uses the two limits above and events only. */
  types: Readonly<Record<string, Partial<TypeRules>>>;
}

export function sessionRulesFrom(analytics: Config['analytics']): SessionRules {
  const types = Object.fromEntries(
    Object.entries(analytics.sessionRules).map(([type, rule]) => [
      type,
      {
        ...(rule.idleTimeout === undefined ? {} : { idleTimeoutMs: rule.idleTimeout }),
        ...(rule.maxLength === undefined ? {} : { maxLengthMs: rule.maxLength }),
        threshold: rule.threshold ?? null,
        ambient: rule.ambient ?? false,
      },
    ]),
  );
  return { idleTimeoutMs: analytics.sessionIdleTimeout, maxLengthMs: analytics.sessionMaxLength, types };
}

/** The rules of one type, the global limits filling in what it does not say. */
export function rulesOf(rules: SessionRules, deviceType: string): TypeRules {
  const own = rules.types[deviceType];
  return {
    idleTimeoutMs: own?.idleTimeoutMs ?? rules.idleTimeoutMs,
    maxLengthMs: own?.maxLengthMs ?? rules.maxLengthMs,
    threshold: own?.threshold ?? null,
    ambient: own?.ambient ?? false,
  };
}

/** Whether devices of this type are ambient: their sessions are part of no journey and get no inferred actor. */
export function isAmbient(rules: SessionRules, deviceType: string): boolean {
  return rules.types[deviceType]?.ambient ?? false;
}

/** The longest a session of any type may last: how far past a window a re-derivation must read. */
export function longestSession(rules: SessionRules): number {
  return Math.max(rules.maxLengthMs, ...Object.values(rules.types).map((t) => t.maxLengthMs ?? 0));
}

/** Device types whose sessions may come from telemetry: the session job reads their metrics only. */
export function thresholdTypes(rules: SessionRules): string[] {
  return Object.entries(rules.types)
    .filter(([, t]) => t.threshold)
    .map(([type]) => type);
}

/** A session still open on one device. Plain data, so it can be persisted and restored. */
export interface OpenSession {
  deviceId: string;
  deviceType: string;
  subjectId: string | null;
  subjectKind: UsageSession['subjectKind'];
  subjectType: string | null;
  actor: string | null;
  start: number;
  /** Device time of the device's latest message of any kind: a device that keeps reporting is not idle. */
  lastSeen: number;
  events: number;
  /** `threshold`: opened by telemetry. Absent in states saved before thresholds existed: events. */
  source?: 'events' | 'threshold';
  /** Threshold sessions: device time of the first sample of the current off run, null while on. */
  offSince?: number | null;
}

/** What the builder keeps of a device's sessions once closed, for its later records that may still change them. Plain data. */
export interface DeviceMemory {
  /** An events session the idle timeout closed: its `usage.stop`, if it comes within the maximum length, closes it instead. */
  idleClosed?: OpenSession;
  /** The latest threshold session dropped as shorter than its minimum: records arriving behind the watermark may lengthen it. */
  dropped?: OpenSession;
}

/** A device's state besides its open session, as persisted. */
export interface DeviceState extends DeviceMemory {
  deviceId: string;
  /** The device time before which its sessions are decided (see `SessionBuilder`). */
  frontier: number;
}

/**
 * Derives usage sessions device by device. From events: a session starts at `usage.start` and ends at
 * the first of its `usage.stop`, the next `usage.start` (at its last message, as idle), its maximum
 * length, or the idle timeout — the device silent (no telemetry either) for that long: it ends at its
 * last message, and a TV left on for hours with no interaction is still in use while it reports. The
 * idle timeout closes a session whose stop has not come; if the stop comes later, within the maximum
 * length and before another start, it closes the session instead (the same id, a new version). A stop
 * that closes nothing is set aside (`takeUnmatchedStops`). From telemetry, for types with a threshold
 * rule: a session starts at the first sample past the threshold and ends at the first sample back
 * (closedBy `threshold`). A device's own `usage.start` wins over its telemetry: it replaces a threshold
 * session not yet closed, and no threshold session opens while an event session is open. Pure: time
 * only moves with the records.
 */
export class SessionBuilder {
  private readonly open: Map<string, OpenSession>;
  /**
   * Per device, the device time before which its sessions are decided: its latest record, or further when
   * the watermark closed a session (an idle one could still have been extended up to the timeout).
   */
  private frontiers: Map<string, number>;
  /** Per device, entries replaced whole, never changed in place: a fork shares them. */
  private memory: Map<string, DeviceMemory>;
  /** Devices whose state (frontier, memory) changed since this builder was made: the state to persist. */
  private readonly moved = new Set<string>();
  /** Devices whose decided sessions are to be re-derived from a device time (see `takeLate`). */
  private readonly late = new Map<string, number>();
  private readonly unmatchedStops: LogRecord[] = [];
  /** Resolved once per type: the lookup is on every record's path. */
  private readonly byType = new Map<string, TypeRules>();

  constructor(
    private readonly rules: SessionRules,
    open: Iterable<OpenSession> = [],
    devices: Iterable<DeviceState> = [],
  ) {
    this.open = new Map([...open].map((s) => [s.deviceId, s]));
    this.frontiers = new Map();
    this.memory = new Map();
    for (const { deviceId, frontier, ...memory } of devices) {
      this.frontiers.set(deviceId, frontier);
      if (memory.idleClosed || memory.dropped) this.memory.set(deviceId, memory);
    }
  }

  /** A copy to apply a batch to, so that a failed batch leaves this one as it was. */
  fork(): SessionBuilder {
    const copy = new SessionBuilder(this.rules, structuredClone(this.openSessions()));
    copy.frontiers = new Map(this.frontiers);
    copy.memory = new Map(this.memory);
    return copy;
  }

  openSessions(): OpenSession[] {
    return [...this.open.values()];
  }

  openSession(deviceId: string): OpenSession | undefined {
    return this.open.get(deviceId);
  }

  frontierOf(deviceId: string): number {
    return this.frontiers.get(deviceId) ?? Number.NEGATIVE_INFINITY;
  }

  /** The device's frontier and memory, as persisted. */
  deviceState(deviceId: string): DeviceState {
    return { deviceId, frontier: this.frontierOf(deviceId), ...this.memory.get(deviceId) };
  }

  /** The device states that changed since this builder was made. */
  movedDevices(): DeviceState[] {
    return [...this.moved].map((id) => this.deviceState(id));
  }

  /**
   * Takes the devices whose decided sessions are to be re-derived, with the device time to re-derive
   * from: those that received records before their frontier (not applied), and those whose stop came
   * after the idle timeout had closed their session (applied, the closed version to be replaced).
   */
  takeLate(): Map<string, number> {
    const late = new Map(this.late);
    this.late.clear();
    return late;
  }

  /** Takes the `usage.stop` records that closed no session: none open, or past the maximum length. */
  takeUnmatchedStops(): LogRecord[] {
    return this.unmatchedStops.splice(0);
  }

  /** Replaces one device's state by one re-derived from its records in device-time order. */
  replaceDevice(open: OpenSession | undefined, state: DeviceState): void {
    const { deviceId, frontier, ...memory } = state;
    if (open) this.open.set(deviceId, open);
    else this.open.delete(deviceId);
    this.frontiers.set(deviceId, frontier);
    this.remember(deviceId, memory);
  }

  /**
   * Applies records in log order; returns the sessions they close. A record older than its device's
   * frontier is not applied (it would be applied out of order): it is set aside with `takeLate`, for
   * the device to be re-derived from its records in device-time order.
   */
  apply(records: readonly LogRecord[]): UsageSession[] {
    const closed: UsageSession[] = [];
    for (const record of records) {
      // One lookup for the check and the move (`setFrontier`): this loop runs for every record of a re-derivation.
      const frontier = this.frontiers.get(record.deviceId);
      if (frontier !== undefined && record.ts < frontier) {
        this.late.set(record.deviceId, Math.min(record.ts, this.late.get(record.deviceId) ?? Number.POSITIVE_INFINITY));
        continue;
      }
      if (frontier === undefined || record.ts > frontier) {
        this.frontiers.set(record.deviceId, record.ts);
        this.moved.add(record.deviceId);
      }
      this.expire(record.deviceId, record.ts, closed);
      const current = this.open.get(record.deviceId);
      if (record.channel === 'telemetry' || record.type === null) {
        if (current && record.ts >= current.start) current.lastSeen = Math.max(current.lastSeen, record.ts);
        const { threshold } = this.rulesOf(record.deviceType);
        if (threshold && record.metrics && (current === undefined || current.source === 'threshold')) this.sample(record, current, threshold, closed);
        continue;
      }
      if (record.type === 'usage.start') {
        if (current?.source === 'threshold') this.open.delete(record.deviceId);
        else if (current) closed.push(this.close(current, current.lastSeen, 'idle_timeout'));
        this.open.set(record.deviceId, { ...this.opening(record), events: 1, source: 'events' });
        this.forgetIdleClosed(record.deviceId);
      } else if (current && record.ts >= current.start) {
        current.lastSeen = Math.max(current.lastSeen, record.ts);
        current.events += 1;
        current.actor ??= record.actor;
        if (record.type === 'usage.stop') closed.push(this.close(current, record.ts, 'stop'));
      } else if (record.type === 'usage.stop' && !current) {
        this.stopIdleClosed(record, closed);
      } else if (record.type === 'usage.stop') {
        this.unmatchedStops.push(record);
      }
    }
    return closed;
  }

  /** A stop with no session open: it closes the session the idle timeout closed, if within its maximum length. */
  private stopIdleClosed(record: LogRecord, closed: UsageSession[]): void {
    const session = this.memory.get(record.deviceId)?.idleClosed;
    this.forgetIdleClosed(record.deviceId);
    if (!session || record.ts - session.start > this.rulesOf(session.deviceType).maxLengthMs) {
      this.unmatchedStops.push(record);
      return;
    }
    const stopped = this.close({ ...session, events: session.events + 1, actor: session.actor ?? record.actor }, record.ts, 'stop');
    const earlier = closed.findIndex((s) => s.id === stopped.id);
    // Closed by the idle timeout in this very call (at this record): that version never went out.
    if (earlier >= 0) closed.splice(earlier, 1);
    // Closed before: in streaming, stored already, so the device is re-derived for it to be replaced.
    else this.late.set(record.deviceId, Math.min(session.start, this.late.get(record.deviceId) ?? Number.POSITIVE_INFINITY));
    closed.push(stopped);
  }

  /** Closes every session that has been idle or too long by `watermark` (the latest device time seen). */
  advance(watermark: number): UsageSession[] {
    const closed: UsageSession[] = [];
    for (const deviceId of [...this.open.keys()]) this.expire(deviceId, watermark, closed);
    return closed;
  }

  private opening(record: LogRecord): Omit<OpenSession, 'events'> {
    return {
      deviceId: record.deviceId,
      deviceType: record.deviceType,
      subjectId: record.subjectId,
      subjectKind: record.subjectKind,
      subjectType: record.subjectType,
      actor: record.actor,
      start: record.ts,
      lastSeen: record.ts,
    };
  }

  private setFrontier(deviceId: string, at: number): void {
    if (at <= this.frontierOf(deviceId)) return;
    this.frontiers.set(deviceId, at);
    this.moved.add(deviceId);
  }

  private remember(deviceId: string, memory: DeviceMemory): void {
    if (memory.idleClosed || memory.dropped) this.memory.set(deviceId, memory);
    else this.memory.delete(deviceId);
    this.moved.add(deviceId);
  }

  private forgetIdleClosed(deviceId: string): void {
    const memory = this.memory.get(deviceId);
    if (!memory?.idleClosed) return;
    const { idleClosed, ...rest } = memory;
    this.remember(deviceId, rest);
  }

  private rulesOf(deviceType: string): TypeRules {
    let found = this.byType.get(deviceType);
    if (!found) this.byType.set(deviceType, (found = rulesOf(this.rules, deviceType)));
    return found;
  }

  /** One telemetry sample of a device with a threshold rule and no event session open. */
  private sample(record: LogRecord, current: OpenSession | undefined, rule: ThresholdRule, closed: UsageSession[]): void {
    const raw = record.metrics![rule.metric];
    if (raw === undefined) return;
    const value = Number(raw);
    const above = rule.comparison === 'above';
    const on = above ? value > rule.threshold : value < rule.threshold;
    if (!current) {
      if (on) this.open.set(record.deviceId, { ...this.opening(record), actor: null, events: 0, source: 'threshold', offSince: null });
      return;
    }
    if (record.ts < current.start) return;
    // Between the threshold and the threshold minus the hysteresis, the session stays on.
    const off = above ? value <= rule.threshold - rule.hysteresis : value >= rule.threshold + rule.hysteresis;
    if (!off) {
      current.offSince = null;
      return;
    }
    current.offSince ??= record.ts;
    if (record.ts - current.offSince >= rule.closeAfter) this.closeThreshold(current, current.offSince, 'threshold', rule, closed);
  }

  private expire(deviceId: string, now: number, closed: UsageSession[]): void {
    const session = this.open.get(deviceId);
    if (!session) return;
    const { maxLengthMs, idleTimeoutMs, threshold } = this.rulesOf(session.deviceType);
    const end = session.start + maxLengthMs;
    // Idle past this. Whichever limit came first closes the session, however far past both `now` is.
    const idleAfter = session.lastSeen + idleTimeoutMs;
    if (now > idleAfter && idleAfter < end) {
      // A record up to the timeout after the last one would have kept the session open.
      this.setFrontier(deviceId, idleAfter + 1);
      // A device that went off, then silent, was closed by its threshold, at its first off sample.
      if (session.source === 'threshold' && threshold)
        this.closeThreshold(session, session.offSince ?? session.lastSeen, session.offSince == null ? 'idle_timeout' : 'threshold', threshold, closed);
      else {
        closed.push(this.close(session, session.lastSeen, 'idle_timeout'));
        this.remember(deviceId, { ...this.memory.get(deviceId), idleClosed: session });
      }
    } else if (now >= end) {
      this.setFrontier(deviceId, end);
      // Already off when the limit came: it ended at its first off sample, before the limit.
      if (session.source === 'threshold' && threshold)
        this.closeThreshold(session, session.offSince ?? end, session.offSince == null ? 'max_length' : 'threshold', threshold, closed);
      else closed.push(this.close(session, end, 'max_length'));
    }
  }

  /** Closes a threshold session, dropping it when shorter than the rule's minimum (a spike, not a use). */
  private closeThreshold(session: OpenSession, end: number, closedBy: UsageSession['closedBy'], rule: ThresholdRule, closed: UsageSession[]): void {
    if (end - session.start >= rule.minDuration) closed.push(this.close(session, end, closedBy));
    else {
      this.open.delete(session.deviceId);
      this.remember(session.deviceId, { ...this.memory.get(session.deviceId), dropped: session });
    }
  }

  private close(session: OpenSession, end: number, closedBy: UsageSession['closedBy']): UsageSession {
    this.open.delete(session.deviceId);
    return {
      id: sessionId(session.deviceId, session.start),
      deviceId: session.deviceId,
      deviceType: session.deviceType,
      subjectId: session.subjectId,
      subjectKind: session.subjectKind,
      subjectType: session.subjectType,
      actor: session.actor,
      inferredActor: null,
      inferenceConfidence: null,
      start: session.start,
      end,
      durationS: (end - session.start) / 1000,
      events: session.events,
      closedBy,
    };
  }
}
