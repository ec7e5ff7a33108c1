import type { World, WorldDevice } from '../scenario/schema.js';

/** One interval of a device with an owner, as registered. */
export interface DeviceAssignment {
  id: string;
  owner: string;
  validFrom: number;
  validTo: number | null;
}

const within = (ms: number, from: number, to: number | null) => ms >= from && (to === null || ms < to);

/** Every assignment of a device, first owner then later ones, in time order. */
export function assignmentsOf(device: WorldDevice): DeviceAssignment[] {
  return [
    { id: device.assignmentId, owner: device.owner, validFrom: device.validFrom, validTo: device.validTo },
    ...device.reassignments.map((r) => ({ id: r.assignmentId, owner: r.owner, validFrom: r.validFrom, validTo: r.validTo })),
  ];
}

/** Who the device is assigned to at `ms`; null outside every assignment (not yet adopted, or sold away). */
export function ownerAt(device: WorldDevice, ms: number): string | null {
  return assignmentsOf(device).find((a) => within(ms, a.validFrom, a.validTo))?.owner ?? null;
}

/**
 * Membership look-ups of a world, indexed once: the timeline asks "is this user at home at t?" for every
 * session drawn, so that a member who moved out stops using the household's devices.
 */
export class WorldIndex {
  private readonly memberships = new Map<string, { validFrom: number; validTo: number | null }[]>();
  constructor(world: World) {
    for (const p of world.individuals) {
      for (const m of p.memberships) {
        const key = `${p.id}|${m.collective}`;
        this.memberships.set(key, [...(this.memberships.get(key) ?? []), m]);
      }
    }
  }

  /** Whether `individual` may use a device owned by `owner` at `ms`: it is theirs, or they belong to it then. */
  mayUse(individual: string, owner: string | null, ms: number): boolean {
    if (owner === null) return false;
    if (owner === individual) return true;
    return (this.memberships.get(`${individual}|${owner}`) ?? []).some((m) => within(ms, m.validFrom, m.validTo));
  }
}
