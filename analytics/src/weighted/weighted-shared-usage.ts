import type { WeightedSharedUsage } from '@parcours/contracts';
import { compare } from '../aggregates/transitions.js';
import type { ShareSession } from '../aggregates/usage-shares.js';
import type { WeightedFigures } from './weighted-figures.js';

/**
 * Shared use of collectives' devices for the population, by device type: the people who used one (as reported
 * actor, or inferred where none was reported), their share, and the sessions and time they used them for.
 */
export function weightedSharedUsage(sessions: Iterable<ShareSession>, figures: WeightedFigures): WeightedSharedUsage[] {
  const types = new Map<string, { sessions: Float64Array; durationS: Float64Array }>();
  for (const session of sessions) {
    if (session.subjectKind !== 'collective') continue;
    const k = figures.position(session.actor ?? session.inferredActor);
    if (k === undefined) continue;
    let type = types.get(session.deviceType);
    if (!type) types.set(session.deviceType, (type = { sessions: figures.zeros(), durationS: figures.zeros() }));
    type.sessions[k]! += 1;
    type.durationS[k]! += session.durationS;
  }
  return [...types]
    .sort(([a], [b]) => compare(a, b))
    .map(([deviceType, tally]) => {
      const users = tally.sessions.map((count) => (count > 0 ? 1 : 0));
      return {
        deviceType,
        users: figures.total(users),
        userShare: figures.share(users)!,
        sessions: figures.total(tally.sessions),
        durationS: figures.total(tally.durationS),
      };
    });
}
