import type { Assignment, Membership } from '@parcours/contracts';

/** What counting active days needs of the registry and the log. */
export interface ActivitySources {
  devicesOfType(deviceType: string): readonly string[];
  assignmentsOf(deviceId: string): readonly Assignment[];
  /** The memberships of a collective (all of them; those valid at the date are kept). */
  membershipsOf(collectiveId: string): readonly Membership[];
  isCollective(subjectId: string): boolean;
  /** UTC day numbers with at least one record of the device in `[from, to)`. */
  activeDays(deviceId: string, from: number, to: number): readonly number[];
}

const holdsAt = (i: { validFrom: number; validTo: number | null }, t: number) => i.validFrom <= t && (i.validTo === null || t < i.validTo);

/**
 * Days in `[at - within, at)` on which a device of the type was used, per individual: the devices assigned
 * to them as of `at`, and those of the collectives they belong to as of `at` (a household's coffee machine
 * counts for each of its members: it is a device they use, not one they are known to have used).
 */
export function activeDaysByIndividual(sources: ActivitySources, deviceType: string, within: number, at: number): Map<string, number> {
  const days = new Map<string, Set<number>>();
  const credit = (individualId: string, deviceDays: readonly number[]) => {
    let set = days.get(individualId);
    if (!set) days.set(individualId, (set = new Set()));
    for (const day of deviceDays) set.add(day);
  };
  for (const deviceId of sources.devicesOfType(deviceType)) {
    const assignment = sources.assignmentsOf(deviceId).find((a) => holdsAt(a, at));
    if (!assignment) continue;
    const deviceDays = sources.activeDays(deviceId, Math.max(at - within, assignment.validFrom), at);
    if (deviceDays.length === 0) continue;
    if (!sources.isCollective(assignment.subjectId)) credit(assignment.subjectId, deviceDays);
    else for (const m of sources.membershipsOf(assignment.subjectId)) if (holdsAt(m, at)) credit(m.individualId, deviceDays);
  }
  return new Map([...days].map(([id, set]) => [id, set.size]));
}
