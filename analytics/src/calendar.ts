/** UTC calendar arithmetic of the aggregates and retention: hours, days, and ISO weeks (Monday 00:00 UTC). */

export const hourMs = 3_600_000;
export const dayMs = 24 * hourMs;
export const weekMs = 7 * dayMs;
/** 1970-01-01 was a Thursday: the ISO week containing the epoch started three days before it. */
export const epochWeekOffset = 3 * dayMs;

/** Start of the UTC day of `ms`. */
export function dayOf(ms: number): number {
  return Math.floor(ms / dayMs) * dayMs;
}

/** The number of the ISO week containing `ms`, counted from the epoch's week (SQL: `SessionStore.activeWeeks`). */
export function weekNumber(ms: number): number {
  return Math.floor((ms + epochWeekOffset) / weekMs);
}

/** Start of the ISO week of that number. */
export function weekStart(week: number): number {
  return week * weekMs - epochWeekOffset;
}

/** Start of the ISO week containing `ms`. */
export function weekOf(ms: number): number {
  return weekStart(weekNumber(ms));
}
