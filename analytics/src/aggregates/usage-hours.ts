import { hourMs } from '../calendar.js';
import type { ActivitySession } from './activity.js';
import { compare } from './transitions.js';

export interface UsageHour {
  /** The UTC hour the sessions started in. */
  start: number;
  subjectType: string | null;
  deviceType: string;
  sessions: number;
}

/** ISO day of the week of a UTC instant: 1 for Monday … 7 for Sunday. */
export function isoWeekday(ms: number): number {
  return ((new Date(ms).getUTCDay() + 6) % 7) + 1;
}

/**
 * Sessions per UTC hour of their start, owner's subject type and device type, each session once (unlike
 * `activity`, which also counts it for its actor): what a time-of-day × day-of-week view sums, since
 * InfluxQL cannot group by the hour of the day itself.
 */
export function aggregateUsageHours(sessions: Iterable<Pick<ActivitySession, 'deviceType' | 'subjectType' | 'start'>>): UsageHour[] {
  const groups = new Map<string, UsageHour>();
  for (const session of sessions) {
    const start = Math.floor(session.start / hourMs) * hourMs;
    const key = JSON.stringify([start, session.subjectType, session.deviceType]);
    const group = groups.get(key) ?? { start, subjectType: session.subjectType, deviceType: session.deviceType, sessions: 0 };
    group.sessions += 1;
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => a.start - b.start || compare(a.subjectType ?? '', b.subjectType ?? '') || compare(a.deviceType, b.deviceType));
}
