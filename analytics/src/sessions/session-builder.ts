import { sessionId, type UsageSession } from '@parcours/contracts';
import type { LogRecord } from '@parcours/gateway';

export interface SessionRules {
  /** A session with no event for this long is closed at its last event. */
  idleTimeoutMs: number;
  /** A session is cut when it reaches this length. */
  maxLengthMs: number;
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
}

/**
 * Derives usage sessions from `usage.start` / `interaction` / `usage.stop` events, device by device.
 * A session ends at `usage.stop`, at the next `usage.start`, at the maximum length, or when the device
 * has been silent (no telemetry either) for the idle timeout — a TV left on for hours with no
 * interaction is still in use while it reports. Pure: time only moves with the records.
 */
export class SessionBuilder {
  private readonly open: Map<string, OpenSession>;

  constructor(private readonly rules: SessionRules, open: Iterable<OpenSession> = []) {
    this.open = new Map([...open].map((s) => [s.deviceId, s]));
  }

  openSessions(): OpenSession[] {
    return [...this.open.values()];
  }

  /** Applies records in log order; returns the sessions they close. */
  apply(records: readonly LogRecord[]): UsageSession[] {
    const closed: UsageSession[] = [];
    for (const record of records) {
      this.expire(record.deviceId, record.ts, closed);
      const current = this.open.get(record.deviceId);
      if (record.channel === 'telemetry' || record.type === null) {
        if (current && record.ts >= current.start) current.lastSeen = Math.max(current.lastSeen, record.ts);
        continue;
      }
      if (record.type === 'usage.start') {
        if (current) closed.push(this.close(current, current.lastSeen, 'idle_timeout'));
        this.open.set(record.deviceId, {
          deviceId: record.deviceId, deviceType: record.deviceType, subjectId: record.subjectId, subjectKind: record.subjectKind,
          subjectType: record.subjectType, actor: record.actor, start: record.ts, lastSeen: record.ts, events: 1,
        });
      } else if (current && record.ts >= current.start) {
        current.lastSeen = Math.max(current.lastSeen, record.ts);
        current.events += 1;
        current.actor ??= record.actor;
        if (record.type === 'usage.stop') closed.push(this.close(current, record.ts, 'stop'));
      }
    }
    return closed;
  }

  /** Closes every session that has been idle or too long by `watermark` (the latest device time seen). */
  advance(watermark: number): UsageSession[] {
    const closed: UsageSession[] = [];
    for (const deviceId of [...this.open.keys()]) this.expire(deviceId, watermark, closed);
    return closed;
  }

  private expire(deviceId: string, now: number, closed: UsageSession[]): void {
    const session = this.open.get(deviceId);
    if (!session) return;
    if (now - session.start >= this.rules.maxLengthMs) closed.push(this.close(session, session.start + this.rules.maxLengthMs, 'max_length'));
    else if (now - session.lastSeen > this.rules.idleTimeoutMs) closed.push(this.close(session, session.lastSeen, 'idle_timeout'));
  }

  private close(session: OpenSession, end: number, closedBy: UsageSession['closedBy']): UsageSession {
    this.open.delete(session.deviceId);
    return {
      id: sessionId(session.deviceId, session.start),
      deviceId: session.deviceId, deviceType: session.deviceType,
      subjectId: session.subjectId, subjectKind: session.subjectKind, subjectType: session.subjectType, actor: session.actor,
      inferredActor: null, inferenceConfidence: null,
      start: session.start, end, durationS: (end - session.start) / 1000, events: session.events, closedBy,
    };
  }
}
