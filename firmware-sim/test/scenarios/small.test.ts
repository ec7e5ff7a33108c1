import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/index.js';

describe('the small scenario', async () => {
  const world = await loadScenario('small');
  const members = (collectiveId: string) => world.individuals.filter((p) => p.memberships.some((m) => m.collective === collectiveId));
  const ofType = (type: string) => world.collectives.filter((c) => c.type === type);

  it('has at least two households with adults and a teen', () => {
    const households = ofType('household');
    expect(households.length).toBeGreaterThanOrEqual(2);
    for (const h of households) expect(members(h.id).length).toBeGreaterThanOrEqual(2);
    const roles = households.flatMap((h) => world.individuals.flatMap((p) => p.memberships.filter((m) => m.collective === h.id).map((m) => m.role)));
    expect(roles).toContain('adult');
    expect(roles).toContain('teen');
  });

  it('has a workplace whose employees include household members, and a public space with outside renters', () => {
    const [workplace] = ofType('workplace');
    expect(workplace).toBeDefined();
    const householdIds = new Set(ofType('household').map((h) => h.id));
    const inHousehold = (id: string) => world.individuals.some((p) => p.id === id && p.memberships.some((m) => householdIds.has(m.collective)));
    expect(members(workplace!.id).some((p) => inHousehold(p.id))).toBe(true);
    const publicSpaces = ofType('public_space');
    expect(publicSpaces.length).toBeGreaterThanOrEqual(1);
    expect(publicSpaces.some((s) => members(s.id).some((p) => !inHousehold(p.id)))).toBe(true);
  });

  it('has at least 25 devices of at least 6 types, shared ones at the workplace', () => {
    expect(world.devices.length).toBeGreaterThanOrEqual(25);
    const types = new Set(world.devices.map((d) => d.type));
    expect(types.size).toBeGreaterThanOrEqual(6);
    for (const type of ['coffee_machine', 'thermostat', 'tv', 'washing_machine', 'ebike', 'badge_reader', 'printer', 'water_heater', 'car']) {
      expect(types).toContain(type);
    }
    const workplaceTypes = world.devices.filter((d) => d.owner === 'wp-acme').map((d) => d.type);
    expect(workplaceTypes).toEqual(expect.arrayContaining(['coffee_machine', 'printer', 'meeting_display', 'badge_reader']));
    expect(world.devices.some((d) => d.owner.startsWith('ind-'))).toBe(true);
  });

  it('names actors only on devices that can know them, and only members of the owner', () => {
    const workplaceCoffee = world.devices.find((d) => d.id === 'acme-coffee')!;
    expect(workplaceCoffee.reportsActor).toBe(true);
    expect(world.devices.find((d) => d.type === 'meeting_display')!.reportsActor).toBe(false);
    for (const device of world.devices.filter((d) => d.reportsActor)) {
      const allowed = new Set(members(device.owner).map((p) => p.id));
      for (const window of device.routine.windows) for (const user of window.users ?? []) expect(allowed, `${device.id}: ${user}`).toContain(user);
    }
  });
});
