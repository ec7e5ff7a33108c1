import type { PartHealth } from '@parcours/contracts';
import type { Logger } from 'pino';

/**
 * A part of a running Parcours: built whole by its constructor (no I/O), `start()` does the I/O (listens,
 * follows the log, starts timers) and `stop()` undoes it. `stop()` must also undo a `start()` that failed
 * halfway, since that part is stopped too before the failure is reported.
 */
export interface Part {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Its real state for `/healthz`; parts without one are healthy while started. */
  health?(): PartHealth;
}

export interface NamedPart {
  name: string;
  part: Part;
}

/** Why a part did not start; the parts started before it were stopped again. */
export class PartStartError extends Error {
  constructor(
    readonly partName: string,
    cause: unknown,
  ) {
    super(`${partName} did not start: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PartStartError';
  }
}

/**
 * Starts the parts in order. If one fails, it and every part started before it are stopped, in reverse
 * order, and the failure is thrown: nothing is left running (a listener open, a timer, a log reader).
 */
export async function startInOrder(parts: readonly NamedPart[], logger: Logger): Promise<void> {
  const started: NamedPart[] = [];
  for (const named of parts) {
    try {
      await named.part.start();
      started.push(named);
    } catch (error) {
      // Already logged part by part; the start failure is the one to report.
      await stopInReverse([...started, named], logger).catch(() => undefined);
      throw new PartStartError(named.name, error);
    }
  }
}

/** Stops the parts in reverse order; one failing to stop does not keep the others running. */
export async function stopInReverse(parts: readonly NamedPart[], logger: Logger): Promise<void> {
  const failures: unknown[] = [];
  for (const { name, part } of [...parts].reverse()) {
    try {
      await part.stop();
    } catch (error) {
      logger.error({ err: error, part: name }, 'a part failed to stop');
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, `${failures.length} part(s) failed to stop`);
}
