import { errorCodes, ParcoursError } from '@parcours/contracts';

/** A failed write: retryable (network, 429, 5xx) or not (another 4xx: the points themselves are refused). */
export class InfluxWriteError extends ParcoursError {
  constructor(
    message: string,
    retryable: boolean,
    readonly status: number | null,
    /** The server's Retry-After, in ms, when it sent one. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(errorCodes.influxWrite, message, retryable);
    this.name = 'InfluxWriteError';
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Retry-After is seconds (or an HTTP date) per RFC 9110. */
export function parseRetryAfter(header: string | null | undefined): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}
