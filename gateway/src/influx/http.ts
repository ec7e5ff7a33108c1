import { InfluxWriteError, isRetryableStatus, parseRetryAfter } from './errors.js';

/** A time range of one measurement's series to delete, selected by tags (the re-derivation of a corrected interval). */
export interface DeleteRange {
  measurement: string;
  tags: Record<string, string>;
  from: number;
  to: number;
}

/** What the writer needs of an InfluxDB API version. */
export interface Transport {
  write(lines: string[]): Promise<void>;
  deleteRange(range: DeleteRange): Promise<void>;
}

/** A request that hangs (a stalled server) fails after this long, and is retried like a refused one. */
const requestTimeoutMs = 30_000;

export async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(requestTimeoutMs) });
  } catch (error) {
    throw new InfluxWriteError(`InfluxDB cannot be reached: ${(error as Error).message}`, true, null);
  }
}

export async function check(response: Response): Promise<void> {
  if (response.ok) return;
  const body = (await response.text()).slice(0, 1000);
  throw new InfluxWriteError(
    `InfluxDB answered ${response.status}: ${body}`,
    isRetryableStatus(response.status),
    response.status,
    parseRetryAfter(response.headers.get('retry-after')),
  );
}
