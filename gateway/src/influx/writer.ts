import type { Config } from '@parcours/contracts';
import type { Logger } from 'pino';
import { backoffDelay } from './backoff.js';
import { detectApi, type InfluxApi } from './detect-version.js';
import { InfluxWriteError } from './errors.js';
import { toLineProtocol, type InfluxPoint } from './point.js';
import { createV1Transport, type Transport } from './v1-transport.js';
import { createV2Transport } from './v2-transport.js';

export interface InfluxWriter {
  readonly apiVersion: InfluxApi;
  /**
   * Writes the points in batches, retrying retryable failures with backoff until they succeed or the
   * signal aborts. A non-retryable failure (a 4xx other than 429) is thrown at once.
   */
  write(points: InfluxPoint[], options?: { signal?: AbortSignal }): Promise<void>;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}

async function withRetries(send: () => Promise<void>, logger: Logger, signal?: AbortSignal): Promise<void> {
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

/** Chooses the write API (from `/ping` unless set) and returns a writer; waits, retrying, for the server. */
export async function createInfluxWriter(config: Config['influx'], logger: Logger, signal?: AbortSignal): Promise<InfluxWriter> {
  const url = config.url.replace(/\/$/, '');
  let apiVersion: InfluxApi = config.apiVersion === 'auto' ? 'v2' : config.apiVersion;
  if (config.apiVersion === 'auto') {
    await withRetries(async () => {
      const detected = await detectApi(url, logger);
      apiVersion = detected.api;
      logger.info({ url, version: detected.version, api: apiVersion }, 'InfluxDB write API chosen');
    }, logger, signal);
  }
  let transport: Transport | undefined;
  await withRetries(async () => {
    transport = apiVersion === 'v1' ? await createV1Transport({ ...config, url }) : createV2Transport({ ...config, url }, logger);
  }, logger, signal);
  return {
    apiVersion,
    async write(points, options = {}) {
      for (let i = 0; i < points.length; i += config.batchSize) {
        const lines = points.slice(i, i + config.batchSize).map(toLineProtocol);
        await withRetries(() => transport!(lines), logger, options.signal);
      }
    },
  };
}
