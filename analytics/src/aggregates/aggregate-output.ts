import { measurements, noneTag, tags, type Activity, type SharedUsage, type Transition } from '@parcours/contracts';
import type { InfluxPoint } from '@parcours/gateway';
import { isoWeekday, type UsageHour } from './usage-hours.js';

/** The `transition` point of one day: keyed by its tags and the day's start, so a recomputation overwrites it. */
export function transitionPoint(day: number, t: Transition): InfluxPoint {
  return {
    measurement: measurements.transition,
    tags: { [tags.subjectType]: t.subjectType ?? noneTag, [tags.fromType]: t.fromType, [tags.toType]: t.toType },
    fields: { gap_s: t.medianGapS },
    intFields: { count: t.count },
    timestampMs: day,
  };
}

/** The `activity` point of a day or week, at its start; `period` keeps the two apart. */
export function activityPoint(a: Activity): InfluxPoint {
  return {
    measurement: measurements.activity,
    tags: { [tags.subjectType]: a.subjectType ?? noneTag, [tags.deviceType]: a.deviceType, [tags.period]: a.period },
    fields: {},
    intFields: { active_subjects: a.activeSubjects, active_devices: a.activeDevices, sessions: a.sessions },
    timestampMs: a.start,
  };
}

/** The `usage_share` points of one device's day: one per reported actor, per inferred actor, and the unattributed rest. */
export function usageSharePoints(day: number, usage: SharedUsage): InfluxPoint[] {
  const point = (actor: string, source: string, share: { sessions: number; durationS: number; share: number }): InfluxPoint => ({
    measurement: measurements.usageShare,
    tags: { [tags.device]: usage.deviceId, [tags.deviceType]: usage.deviceType, [tags.subject]: usage.subjectId, [tags.actor]: actor, [tags.source]: source },
    fields: { duration_s: share.durationS, share: share.share },
    intFields: { sessions: share.sessions },
    timestampMs: day,
  });
  return [
    ...usage.reported.map((m) => point(m.actor, 'reported', m)),
    ...usage.inferred.map((m) => point(m.actor, 'inferred', m)),
    ...(usage.unattributed.sessions > 0 ? [point(noneTag, 'none', usage.unattributed)] : []),
  ];
}

/**
 * The `usage_hour` point of one UTC hour, at its start. `weekday` (1 = Monday … 7) and `hour` (`00`…`23`,
 * UTC) follow from the time, so they add no series beyond 168 per subject type and device type; they are
 * tags because InfluxQL groups by tags only.
 */
export function usageHourPoint(u: UsageHour): InfluxPoint {
  return {
    measurement: measurements.usageHour,
    tags: {
      [tags.subjectType]: u.subjectType ?? noneTag,
      [tags.deviceType]: u.deviceType,
      [tags.weekday]: String(isoWeekday(u.start)),
      [tags.hour]: String(new Date(u.start).getUTCHours()).padStart(2, '0'),
    },
    fields: {},
    intFields: { sessions: u.sessions },
    timestampMs: u.start,
  };
}
