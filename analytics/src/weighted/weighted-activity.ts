import type { ActivityPeriod, WeightedActivity } from '@parcours/contracts';
import { periodStart, type ActivitySession } from '../aggregates/activity.js';
import { compare } from '../aggregates/transitions.js';
import { sessionUser } from '../journeys/journey-builder.js';
import type { WeightedFigures } from './weighted-figures.js';

/**
 * Activity of the population per period and device type (and, if `everyType`, over every device type: `deviceType` null): the
 * people active, their share, and their sessions — each member counting the sessions of their own devices and
 * those they used as reported actor, as activity counts individuals. `starts` lists every period of the range,
 * so that a period nobody in the sample was active in still has its figures (zero, with their uncertainty).
 */
export function weightedActivity(
  sessions: Iterable<ActivitySession>,
  period: ActivityPeriod,
  starts: readonly number[],
  figures: WeightedFigures,
  everyType: boolean,
): WeightedActivity[] {
  const groups = new Map<string, { active: Float64Array; sessions: Float64Array }>();
  const deviceTypes = new Set<string | null>(everyType ? [null] : []);
  const group = (start: number, deviceType: string | null) => {
    const key = `${start}\u0000${deviceType}`;
    let found = groups.get(key);
    if (!found) groups.set(key, (found = { active: figures.zeros(), sessions: figures.zeros() }));
    return found;
  };
  for (const session of sessions) {
    const start = periodStart[period](session.start);
    const owner = figures.position(session.subjectId);
    const user = sessionUser(session) === session.subjectId ? undefined : figures.position(sessionUser(session));
    if (owner === undefined && user === undefined) continue;
    deviceTypes.add(session.deviceType);
    for (const deviceType of everyType ? [null, session.deviceType] : [session.deviceType]) {
      const g = group(start, deviceType);
      for (const k of [owner, user]) {
        if (k === undefined) continue;
        g.active[k] = 1;
        g.sessions[k]! += 1;
      }
    }
  }
  const types = [...deviceTypes].sort((a, b) => (a === null ? -1 : b === null ? 1 : compare(a, b)));
  return starts.flatMap((start) =>
    types.map((deviceType) => {
      const g = group(start, deviceType);
      return {
        period,
        start,
        deviceType,
        activeSubjects: figures.total(g.active),
        activeShare: figures.share(g.active)!,
        sessions: figures.total(g.sessions),
      };
    }),
  );
}
