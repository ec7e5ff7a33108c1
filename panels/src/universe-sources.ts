import type { ConsentStore, EventLog, RegistryStore } from '@parcours/gateway';
import { activeDaysByIndividual } from './active-days.js';
import type { ProfileValue, UniverseSources } from './universe.js';

/** The profile attributes of these names of every individual as of a date (the winners of their sources). */
export type ProfileAttributesAsOf = (at: number, names: readonly string[]) => ReadonlyMap<string, Readonly<Record<string, ProfileValue>>>;

/** A universe read from the store: the registry, consents, the event log and the profiles. */
export function storeUniverseSources(deps: {
  registry: RegistryStore;
  consents: ConsentStore;
  log: EventLog;
  profileAttributes: ProfileAttributesAsOf;
}): UniverseSources {
  const { registry, consents, log } = deps;
  const all = { limit: -1, offset: 0 };
  return {
    individuals: (type) => registry.individualAttributes(type),
    profileAttributes: deps.profileAttributes,
    optedOutOfPanels: (at) => consents.optedOutAll('panel', at),
    activeDays: (deviceType, within, at) =>
      activeDaysByIndividual(
        {
          devicesOfType: (type) => registry.listDevices({ type, ...all }).map((d) => d.id),
          assignmentsOf: (deviceId) => registry.listAssignments({ deviceId, ...all }),
          membershipsOf: (collectiveId) => registry.listMemberships({ collectiveId, ...all }),
          isCollective: (subjectId) => registry.getSubject(subjectId)?.kind === 'collective',
          activeDays: (deviceId, from, to) => log.activeDays(deviceId, from, to),
        },
        deviceType,
        within,
        at,
      ),
  };
}
