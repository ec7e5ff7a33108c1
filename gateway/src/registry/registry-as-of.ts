import type { RegistryAsOf } from '@parcours/contracts';
import type { AttributionIndex } from './attribution-index.js';
import type { RegistryStore } from './registry-store.js';

/**
 * The registry as the analytics ask it. Members are read from the current attribution index, looked up
 * on each call: the gateway rebuilds it when the registry changes.
 */
export function registryAsOf(registry: RegistryStore, index: () => AttributionIndex): RegistryAsOf {
  return {
    membersAt: (collectiveId, t) => index().membersAt(collectiveId, t),
    collectivesAt: (individualId, t) => index().collectivesAt(individualId, t),
    deviceTypesOwnedAt: (subjectId, t) => index().deviceTypesOwnedAt(subjectId, t),
    subjectType: (subjectId) => registry.getSubject(subjectId)?.type ?? null,
    deviceType: (deviceId) => registry.getDevice(deviceId)?.type ?? null,
  };
}
