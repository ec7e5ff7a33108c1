import type { SubjectKind } from '@parcours/contracts';

/** An accepted, attributed device message as kept in the durable log. `offset` is its position. */
export interface LogRecord {
  offset: number;
  deviceId: string;
  seq: number;
  channel: 'telemetry' | 'events';
  /** Device time, ms. */
  ts: number;
  receivedAt: number;
  deviceType: string;
  subjectId: string | null;
  subjectKind: SubjectKind | null;
  subjectType: string | null;
  actor: string | null;
  actorRejected: boolean;
  /** Event type, for the `events` channel. */
  type: string | null;
  /** Measurements, for the `telemetry` channel. */
  metrics: Record<string, number | boolean> | null;
  attrs: Record<string, string | number | boolean | null> | null;
}

export type NewLogRecord = Omit<LogRecord, 'offset'>;
