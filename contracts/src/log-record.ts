import type { SubjectKind } from './registry.js';

/**
 * Who an event at time t belongs to, from the registry as of t (docs/design.md, "Subjects"): the
 * device's type, the subject it was assigned to, and the individual the event named when that holds.
 */
export interface Attribution {
  deviceType: string;
  subjectId: string | null;
  subjectKind: SubjectKind | null;
  subjectType: string | null;
  /** The individual named by the event's actor hint, when that hint holds at t. */
  actor: string | null;
  /** True when the event named an actor that could not be accepted at t. */
  actorRejected: boolean;
}

/**
 * An accepted device message with its attribution, as kept in the durable log: what the gateway
 * writes and every reader of the log (the InfluxDB sink, the analytics) reads. `offset` is its position.
 */
export interface LogRecord extends Attribution {
  offset: number;
  deviceId: string;
  seq: number;
  channel: 'telemetry' | 'events';
  /** Device time, ms (the receive time when the device clock was wrong: see `deviceTs`). */
  ts: number;
  /** The time the device sent, when it was replaced as a wrong clock; null otherwise. */
  deviceTs: number | null;
  receivedAt: number;
  /** The actor the event named, accepted or not (`actor` holds it only when accepted). */
  actorHint: string | null;
  /** Event type, for the `events` channel. */
  type: string | null;
  /** Measurements, for the `telemetry` channel. */
  metrics: Record<string, number | boolean> | null;
  attrs: Record<string, string | number | boolean | null> | null;
}

export type NewLogRecord = Omit<LogRecord, 'offset'>;
