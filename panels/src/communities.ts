import { type CommunityRecruit, errorCodes, ParcoursError } from '@parcours/contracts';
import { stratifiedDraw } from '@parcours/sampling';
import { allocateCells, type DrawnMember, stratumOf } from './draw.js';
import { meets, type UniverseMember, usageKey } from './universe.js';

/** The key of a sessions condition among the counts a recruitment is given. */
export const sessionsKey = (deviceType: string, within: number): string => `${deviceType}@${within}`;

/**
 * Who a community recruits among a panel's current members: those meeting every condition (attributes,
 * days active, sessions), then a random draw of the asked size from the seed, in proportion to the
 * eligible over the quota attributes when asked. A member's inclusion probability is that of their panel
 * draw times that of this recruitment, so that design weights carry through.
 */
export function recruitCommunity(
  request: CommunityRecruit,
  members: readonly UniverseMember[],
  panelProbability: ReadonlyMap<string, number>,
  sessionCounts: ReadonlyMap<string, ReadonlyMap<string, number>>,
): { eligible: number; chosen: DrawnMember[] } {
  const eligible = members.filter(
    (m) =>
      request.attributes.every((c) => meets(m.attributes[c.name], c)) &&
      request.usage.every((u) => (m.usage[usageKey(u.deviceType, u.activeWithin)] ?? 0) >= u.minActiveDays) &&
      request.sessions.every((s) => (sessionCounts.get(sessionsKey(s.deviceType, s.within))?.get(m.id) ?? 0) >= s.min),
  );
  if (eligible.length < request.minSize)
    throw new ParcoursError(
      errorCodes.communityTooSmall,
      `only ${eligible.length} of the panel's ${members.length} members meet the community's conditions; ${request.minSize} are needed (short by ${request.minSize - eligible.length})`,
    );
  const size = Math.min(request.size, eligible.length);
  const strata = request.quotas?.strata ?? [];
  const units = eligible.map((m) => ({ id: m.id, cell: strata.length === 0 ? 'all' : (stratumOf(m, strata) ?? '(none)') }));
  const { allocation } = allocateCells(
    units.map((u) => ({ stratum: u.cell })),
    strata,
    size,
    'proportional',
  );
  const chosen = stratifiedDraw(units, allocation, request.seed).map((d) => ({
    individualId: d.id,
    draw: {
      inclusionProbability: d.inclusionProbability * (panelProbability.get(d.id) ?? 1),
      stratum: strata.length === 0 ? null : d.cell,
      rotationGroup: 0,
    },
  }));
  return { eligible: eligible.length, chosen };
}
