/**
 * What the analytics ask of the registry: who belonged to a collective at an instant (for the actor
 * inference), which collectives an individual belonged to (for the collectives of served results), and a
 * subject's or a device's type as it is now (for the journeys of someone using another's device, and to tell
 * an unknown subject or device from one without results).
 */
export interface RegistryAsOf {
  /** The individuals members of the collective at `t`. */
  membersAt(collectiveId: string, t: number): string[];
  /** The collectives the individual belonged to at `t`. */
  collectivesAt(individualId: string, t: number): string[];
  /** The types of the devices assigned to the subject at `t`. */
  deviceTypesOwnedAt(subjectId: string, t: number): string[];
  /** The subject's type, or null when it is not registered. */
  subjectType(subjectId: string): string | null;
  /** The device's type, or null when it is not registered. */
  deviceType(deviceId: string): string | null;
}
