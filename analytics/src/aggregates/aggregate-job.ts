import { measurements, tags, type Funnel, type SubjectKind } from '@parcours/contracts';
import type { InfluxPoint } from '@parcours/gateway';
import type { Logger } from 'pino';
import type { ResultWriter } from '../output/result-writer.js';
import { computeFunnel, type Occurrence } from '../funnels/funnel-counter.js';
import { funnelPoints } from '../funnels/funnel-points.js';
import { lifecyclePoints, retentionPoints } from '../retention/retention-points.js';
import { dayMs, dayOf, weekMs, weekNumber, weekOf, weekStart } from '../calendar.js';
import { computeRetention, retentionCells } from '../retention/weekly-retention.js';
import { aggregateActivity } from './activity.js';
import { activityPoint, transitionPoint, usageHourPoint, usageSharePoints } from './aggregate-output.js';
import type { AggregateStore } from './aggregate-store.js';
import type { StaleDay } from './stale-days.js';
import { weightedActivityPoints, type WeightedScheme } from './weighted-points.js';
import type { WeightedSample } from '../weighted/weighted-figures.js';
import { aggregateTransitions } from './transitions.js';
import { aggregateUsageHours } from './usage-hours.js';
import { aggregateSharedUsage } from './usage-shares.js';

export interface AggregateJobDeps {
  store: AggregateStore;
  writer: ResultWriter;
  intervalMs: number;
  /** Retention and lifecycle read every session: they are recomputed at this slower pace. */
  retentionIntervalMs: number;
  funnels: readonly Funnel[];
  funnelOccurrences: (funnel: Funnel, from: number, to: number) => Occurrence[];
  /** `SessionStore.activeWeeks`. */
  activeWeeks: (kind: SubjectKind, lowWeek: number, highWeek: number) => { subjectId: string; week: number; first: number }[];
  individualType: (individualId: string) => string | null;
  /** The weighting schemes whose latest version has a stored run, whose `weighted_activity` each recomputed day gets. */
  weightedSchemes: () => readonly WeightedScheme[];
  logger: Logger;
}

/** How many weeks after its first one a cohort's retention is followed in InfluxDB. */
const retentionWeeks = 52;

/** How far around a scheme's date, and back from now, a new run of it rewrites its weighted points. */
const reweighedMs = 35 * dayMs;

/** How long `stop()` lets a last run retry an unreachable InfluxDB: its days stay stale for the next start. */
const stopGraceMs = 5_000;

/**
 * Keeps the aggregates in InfluxDB (`transition`, `activity`, `usage_share`, `usage_hour`, `funnel`, `retention`,
 * `lifecycle`, `weighted_activity`) in step with the store: the session and journey stores mark the days they change
 * (stale-days.ts), as does a weighting scheme's new run (`reweigh`); every interval, each stale day's points, and its
 * ISO week's, are recomputed from the store and replace the earlier ones. A mark is cleared only if it was not renewed
 * meanwhile, so a change during a run is handled by the next one. The days' weeks then wait, marked, for the slower
 * retention run.
 */
export class AggregateJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private abort = new AbortController();
  private lastRetention = 0;

  constructor(private readonly deps: AggregateJobDeps) {}

  start(): void {
    this.abort = new AbortController();
    this.timer = setInterval(() => {
      this.schedule(Date.now() - this.lastRetention >= this.deps.retentionIntervalMs).catch((error: unknown) =>
        this.deps.logger.warn({ err: error }, 'aggregates not updated; their days stay stale and are retried'),
      );
    }, this.deps.intervalMs);
  }

  /** Recomputes the stale days and weeks now (after the run in progress, if any). */
  flush(): Promise<void> {
    return this.schedule(true);
  }

  private schedule(withRetention: boolean): Promise<void> {
    return this.inTurn(() => this.run(this.abort.signal, withRetention));
  }

  /** Runs `task` after the run in progress and before the next, which then sees the days it left stale. */
  private inTurn(task: () => Promise<void>): Promise<void> {
    const run = this.running.catch(() => undefined).then(task);
    this.running = run;
    return run;
  }

  /** Replaces a funnel's points of the entry days in `[from, to)` by the store's (a funnel InfluxDB lacks), between two runs. */
  rewriteFunnel(funnel: Funnel, from: number, to: number, signal: AbortSignal): Promise<void> {
    return this.inTurn(async () => {
      for (let day = dayOf(from); day < to; day += dayMs) await this.replaceFunnelDay(funnel, day, signal);
    });
  }

  private async replaceFunnelDay(funnel: Funnel, day: number, signal: AbortSignal): Promise<void> {
    const result = computeFunnel(funnel, day, day + dayMs, this.deps.funnelOccurrences(funnel, day, day + dayMs));
    await this.replace(measurements.funnel, { [tags.funnel]: funnel.name }, day, day + dayMs, funnelPoints(day, result), signal);
  }

  /**
   * A weighting scheme's run stored new weights, for its date `at`: marks stale the days whose `weighted_activity` is
   * to follow them — those within 35 days of `at` (what the weights are made for) and the last 35 days (what the
   * dashboard shows first), none after `now`. Other days keep their points until their sessions change.
   */
  reweigh(at: number, now = Date.now()): void {
    const { store } = this.deps;
    const end = Math.min(at + reweighedMs, now);
    if (at - reweighedMs < end) store.markRange(at - reweighedMs, end);
    store.markRange(now - reweighedMs, now);
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

  private async run(signal: AbortSignal, withRetention: boolean): Promise<void> {
    const { store, writer } = this.deps;
    const stale = store.staleDays();
    // Without InfluxDB there is nothing to rewrite: the API computes the aggregates from the store.
    if (stale.length > 0) {
      if (writer.writesInflux) await this.rewrite(stale, signal);
      store.clearStaleIntoWeeks(stale, [...new Set(stale.map(({ day }) => weekOf(day)))]);
    }
    if (!withRetention) return;
    this.lastRetention = Date.now();
    const weeks = store.staleWeeks();
    if (weeks.length === 0) return;
    if (writer.writesInflux) await this.rewriteRetention(weeks, signal);
    store.clearWeeks(weeks);
  }

  /** Replaces a measurement's points in `[from, to)` (of the given tags) by new ones. */
  private replace(measurement: string, scope: Record<string, string>, from: number, to: number, points: InfluxPoint[], signal: AbortSignal): Promise<void> {
    return this.deps.writer.replacePoints({ ranges: [{ measurement, tags: scope, from, to }], points }, signal);
  }

  /** Each stale week's retention cells and lifecycle (and the next week's lifecycle, whose "before" it is), per kind of subject. */
  private async rewriteRetention(weeks: readonly number[], signal: AbortSignal): Promise<void> {
    const numbers = weeks.map(weekNumber);
    const low = Math.min(...numbers) - retentionWeeks - 1;
    const high = Math.max(...numbers) + 1;
    const now = weekNumber(Date.now());
    for (const kind of ['individual', 'collective'] as const) {
      const subjects = new Map<string, { first: number; active: Set<number> }>();
      for (const row of this.deps.activeWeeks(kind, low, high)) {
        const subject = subjects.get(row.subjectId) ?? subjects.set(row.subjectId, { first: row.first, active: new Set() }).get(row.subjectId)!;
        subject.active.add(row.week);
      }
      const activity = [...subjects.values()];
      for (const week of numbers) {
        const start = weekStart(week);
        const scope = { [tags.kind]: kind };
        await this.replace(
          measurements.retention,
          scope,
          start,
          start + weekMs,
          retentionPoints(kind, start, retentionCells(activity, week, retentionWeeks)),
          signal,
        );
        for (const w of [week, week + 1].filter((w) => w <= now)) {
          const [lifecycle] = computeRetention(activity, { firstWeek: w, lastWeek: w, weeks: 0 }).lifecycle;
          await this.replace(measurements.lifecycle, scope, weekStart(w), weekStart(w) + weekMs, lifecyclePoints(kind, lifecycle!), signal);
        }
      }
    }
  }

  /** The weighted schemes' samples, for one run: a scheme that cannot be had is logged and left out. */
  private weightedSamples(): Set<WeightedSample> {
    const samples = new Set<WeightedSample>();
    for (const scheme of this.weighted(null, () => this.deps.weightedSchemes()) ?? []) {
      const sample = this.weighted(scheme, scheme.sample);
      if (sample) samples.add(sample);
    }
    return samples;
  }

  /** What `compute` makes of a scheme's weights, or null when they cannot make it (logged): it never holds the other aggregates back. */
  private weighted<T>(scheme: Pick<WeightedScheme, 'schemeId' | 'version'> | null, compute: () => T): T | null {
    try {
      return compute();
    } catch (error) {
      const which = scheme ? { scheme: scheme.schemeId, version: scheme.version } : {};
      this.deps.logger.warn({ err: error, ...which }, 'weighted activity not written: the weights could not be used');
      return null;
    }
  }

  private async rewrite(stale: readonly StaleDay[], signal: AbortSignal): Promise<void> {
    const { store, individualType } = this.deps;
    const replace = (measurement: string, scope: Record<string, string>, from: number, to: number, points: InfluxPoint[]) =>
      this.replace(measurement, scope, from, to, points, signal);
    const samples = this.weightedSamples();
    for (const { day } of stale) {
      const end = day + dayMs;
      const sessions = store.activitySessions(day, end);
      const measures: [string, Record<string, string>, InfluxPoint[]][] = [
        [measurements.transition, {}, aggregateTransitions(store.journeySteps(day, end)).map((t) => transitionPoint(day, t))],
        [measurements.activity, { [tags.period]: 'day' }, aggregateActivity(sessions, 'day', individualType).map(activityPoint)],
        [measurements.usageShare, {}, aggregateSharedUsage(store.sharedSessions(day, end)).flatMap((usage) => usageSharePoints(day, usage))],
        [measurements.usageHour, {}, aggregateUsageHours(sessions).map(usageHourPoint)],
      ];
      for (const [measurement, scope, points] of measures) await replace(measurement, scope, day, end, points);
      for (const sample of [...samples]) {
        const points = this.weighted(sample, () => weightedActivityPoints(sample, day, sessions));
        if (points) await replace(measurements.weightedActivity, { [tags.scheme]: sample.schemeId, [tags.version]: String(sample.version) }, day, end, points);
        else samples.delete(sample);
      }
    }
    for (const week of new Set(stale.map(({ day }) => weekOf(day)))) {
      const end = week + weekMs;
      const points = aggregateActivity(store.activitySessions(week, end), 'week', individualType).map(activityPoint);
      await replace(measurements.activity, { [tags.period]: 'week' }, week, end, points);
    }
    // A funnel entered on a day counts what follows within its window: a changed day changes the
    // funnels entered up to a window before it.
    for (const funnel of this.deps.funnels) {
      const entryDays = new Set(stale.flatMap(({ day }) => Array.from({ length: Math.ceil(funnel.window / dayMs) + 1 }, (_, k) => day - k * dayMs)));
      for (const day of entryDays) await this.replaceFunnelDay(funnel, day, signal);
    }
  }
}
