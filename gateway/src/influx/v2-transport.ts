import type { Config } from '@parcours/contracts';
import { HttpError, InfluxDB } from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import { InfluxWriteError, isRetryableStatus, parseRetryAfter } from './errors.js';
import { check, send, type Transport } from './http.js';

/**
 * The v2 API (`/api/v2/write`: InfluxDB 1.8+, 2.x, 3.x) through the official client. Its own retry and
 * buffering are switched off (NOTES-deps: its buffer drops lines and reads Retry-After as ms): each call
 * writes exactly the lines given and fails as a whole, and the caller retries.
 */
export function createV2Transport(config: Config['influx'], logger: Logger): Transport {
  // InfluxDB 1.8 compatibility: token `user:password`, bucket `database/retention-policy`.
  const token = config.token || (config.username ? `${config.username}:${config.password}` : '');
  const bucket = config.bucket || (config.retentionPolicy ? `${config.database}/${config.retentionPolicy}` : config.database);
  const client = new InfluxDB({ url: config.url, token, timeout: 30_000 });
  const writeApi = client.getWriteApi(config.org, bucket, 'ns', {
    maxRetries: 0,
    flushInterval: 0,
    // Above what one call ever hands over (config.batchSize), so the client never sends on its own.
    batchSize: config.batchSize + 1,
    maxBufferLines: config.batchSize * 2,
    gzipThreshold: 1000,
    writeFailed: (error) => Promise.reject(error),
  });
  const base = config.url.replace(/\/$/, '');
  return {
    async write(lines) {
      writeApi.writeRecords(lines);
      try {
        await writeApi.flush();
      } catch (error) {
        if (error instanceof HttpError) {
          throw new InfluxWriteError(
            `InfluxDB answered ${error.statusCode}: ${error.body ?? error.message}`,
            isRetryableStatus(error.statusCode),
            error.statusCode,
            parseRetryAfter(error.headers?.['retry-after'] as string | undefined),
          );
        }
        logger.debug({ err: error }, 'InfluxDB v2 write failed');
        throw new InfluxWriteError(`InfluxDB cannot be reached: ${(error as Error).message}`, true, null);
      }
    },
    /** `/api/v2/delete` (not in the write client): its stop is inclusive, hence `to - 1` ms. */
    async deleteRange({ measurement, tags, from, to }) {
      const predicate = [`_measurement="${measurement}"`, ...Object.entries(tags).map(([k, v]) => `${k}="${v.replace(/"/g, '\\"')}"`)].join(' AND ');
      const body = JSON.stringify({ start: new Date(from).toISOString(), stop: new Date(to - 1).toISOString(), predicate });
      const params = new URLSearchParams({ org: config.org, bucket });
      await check(
        await send(`${base}/api/v2/delete?${params}`, {
          method: 'POST',
          headers: { authorization: `Token ${token}`, 'content-type': 'application/json' },
          body,
        }),
      );
    },
  };
}
