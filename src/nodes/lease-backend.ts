import type { LeaseClaim } from './lease-claim.js';

/**
 * Where the ingest lease is kept: the one thing the nodes of a deployment share (Redis in an embedded
 * cluster, the external broker otherwise). At most one claim holds it at a time.
 */
export interface LeaseBackend {
  /** Where the lease is kept, without credentials, for messages (`redis://127.0.0.1:6379`). */
  readonly where: string;
  open(): Promise<void>;
  /** Takes the lease for `claim` when it is free and returns null; otherwise returns the holder's claim. */
  acquire(claim: LeaseClaim): Promise<LeaseClaim | null>;
  /** Resolves when the lease may have changed hands since the last `acquire`; rejects when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void>;
  /** Keeps the lease taken by the last `acquire`; `onLost` once, if it can no longer be sure it holds it. */
  keep(onLost: (reason: string) => void): void;
  /** Releases the lease if it still holds it, and closes its connections. */
  close(): Promise<void>;
}

/** A URL without its user name and password, for messages. */
export function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', abort, { once: true });
  });
}
