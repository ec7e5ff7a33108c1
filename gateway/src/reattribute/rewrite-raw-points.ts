import { measurements, tags, type LogReader } from '@parcours/contracts';
import type { Logger } from 'pino';
import { replaceRanges } from '../influx/replace-ranges.js';
import type { InfluxWriter } from '../influx/writer.js';
import { rawPoint } from '../sinks/raw-points.js';

/**
 * Replaces the raw InfluxDB points of these devices over `[from, to)` after their events were attributed
 * again: a changed subject changes the tag set, so the old points must go, or the interval would count twice.
 */
export async function rewriteRawPoints(
  log: LogReader,
  writer: InfluxWriter,
  devices: ReadonlySet<string>,
  from: number,
  to: number,
  logger: Logger,
): Promise<void> {
  const ranges = [...devices].flatMap((device) =>
    [measurements.telemetry, measurements.usageEvent].map((measurement) => ({ measurement, tags: { [tags.device]: device }, from, to })),
  );
  const batches = (function* () {
    for (const chunk of log.readTimeRange(from, to)) yield chunk.filter((record) => devices.has(record.deviceId)).map(rawPoint);
  })();
  await replaceRanges(writer, ranges, batches, (point, error) => {
    logger.error({ point, reason: error.message }, 'InfluxDB refused a re-attributed point; the message stays in the durable log');
  });
}
