import type { Activity, ActivityPeriod, UsageSession } from '@parcours/contracts';
import { sessionUser } from '../journeys/journey-builder.js';
import { dayOf, weekOf } from '../calendar.js';
import { compare } from './transitions.js';

export type ActivitySession = Pick<UsageSession, 'id' | 'deviceId' | 'deviceType' | 'subjectId' | 'subjectType' | 'actor' | 'start'>;

export const periodStart: Record<ActivityPeriod, (ms: number) => number> = { day: dayOf, week: weekOf };

/**
 * Activity per period (of each session's start), subject type and device type. A session counts for its
 * owner under the owner's type and, as in journeys (`sessionUser`), for its reported actor under the
 * actor's type: distinct subjects and devices, and sessions (one session once per group). Sessions of
 * unassigned devices count under a null subject type, with no subject.
 */
export function aggregateActivity(sessions: Iterable<ActivitySession>, period: ActivityPeriod, individualType: (id: string) => string | null): Activity[] {
  const groups = new Map<
    string,
    { start: number; subjectType: string | null; deviceType: string; subjects: Set<string>; devices: Set<string>; sessions: Set<string> }
  >();
  const count = (session: ActivitySession, subjectType: string | null, subjectId: string | null) => {
    const start = periodStart[period](session.start);
    const key = JSON.stringify([start, subjectType, session.deviceType]);
    const group = groups.get(key) ?? { start, subjectType, deviceType: session.deviceType, subjects: new Set(), devices: new Set(), sessions: new Set() };
    if (subjectId !== null) group.subjects.add(subjectId);
    group.devices.add(session.deviceId);
    group.sessions.add(session.id);
    groups.set(key, group);
  };
  for (const session of sessions) {
    const user = sessionUser(session);
    count(session, session.subjectType, session.subjectId);
    if (user !== null && user !== session.subjectId) count(session, individualType(user), user);
  }
  return [...groups.values()]
    .map((g) => ({
      period,
      start: g.start,
      subjectType: g.subjectType,
      deviceType: g.deviceType,
      activeSubjects: g.subjects.size,
      activeDevices: g.devices.size,
      sessions: g.sessions.size,
    }))
    .sort((a, b) => a.start - b.start || compare(a.subjectType ?? '', b.subjectType ?? '') || compare(a.deviceType, b.deviceType));
}
