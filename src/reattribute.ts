import type { Analytics } from '@parcours/analytics';
import { reattributeEvents, rewriteRawPoints, type Gateway, type InfluxRawSink, type InfluxWriter, type ReattributeProgress } from '@parcours/gateway';
import type { Logger } from 'pino';

export interface ReattributeResult {
  /** Stored events whose attribution changed. */
  changed: number;
  devices: string[];
  /** Sessions re-derived (replacing those of the same devices starting in the interval). */
  sessions: number;
}

/**
 * After a registry correction for a past interval: attribute its stored events again, then replace what
 * was derived from the devices that changed (raw InfluxDB points, usage sessions, open ones included, and
 * journeys). Idempotent. In a running server, the raw sink and the analytics take it between two of their
 * batches (`sink`: the server's raw sink, null in a command), so neither commits what it read before.
 */
export async function reattribute(
  parts: { gateway: Gateway; analytics: Analytics; influx: InfluxWriter | null; sink: InfluxRawSink | null; logger: Logger },
  from: number,
  to: number,
  onProgress: (progress: ReattributeProgress) => void,
): Promise<ReattributeResult> {
  const { gateway, analytics, influx, sink, logger } = parts;
  const rewrite = async () => {
    const events = reattributeEvents(gateway.log, gateway.attributionIndex, from, to, onProgress);
    if (influx && events.devices.size > 0) await rewriteRawPoints(gateway.log, influx, events.devices, from, to, logger);
    return events;
  };
  const { changed, devices } = sink ? await sink.exclusive(rewrite) : await rewrite();
  if (devices.size === 0) return { changed, devices: [], sessions: 0 };
  const sessions = await analytics.reattributed(devices, from, to);
  return { changed, devices: [...devices].sort(), sessions: sessions.length };
}
