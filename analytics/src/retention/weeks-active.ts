import { weekNumber } from '../calendar.js';
import type { SessionStore } from '../sessions/session-store.js';

/**
 * Per individual, in how many of the `weeks` whole ISO weeks before the week of `at` they had a counted
 * session start, as retention counts them (`SessionStore.activeWeeks`). The week of `at` is left out: it
 * is not over (and what follows `at` in it must not count); from a Monday 00:00, `weeks` weeks end at `at`.
 */
export function weeksActiveBefore(activeWeeks: SessionStore['activeWeeks'], weeks: number, at: number): Map<string, number> {
  const lastWeek = weekNumber(at) - 1;
  const counts = new Map<string, number>();
  // One row per subject and active week.
  for (const row of activeWeeks('individual', lastWeek - weeks + 1, lastWeek)) counts.set(row.subjectId, (counts.get(row.subjectId) ?? 0) + 1);
  return counts;
}
