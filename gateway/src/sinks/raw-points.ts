import { measurements, noneTag, tags } from '@parcours/contracts';
import type { InfluxPoint } from '../influx/point.js';
import type { LogRecord } from '@parcours/contracts';

/**
 * The raw measurements (docs/design.md, "InfluxDB measurements"): `telemetry` with one field per metric (and
 * `seq`), and `usage_event`. A point is unique by its tags and time, and a device may stamp several messages
 * with one millisecond (a clock of one-second resolution): the sequence number goes in the timestamp's
 * sub-millisecond part, so each stored message is its own point and writing it again overwrites only itself.
 */
export function rawPoint(record: LogRecord): InfluxPoint {
  const common = {
    [tags.device]: record.deviceId,
    [tags.deviceType]: record.deviceType,
    [tags.subject]: record.subjectId ?? noneTag,
    [tags.subjectType]: record.subjectType ?? noneTag,
  };
  const subMsNs = record.seq % 1_000_000;
  if (record.channel === 'telemetry') {
    return {
      measurement: measurements.telemetry,
      tags: common,
      fields: { ...record.metrics },
      intFields: { seq: record.seq },
      timestampMs: record.ts,
      subMsNs,
    };
  }
  return {
    measurement: measurements.usageEvent,
    tags: { ...common, [tags.actor]: record.actor ?? noneTag },
    fields: { type: record.type ?? '' },
    intFields: { seq: record.seq },
    timestampMs: record.ts,
    subMsNs,
  };
}
