import type { LogRecord } from './log-record.js';

/** Which telemetry metrics a read decodes: all, none, or those of the listed device types. */
export type MetricsSelection = boolean | readonly string[];

/** An event of the log as funnels count it: who it is attributed to, its type and device time. */
export interface TypedEvent {
  subjectId: string | null;
  subjectKind: LogRecord['subjectKind'];
  actor: string | null;
  type: string;
  ts: number;
}

/**
 * The durable log as its readers see it (the InfluxDB sink, the analytics): reads by offset, as a consumer
 * follows it, and by device time, as a re-derivation reads it. The gateway's `EventLog` implements it.
 */
export interface LogReader {
  /** The records after `offset`, in log order; `withMetrics` as in `MetricsSelection` (metrics are most of a read's decoding). */
  readAfter(offset: number, limit: number, withMetrics?: MetricsSelection): LogRecord[];
  /** Records whose device time is in `[from, to)`, in device-time order, in chunks; `withAttrs: false` leaves attrs null. */
  readTimeRange(from: number, to: number, options?: { chunk?: number; withMetrics?: MetricsSelection; withAttrs?: boolean }): Iterable<LogRecord[]>;
  /** One device's records from device time `from` up to log offset `upTo`, in device-time order, with their metrics. */
  readDevice(deviceId: string, from: number, upTo: number): LogRecord[];
  countTimeRange(from: number, to: number): number;
  /** The records attributed to these subjects with device time in `[from, to)`, in device-time order, without attrs. */
  readSubjects(subjectIds: readonly string[], from: number, to: number, withMetrics?: MetricsSelection): LogRecord[];
  /** Who the events of these types with device time in `[from, to)` are attributed to, and when. */
  listOfTypes(types: readonly string[], from: number, to: number): TypedEvent[];
  /** Records stored after `offset`: what a reader at `offset` has still to handle. */
  countAfter(offset: number): number;
  /** When the first record after `offset` was received: how long a reader at `offset` is behind. */
  receivedAfter(offset: number): number | null;
  /** Called after records were committed; returns the unsubscription. */
  onAppend(listener: () => void): () => void;
  /** The latest device time among records whose clock was trusted. */
  latestTrustedTs(): number | null;
  /** The device times of the oldest and newest records, or null when the log is empty. */
  timeSpan(): { from: number; to: number } | null;
}
