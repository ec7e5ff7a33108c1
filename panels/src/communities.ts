import { type CommunityRecruit, errorCodes, ParcoursError } from '@parcours/contracts';
import { stratifiedDraw } from '@parcours/sampling';
import { allocateCells, type DrawnMember, stratumOf } from './draw.js';
import { meets, type UniverseMember, usageKey } from './universe.js';

/** The key of a sessions condition among the counts a recruitment is given. */
export const sessionsKey = (deviceType: string, within: number): string => `${deviceType}@${within}`;

/** What the members did, derived for a recruitment's behavioural conditions. */
export interface CommunityBehaviour {
  /** Sessions per individual, by `sessionsKey` of each sessions condition. */
  sessions: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Who reached the step of each funnel condition, in the order of the request's `funnels`. */
  funnels: readonly ReadonlySet<string>[];
  /** Active weeks per individual in the window of the retained condition; null without one. */
  weeksActive: ReadonlyMap<string, number> | null;
}

/**
 * Who a community recruits among a panel's current members: those meeting every condition (attributes,
 * days active, sessions, funnel steps reached, weeks retained), then a random draw of the asked size from
 * the seed, in proportion to the eligible over the quota attributes when asked. A member's inclusion
 * probability is that of their panel draw times that of this recruitment, so that design weights carry through.
 */
export function recruitCommunity(
  request: CommunityRecruit,
  members: readonly UniverseMember[],
  panelProbability: ReadonlyMap<string, number>,
  behaviour: CommunityBehaviour,
): { eligible: number; chosen: DrawnMember[] } {
  const { retained } = request;
  const eligible = members.filter(
    (m) =>
      request.attributes.every((c) => meets(m.attributes[c.name], c)) &&
      request.usage.every((u) => (m.usage[usageKey(u.deviceType, u.activeWithin)] ?? 0) >= u.minActiveDays) &&
      request.sessions.every((s) => (behaviour.sessions.get(sessionsKey(s.deviceType, s.within))?.get(m.id) ?? 0) >= s.min) &&
      behaviour.funnels.every((reached) => reached.has(m.id)) &&
      (retained === null || (behaviour.weeksActive?.get(m.id) ?? 0) >= retained.weeks),
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
