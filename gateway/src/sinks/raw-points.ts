import { measurements, noneTag, tags } from '@parcours/contracts';
import type { InfluxPoint } from '../influx/point.js';
import type { LogRecord } from '@parcours/contracts';

/**
 * The raw measurements (docs/design.md, "InfluxDB measurements"): `telemetry` with one field per metric (and `seq`), and `usage_event`. Points keep
 * the device's timestamp and stable tags, so writing a record again overwrites its point.
 */
export function rawPoint(record: LogRecord): InfluxPoint {
  const common = {
    [tags.device]: record.deviceId,
    [tags.deviceType]: record.deviceType,
    [tags.subject]: record.subjectId ?? noneTag,
    [tags.subjectType]: record.subjectType ?? noneTag,
  };
  if (record.channel === 'telemetry') {
    return { measurement: measurements.telemetry, tags: common, fields: { ...record.metrics }, intFields: { seq: record.seq }, timestampMs: record.ts };
  }
  return {
    measurement: measurements.usageEvent,
    tags: { ...common, [tags.actor]: record.actor ?? noneTag },
    fields: { type: record.type ?? '' },
    intFields: { seq: record.seq },
    timestampMs: record.ts,
    subMsNs: record.seq % 1_000_000,
  };
}
