import type { Survey } from '@parcours/contracts';
import { instantOfLocal, localClock, nextDate } from './zone-clock.js';

export type QuietHours = NonNullable<Survey['quietHours']>;

const minuteOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/**
 * When the quiet hours holding `instant` end, in the person's time zone: null when the instant is outside them.
 * From 22:00 to 07:00 runs past midnight; equal times make no quiet hours at all. The end is the first time the
 * clock reads `to` after the instant, so a change of clocks in the night lengthens or shortens the rest, never
 * the time of day it ends.
 */
export function quietHoursEnd(quiet: QuietHours, timeZone: string, instant: number): number | null {
  const from = minuteOf(quiet.from);
  const to = minuteOf(quiet.to);
  if (from === to) return null;
  const { date, minute } = localClock(timeZone, instant);
  const quietNow = from < to ? minute >= from && minute < to : minute >= from || minute < to;
  if (!quietNow) return null;
  const endDate = from > to && minute >= from ? nextDate(date) : date;
  return instantOfLocal(timeZone, endDate, to, instant);
}
