import type { Logger } from 'pino';
import { weekMs, weekOf } from '../calendar.js';
import type { InfluxPositions } from './influx-positions.js';

/** One derived output InfluxDB holds, and how its points of a time range are rewritten from the store. */
export interface DerivedOutput {
  name: string;
  /** What its points follow besides the store (a funnel's steps): another definition writes it again. */
  definition: string;
  /** Replaces its points of the results starting in `[from, to)` by the store's. */
  rewrite(from: number, to: number, signal: AbortSignal): Promise<void>;
}

export interface InfluxCatchUpDeps {
  positions: InfluxPositions;
  outputs: readonly DerivedOutput[];
  /** The times of the store's results and log records, from the oldest to the newest; null when there are none. */
  span: () => { from: number; to: number } | null;
  logger: Logger;
}

/** After a failed rewrite (InfluxDB refusing for good, say), how long before trying again from the position. */
const retryPauseMs = 5_000;

/**
 * Writes to InfluxDB the derived results it does not have: those committed while Parcours ran without
 * InfluxDB, and a funnel declared since. Each output goes week by week through the store's span, its
 * position committed after each week, so a restart resumes there; once through, it is complete and the
 * jobs, which write every result they commit, keep it in step. Results committed meanwhile are written by
 * the jobs too, so the span known at the start is enough.
 */
export class InfluxCatchUp {
  private abort = new AbortController();
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly deps: InfluxCatchUpDeps) {}

  start(): void {
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error('stopping'));
    await this.loop;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { positions, outputs, logger } = this.deps;
    positions.keepOnly(outputs.map((o) => o.name));
    for (const output of outputs) {
      while (!signal.aborted) {
        try {
          await this.catchUp(output, signal);
          break;
        } catch (error) {
          if (signal.aborted) return;
          logger.error({ err: error, output: output.name }, 'catching InfluxDB up with the store failed; retrying from its position');
          await new Promise((resolve) => setTimeout(resolve, retryPauseMs));
        }
      }
    }
  }

  private async catchUp(output: DerivedOutput, signal: AbortSignal): Promise<void> {
    const { positions, logger } = this.deps;
    const { name, definition } = output;
    const known = positions.get(name);
    const position = known?.definition === definition ? known : null;
    if (position?.complete) return;
    const span = this.deps.span();
    let from = position?.writtenTo ?? (span ? weekOf(span.from) : 0);
    if (span && from < span.to) logger.info({ output: name, from: new Date(from).toISOString() }, 'writing derived results to InfluxDB from the store');
    for (; span && from < span.to; from += weekMs) {
      signal.throwIfAborted();
      await output.rewrite(from, from + weekMs, signal);
      positions.set(name, { definition, writtenTo: from + weekMs, complete: false });
    }
    positions.set(name, { definition, writtenTo: from, complete: true });
  }
}
