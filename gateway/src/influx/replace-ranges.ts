import type { InfluxWriteError } from './errors.js';
import type { DeleteRange } from './http.js';
import type { InfluxPoint } from './point.js';
import { writeIsolatingRefused } from './write-isolating.js';
import type { InfluxWriter } from './writer.js';

/**
 * Replaces the points of some series over time ranges by new ones. The ranges are deleted first: a point
 * overwrites another only with the same tags and time, so a result whose tags or start changed would
 * otherwise stay twice. The points come in batches, so that a long rewrite need not hold them all; a
 * point the server refuses for good goes to `onRefused`, the others are written.
 */
export async function replaceRanges(
  writer: InfluxWriter,
  ranges: Iterable<DeleteRange>,
  batches: Iterable<InfluxPoint[]>,
  onRefused: (point: InfluxPoint, error: InfluxWriteError) => void,
  signal?: AbortSignal,
): Promise<void> {
  for (const range of ranges) await writer.deleteRange(range, signal ? { signal } : {});
  for (const points of batches) if (points.length > 0) await writeIsolatingRefused(writer, points, onRefused, signal);
}
