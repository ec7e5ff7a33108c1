import type { Analytics } from '@parcours/analytics';
import { reattributeEvents, rewriteRawPoints, type Gateway, type InfluxWriter, type ReattributeProgress } from '@parcours/gateway';
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
 * was derived from the devices that changed (raw InfluxDB points, usage sessions). Idempotent.
 */
export async function reattribute(
  parts: { gateway: Gateway; analytics: Analytics; influx: InfluxWriter | null; logger: Logger },
  from: number,
  to: number,
  onProgress: (progress: ReattributeProgress) => void,
): Promise<ReattributeResult> {
  const { gateway, analytics, influx, logger } = parts;
  const { changed, devices } = reattributeEvents(gateway.log, gateway.attributionIndex, from, to, onProgress);
  if (devices.size === 0) return { changed, devices: [], sessions: 0 };
  if (influx) await rewriteRawPoints(gateway.log, influx, devices, from, to, logger);
  const sessions = await analytics.rederive(devices, from, to);
  return { changed, devices: [...devices].sort(), sessions: sessions.length };
}
