import type { Config } from '@parcours/contracts';
import type { Logger } from 'pino';
import { toLineProtocol, type InfluxPoint } from './point.js';

export interface InfluxWriter {
  readonly apiVersion: 'v1' | 'v2';
  write(points: InfluxPoint[], options?: { signal?: AbortSignal }): Promise<void>;
}

/** Interim v1 writer (POST /write), retrying until success. */
export async function createInfluxWriter(config: Config['influx'], logger: Logger): Promise<InfluxWriter> {
  const base = config.url.replace(/\/$/, '');
  await fetch(`${base}/query?q=${encodeURIComponent(`CREATE DATABASE "${config.database}"`)}`, { method: 'POST' });
  return {
    apiVersion: 'v1',
    async write(points, options = {}) {
      for (let i = 0; i < points.length; i += config.batchSize) {
        const body = points.slice(i, i + config.batchSize).map(toLineProtocol).join('\n');
        for (let attempt = 0; ; attempt++) {
          options.signal?.throwIfAborted();
          const response = await fetch(`${base}/write?db=${encodeURIComponent(config.database)}&precision=ms`, { method: 'POST', body }).catch((e: unknown) => e as Error);
          if (!(response instanceof Error) && response.ok) break;
          if (!(response instanceof Error) && response.status < 500 && response.status !== 429) throw new Error(await response.text());
          logger.warn({ attempt }, 'influx write failed; retrying');
          await new Promise((r) => setTimeout(r, Math.min(30_000, 200 * 2 ** attempt)));
        }
      }
    },
  };
}
