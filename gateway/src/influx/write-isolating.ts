import { InfluxWriteError } from './errors.js';
import type { InfluxPoint } from './point.js';
import type { InfluxWriter } from './writer.js';

/**
 * Writes the points; when the server refuses the batch for good (a 4xx), halves it until the refused
 * points are isolated, hands each to `onRefused`, and writes the rest. One bad point cannot block a sink.
 */
export async function writeIsolatingRefused(
  writer: InfluxWriter,
  points: InfluxPoint[],
  onRefused: (point: InfluxPoint, error: InfluxWriteError) => void,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await writer.write(points, signal ? { signal } : {});
  } catch (error) {
    if (!(error instanceof InfluxWriteError) || error.retryable) throw error;
    if (points.length === 1) return onRefused(points[0]!, error);
    const middle = Math.ceil(points.length / 2);
    await writeIsolatingRefused(writer, points.slice(0, middle), onRefused, signal);
    await writeIsolatingRefused(writer, points.slice(middle), onRefused, signal);
  }
}
