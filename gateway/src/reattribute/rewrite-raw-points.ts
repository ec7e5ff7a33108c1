import { measurements, tags } from '@parcours/contracts';
import type { InfluxWriter } from '../influx/writer.js';
import type { EventLog } from '../log/event-log.js';
import { rawPoint } from '../sinks/raw-points.js';

/**
 * Replaces the raw InfluxDB points of these devices over `[from, to)`: a changed subject changes the tag
 * set, so the old points must go before the new ones are written, or the interval would count twice.
 */
export async function rewriteRawPoints(log: EventLog, writer: InfluxWriter, devices: ReadonlySet<string>, from: number, to: number): Promise<void> {
  for (const device of devices) {
    for (const measurement of [measurements.telemetry, measurements.usageEvent]) {
      await writer.deleteRange({ measurement, tags: { [tags.device]: device }, from, to });
    }
  }
  for (const chunk of log.readTimeRange(from, to)) {
    const points = chunk.filter((record) => devices.has(record.deviceId)).map(rawPoint);
    if (points.length > 0) await writer.write(points);
  }
}
