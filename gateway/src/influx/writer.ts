import type { Config } from '@parcours/contracts';
import type { Logger } from 'pino';
import { backoffDelay } from './backoff.js';
import { detectApi, type InfluxApi } from './detect-version.js';
import { InfluxWriteError } from './errors.js';
import { toLines, type InfluxPoint } from './point.js';
import type { DeleteRange, Transport } from './http.js';
import { createV1Transport } from './v1-transport.js';
import { createV2Transport } from './v2-transport.js';

export interface InfluxWriter {
  /** Known once the first write has reached the server. */
  readonly apiVersion: InfluxApi | null;
  /**
   * Writes the points in batches, retrying retryable failures with backoff until they succeed or the
   * signal aborts. A non-retryable failure (a 4xx other than 429) is thrown at once.
   */
  write(points: InfluxPoint[], options?: { signal?: AbortSignal }): Promise<void>;
  /** Deletes a time range of the series with these tags (to rewrite a re-derived interval), retrying likewise. */
  deleteRange(range: DeleteRange, options?: { signal?: AbortSignal }): Promise<void>;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

async function withRetries<T>(send: () => Promise<T>, logger: Logger, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await send();
    } catch (error) {
      if (!(error instanceof InfluxWriteError) || !error.retryable) throw error;
      const delay = backoffDelay(attempt, Math.random, undefined, error.retryAfterMs);
      logger.warn({ attempt: attempt + 1, delayMs: delay, status: error.status, reason: error.message }, 'InfluxDB write failed; retrying');
      await sleep(delay, signal);
    }
  }
}

/**
 * A writer that connects lazily: the write API is chosen (from `/ping` unless set) at the first write,
 * so Parcours starts, and keeps storing, while InfluxDB is down; the sinks catch up from the log later.
 */
export function createInfluxWriter(config: Config['influx'], logger: Logger): InfluxWriter {
  const url = config.url.replace(/\/$/, '');
  let apiVersion: InfluxApi | null = config.apiVersion === 'auto' ? null : config.apiVersion;
  let transport: Promise<Transport> | null = null;

  const connect = async (): Promise<Transport> => {
    if (apiVersion === null) {
      const detected = await detectApi(url, logger);
      logger.info({ url, version: detected.version, api: detected.api }, 'InfluxDB write API chosen');
      apiVersion = detected.api;
    }
    return apiVersion === 'v1' ? createV1Transport({ ...config, url }) : createV2Transport({ ...config, url }, logger);
  };

  const ready = async (signal?: AbortSignal): Promise<Transport> => {
    transport ??= withRetries(connect, logger, signal);
    try {
      return await transport;
    } catch (error) {
      transport = null; // an aborted or refused set-up is tried again by the next write
      throw error;
    }
  };

  return {
    get apiVersion() {
      return apiVersion;
    },
    async write(points, options = {}) {
      const transport = await ready(options.signal);
      for (let i = 0; i < points.length; i += config.batchSize) {
        const lines = await toLines(points.slice(i, i + config.batchSize));
        await withRetries(() => transport.write(lines), logger, options.signal);
      }
    },
    async deleteRange(range, options = {}) {
      const transport = await ready(options.signal);
      await withRetries(() => transport.deleteRange(range), logger, options.signal);
    },
  };
}
