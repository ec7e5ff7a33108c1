import { allTag, measurements, tags, type WeightedActivity } from '@parcours/contracts';
import type { InfluxPoint } from '@parcours/gateway';
import { weightedActivity } from '../weighted/weighted-activity.js';
import { WeightedFigures, type WeightedSample } from '../weighted/weighted-figures.js';
import type { ActivitySession } from './activity.js';

/** A scheme whose latest version has a stored run: its weighted sample, redone from the run when asked (which may throw). */
export interface WeightedScheme {
  schemeId: string;
  version: number;
  sample: () => WeightedSample;
}

/** The fields that have a value: line protocol has no NaN nor infinity. */
const finite = (fields: Record<string, number>) => Object.fromEntries(Object.entries(fields).filter(([, value]) => Number.isFinite(value)));

/** The `weighted_activity` point of one day and device type (`all`: any device), tagged with the scheme's version. */
export function weightedActivityPoint(sample: Pick<WeightedSample, 'schemeId' | 'version'>, a: WeightedActivity): InfluxPoint {
  const { activeShare, activeSubjects, sessions } = a;
  return {
    measurement: measurements.weightedActivity,
    tags: { [tags.scheme]: sample.schemeId, [tags.version]: String(sample.version), [tags.deviceType]: a.deviceType ?? allTag },
    fields: finite({
      active_share: activeShare.estimate,
      active_share_lower: activeShare.lower,
      active_share_upper: activeShare.upper,
      active_share_se: activeShare.standardError,
      active_people: activeSubjects.estimate,
      active_people_se: activeSubjects.standardError,
      sessions: sessions.estimate,
      sessions_se: sessions.standardError,
      effective_size: activeShare.effectiveSize,
      sample_active_share: activeShare.sampleValue,
    }),
    intFields: { n: activeShare.n },
    timestampMs: a.start,
  };
}

/**
 * A day's `weighted_activity` points for one scheme, from the sessions starting that day: what `GET /activity?weights=`
 * answers for the day (every device type, and any device), so that the dashboard and the API agree. Throws what the
 * estimates throw (a stratum of a single member).
 */
export function weightedActivityPoints(sample: WeightedSample, day: number, sessions: readonly ActivitySession[]): InfluxPoint[] {
  return weightedActivity(sessions, 'day', [day], new WeightedFigures(sample), true).map((a) => weightedActivityPoint(sample, a));
}
