import { measurements, tags } from '@parcours/contracts';
import { writeIsolatingRefused, type InfluxPoint, type InfluxWriter } from '@parcours/gateway';
import type { Logger } from 'pino';
import { aggregateActivity } from './activity.js';
import { activityPoint, transitionPoint, usageHourPoint, usageSharePoints } from './aggregate-output.js';
import type { AggregateStore } from './aggregate-store.js';
import { dayMs, weekMs, weekOf, type StaleDay } from './stale-days.js';
import { aggregateTransitions } from './transitions.js';
import { aggregateUsageHours } from './usage-hours.js';
import { aggregateSharedUsage } from './usage-shares.js';

export interface AggregateJobDeps {
  store: AggregateStore;
  influx: InfluxWriter | null;
  intervalMs: number;
  individualType: (individualId: string) => string | null;
  logger: Logger;
}

/** How long `stop()` lets a last run retry an unreachable InfluxDB: its days stay stale for the next start. */
const stopGraceMs = 5_000;

/**
 * Keeps the aggregates in InfluxDB (`transition`, `activity`, `usage_share`, `usage_hour`) in step with the store: the
 * session and journey stores mark the days they change (stale-days.ts); every interval, each stale day's
 * points, and its ISO week's, are recomputed from the store and replace the earlier ones. A mark is
 * cleared only if it was not renewed meanwhile, so a change during a run is handled by the next one.
 */
export class AggregateJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private abort = new AbortController();

  constructor(private readonly deps: AggregateJobDeps) {}

  start(): void {
    this.abort = new AbortController();
    this.timer = setInterval(() => {
      this.flush().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'aggregates not updated; their days stay stale and are retried'));
    }, this.deps.intervalMs);
  }

  /** Recomputes the stale days now (after the run in progress, if any). */
  flush(): Promise<void> {
    const run = this.running.catch(() => undefined).then(() => this.run(this.abort.signal));
    this.running = run;
    return run;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const grace = setTimeout(() => this.abort.abort(new Error('stopping')), stopGraceMs);
    try {
      await this.flush();
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'aggregates not updated before stopping; their days stay stale');
    } finally {
      clearTimeout(grace);
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { store, influx } = this.deps;
    const stale = store.staleDays();
    if (stale.length === 0) return;
    // Without InfluxDB there is nothing to rewrite: the API computes the aggregates from the store.
    if (influx) await this.rewrite(influx, stale, signal);
    store.clearStale(stale);
  }

  private async rewrite(influx: InfluxWriter, stale: readonly StaleDay[], signal: AbortSignal): Promise<void> {
    const { store, individualType, logger } = this.deps;
    const replace = async (measurement: string, scope: Record<string, string>, from: number, to: number, points: InfluxPoint[]) => {
      await influx.deleteRange({ measurement, tags: scope, from, to }, { signal });
      if (points.length === 0) return;
      await writeIsolatingRefused(influx, points, (point, error) => logger.error({ point, reason: error.message }, 'InfluxDB refused an aggregate point'), signal);
    };
    for (const { day } of stale) {
      const end = day + dayMs;
      await replace(measurements.transition, {}, day, end, aggregateTransitions(store.journeySteps(day, end)).map((t) => transitionPoint(day, t)));
      await replace(measurements.activity, { [tags.period]: 'day' }, day, end, aggregateActivity(store.activitySessions(day, end), 'day', individualType).map(activityPoint));
      await replace(measurements.usageShare, {}, day, end, aggregateSharedUsage(store.sharedSessions(day, end)).flatMap((usage) => usageSharePoints(day, usage)));
      await replace(measurements.usageHour, {}, day, end, aggregateUsageHours(store.activitySessions(day, end)).map(usageHourPoint));
    }
    for (const week of new Set(stale.map(({ day }) => weekOf(day)))) {
      const end = week + weekMs;
      await replace(measurements.activity, { [tags.period]: 'week' }, week, end, aggregateActivity(store.activitySessions(week, end), 'week', individualType).map(activityPoint));
    }
  }
}
