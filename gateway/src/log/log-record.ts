import type { Attribution } from '../registry/attribution-index.js';

/** An accepted device message with its attribution, as kept in the durable log. `offset` is its position. */
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
