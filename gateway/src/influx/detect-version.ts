import type { Logger } from 'pino';
import { InfluxWriteError } from './errors.js';

export type InfluxApi = 'v1' | 'v2';

/** 1.8 added `/api/v2/write`; 2.x and 3.x have it; 1.0–1.7 only have `/write`. */
export function apiForVersion(version: string): InfluxApi {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  if (!match) return 'v2';
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major === 1 && minor < 8 ? 'v1' : 'v2';
}

/** Asks the server's `/ping` which version it is (the `X-Influxdb-Version` header). */
export async function detectApi(url: string, logger: Logger): Promise<{ api: InfluxApi; version: string | null }> {
  let response: Response;
  try {
    response = await fetch(`${url}/ping`);
  } catch (error) {
    throw new InfluxWriteError(`InfluxDB at ${url} cannot be reached: ${(error as Error).message}`, true, null);
  }
  const version = response.headers.get('x-influxdb-version');
  if (!version) {
    logger.warn({ url }, 'InfluxDB /ping gave no version; using the v2 write API (set INFLUX_API_VERSION to choose)');
    return { api: 'v2', version: null };
  }
  return { api: apiForVersion(version), version };
}
