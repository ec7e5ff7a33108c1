import { crashPoint } from '@parcours/contracts';
import { replaceRanges, type Database, type DeleteRange, type InfluxPoint, type InfluxWriter } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { Outbox, OutboxMessage } from '../outbox/outbox.js';
import type { InfluxPositions } from './influx-positions.js';

/** What new results change in the outputs: the InfluxDB series and ranges they replace, their points, and what integrators are told. */
export interface ResultChange {
  /** Deleted before the points are written: the earlier versions of the results, whatever their tags. */
  ranges: readonly DeleteRange[];
  points: InfluxPoint[];
  /** Announcements (`result-updates.ts`), queued in the transaction that commits the results. */
  messages: readonly OutboxMessage[];
}

export interface ResultWriterDeps {
  db: Database;
  influx: InfluxWriter | null;
  outbox: Outbox;
  /** Told, with the first commit without InfluxDB, that InfluxDB is now behind the store. */
  positions: InfluxPositions;
  /** Told after a commit that queued messages: the relay publishes them now rather than at its next interval. */
  onQueued: () => void;
  /** Told of the announcements inside the transaction that commits them: what it stores there is kept or lost with them. */
  onAnnounced?: (messages: readonly OutboxMessage[]) => void;
  logger: Logger;
}

/**
 * The one way every analytics job, streaming or batch, replaces its results in the outputs. InfluxDB
 * first (`replacePoints`): it may fail and be retried, and a job that fails there commits nothing. Then
 * `commit`: the store's change and the announcements in one SQLite transaction, so integrators hear of
 * exactly what was committed, even across a crash; the outbox relay publishes them.
 */
export class ResultWriter {
  /** Whether InfluxDB's positions have been forgotten (once is enough: nothing here sets them again). */
  private influxBehind = false;

  constructor(private readonly deps: ResultWriterDeps) {}

  /** Whether there is an InfluxDB to write to: without one, jobs need not compute their points. */
  get writesInflux(): boolean {
    return this.deps.influx !== null;
  }

  /** Replaces the change's ranges by its points in InfluxDB (nothing without InfluxDB); refused points are logged, the results stay in the store. */
  async replacePoints(change: Pick<ResultChange, 'ranges' | 'points'>, signal?: AbortSignal): Promise<void> {
    const { influx, logger } = this.deps;
    if (!influx) return;
    await replaceRanges(
      influx,
      change.ranges,
      [change.points],
      (point, error) => logger.error({ point, reason: error.message }, 'InfluxDB refused a result point; the result stays in the store'),
      signal,
    );
  }

  /**
   * Queues the messages and runs `store` (the store's change, transactional or not) in one transaction.
   * `store` runs last: it may end by swapping a job's state in memory, which a failure before must not leave swapped.
   */
  commit(store: () => void, messages: readonly OutboxMessage[]): void {
    const { db, outbox, onQueued, onAnnounced, influx, positions } = this.deps;
    if (messages.length > 0) crashPoint('analytics-before-commit');
    const withoutInflux = influx === null && !this.influxBehind;
    db.transaction(() => {
      if (messages.length > 0) {
        outbox.add(messages);
        onAnnounced?.(messages);
      }
      // Committed together: a result InfluxDB misses is never taken for written.
      if (withoutInflux) positions.forgetAll();
      store();
    })();
    if (withoutInflux) this.influxBehind = true;
    if (messages.length === 0) return;
    crashPoint('analytics-after-commit');
    onQueued();
  }

  /** `replacePoints`, then `commit`: for a job whose whole change is one step. */
  async replace(change: ResultChange, store: () => void, signal?: AbortSignal): Promise<void> {
    await this.replacePoints(change, signal);
    this.commit(store, change.messages);
  }
}
