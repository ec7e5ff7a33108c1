import type { UsageSession } from '@parcours/contracts';
import type { Database } from '@parcours/gateway';
import { dayMs, dayOf } from '../calendar.js';
import { clearStaleDays, listStaleDays, markStaleDays, type StaleDay } from './stale-days.js';
import type { SubjectJourneySteps } from './transitions.js';
import type { ActivitySession } from './activity.js';
import type { ShareSession } from './usage-shares.js';

/** The reads of the aggregates: stored journeys with their steps, sessions, and the stale days. */
export class AggregateStore {
  constructor(private readonly db: Database) {}

  /** Closed journeys starting in `[from, to)` with their steps (the sessions, in the journey's order). */
  journeySteps(from: number, to: number, subjectType?: string): SubjectJourneySteps[] {
    const rows = this.db
      .prepare<[object], { id: string; subject_id: string; subject_type: string | null; device_type: string; start: number; end: number }>(
        `SELECT j.id, j.subject_id, j.subject_type, s.device_type, s.start, s.end
         FROM journeys j, json_each(j.sessions) step JOIN usage_sessions s ON s.id = step.value
         WHERE j.start >= @from AND j.start < @to AND (@subjectType IS NULL OR j.subject_type = @subjectType)
         ORDER BY j.id, step.key`,
      )
      .all({ from, to, subjectType: subjectType ?? null });
    const journeys = new Map<string, SubjectJourneySteps & { steps: SubjectJourneySteps['steps'][number][] }>();
    for (const r of rows) {
      const journey = journeys.get(r.id) ?? { subjectId: r.subject_id, subjectType: r.subject_type, steps: [] };
      journey.steps.push({ deviceType: r.device_type, start: r.start, end: r.end });
      journeys.set(r.id, journey);
    }
    return [...journeys.values()];
  }

  /** Sessions starting in `[from, to)`, of one device type if given. */
  activitySessions(from: number, to: number, deviceType?: string): ActivitySession[] {
    return this.db
      .prepare<
        [object],
        { id: string; device_id: string; device_type: string; subject_id: string | null; subject_type: string | null; actor: string | null; start: number }
      >(
        `SELECT id, device_id, device_type, subject_id, subject_type, actor, start FROM usage_sessions
         WHERE start >= @from AND start < @to AND (@deviceType IS NULL OR device_type = @deviceType)`,
      )
      .all({ from, to, deviceType: deviceType ?? null })
      .map((r) => ({
        id: r.id,
        deviceId: r.device_id,
        deviceType: r.device_type,
        subjectId: r.subject_id,
        subjectType: r.subject_type,
        actor: r.actor,
        start: r.start,
      }));
  }

  /** Sessions of collectives' devices starting in `[from, to)`, of one device or collective if given. */
  sharedSessions(from: number, to: number, filter: { device?: string | undefined; subject?: string | undefined } = {}): ShareSession[] {
    return this.db
      .prepare<
        [object],
        { device_id: string; device_type: string; subject_id: string; actor: string | null; inferred_actor: string | null; duration_s: number }
      >(
        `SELECT device_id, device_type, subject_id, actor, inferred_actor, duration_s FROM usage_sessions
         WHERE start >= @from AND start < @to AND subject_kind = 'collective'
           AND (@device IS NULL OR device_id = @device) AND (@subject IS NULL OR subject_id = @subject)`,
      )
      .all({ from, to, device: filter.device ?? null, subject: filter.subject ?? null })
      .map((r) => ({
        deviceId: r.device_id,
        deviceType: r.device_type,
        subjectId: r.subject_id,
        subjectKind: 'collective' as UsageSession['subjectKind'],
        actor: r.actor,
        inferredActor: r.inferred_actor,
        durationS: r.duration_s,
      }));
  }

  /** Marks stale every UTC day that `[from, to)` touches; returns how many. */
  markRange(from: number, to: number): number {
    const days = Array.from({ length: Math.ceil((to - dayOf(from)) / dayMs) }, (_, k) => dayOf(from) + k * dayMs);
    this.db.transaction(() => markStaleDays(this.db, days))();
    return days.length;
  }

  staleDays(): StaleDay[] {
    return listStaleDays(this.db);
  }

  /** Clears the handled stale days (unless marked again since) and marks their weeks stale for retention, in one transaction. */
  clearStaleIntoWeeks(handled: readonly StaleDay[], weeks: readonly number[]): void {
    const mark = this.db.prepare('INSERT OR IGNORE INTO stale_weeks (week) VALUES (?)');
    this.db.transaction(() => {
      for (const week of weeks) mark.run(week);
      clearStaleDays(this.db, handled);
    })();
  }

  /** Weeks (their Monday, ms) whose retention and lifecycle are to be recomputed. */
  staleWeeks(): number[] {
    return this.db
      .prepare<[], { week: number }>('SELECT week FROM stale_weeks ORDER BY week')
      .all()
      .map((r) => r.week);
  }

  clearWeeks(weeks: readonly number[]): void {
    const clear = this.db.prepare('DELETE FROM stale_weeks WHERE week = ?');
    this.db.transaction(() => {
      for (const week of weeks) clear.run(week);
    })();
  }
}
