import { weekStart } from '../calendar.js';
import type { RetentionResult } from '@parcours/contracts';

/** The weeks in which one subject was active (some of them at least), and its first active week ever. */
export interface SubjectActivity {
  first: number;
  active: ReadonlySet<number>;
}

export interface RetentionRange {
  /** First and last week of the range, inclusive. */
  firstWeek: number;
  lastWeek: number;
  /** How many weeks after its first one each cohort is followed. */
  weeks: number;
}

/**
 * Weekly cohorts of first use in the range (the weeks that have one), followed `weeks` weeks, and the lifecycle of each week
 * (PostHog's: new, returning, resurrecting, dormant). `active` must hold the subject's active weeks from
 * the week before the range to `weeks` after its last week; `first` is over all time.
 */
export function computeRetention(subjects: readonly SubjectActivity[], range: RetentionRange): Pick<RetentionResult, 'cohorts' | 'lifecycle'> {
  const cohorts: RetentionResult['cohorts'] = [];
  const lifecycle: RetentionResult['lifecycle'] = [];
  for (let week = range.firstWeek; week <= range.lastWeek; week++) {
    const cohort = subjects.filter((s) => s.first === week);
    if (cohort.length > 0)
      cohorts.push({
        week: weekStart(week),
        size: cohort.length,
        retained: Array.from({ length: range.weeks + 1 }, (_, offset) => {
          const active = cohort.filter((s) => s.active.has(week + offset)).length;
          return { weekOffset: offset, week: weekStart(week + offset), active, share: active / cohort.length };
        }),
      });
    const counts = { new: 0, returning: 0, resurrecting: 0, dormant: 0 };
    for (const s of subjects) {
      const status = lifecycleStatus(s, week);
      if (status) counts[status]++;
    }
    lifecycle.push({ week: weekStart(week), ...counts });
  }
  return { cohorts, lifecycle };
}

export type LifecycleStatus = 'new' | 'returning' | 'resurrecting' | 'dormant';

/** A subject's lifecycle status in a week; null when it was active neither that week nor the week before. */
export function lifecycleStatus(s: SubjectActivity, week: number): LifecycleStatus | null {
  const now = s.active.has(week);
  const before = s.active.has(week - 1);
  if (now && s.first === week) return 'new';
  if (now && before) return 'returning';
  if (now && s.first < week) return 'resurrecting';
  if (!now && before) return 'dormant';
  return null;
}

/** How many of one cohort were active in a given week. */
export interface RetentionCell {
  /** The cohort's week start (ms). */
  cohort: number;
  weekOffset: number;
  size: number;
  active: number;
}

/**
 * The retention cells of one week (a column of the cohort table seen from its activity week): for each
 * cohort of the `maxOffset` weeks up to it, its size and how many of it were active that week.
 */
export function retentionCells(subjects: readonly SubjectActivity[], week: number, maxOffset: number): RetentionCell[] {
  const cells: RetentionCell[] = [];
  for (let offset = 0; offset <= maxOffset; offset++) {
    const cohort = subjects.filter((s) => s.first === week - offset);
    if (cohort.length === 0) continue;
    cells.push({ cohort: weekStart(week - offset), weekOffset: offset, size: cohort.length, active: cohort.filter((s) => s.active.has(week)).length });
  }
  return cells;
}
