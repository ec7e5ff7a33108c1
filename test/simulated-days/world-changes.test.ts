import { describe, expect, it } from 'vitest';
import { generateTimeline, loadScenario } from '../../firmware-sim/src/index.js';

const world = await loadScenario('small');
const day = 86_400_000;
const before = Date.UTC(2025, 7, 4); // a Monday in August 2025, before the changes of `small`
const after = Date.UTC(2025, 9, 6); // a Monday in October 2025, after them
const week = (from: number, seed = 3) => generateTimeline(world, seed, from, from + 7 * day).groundTruth;

describe('small: sequences, visitors and changes over time in the ground truth', () => {
  const august = week(before);
  const october = week(after);

  it('is the same for the same seed and differs for another', () => {
    expect(week(after)).toEqual(october);
    const other = week(after, 4);
    expect(other.sessions).not.toEqual(october.sessions);
    expect(other.journeys).not.toEqual(october.journeys);
  });

  it("chains a person's morning sequence into journeys of that person", () => {
    const alice = october.journeys.filter((j) => j.subjectId === 'ind-alice' && j.path === 'coffee_machine>water_heater>toothbrush');
    expect(alice.length).toBeGreaterThanOrEqual(2);
    const dana = october.journeys.filter((j) => j.subjectId === 'ind-dana' && j.path.includes('water_heater>toothbrush>car'));
    expect(dana.length).toBeGreaterThanOrEqual(1);
    for (const j of october.journeys) expect(j.steps).toBe(j.path.split('>').length);
  });

  it('generates visitors with bounded memberships, who really used the devices', () => {
    const rentals = october.visitors.filter((v) => v.rule === 'rental');
    expect(rentals.length).toBeGreaterThan(2);
    for (const v of rentals) expect(v.validTo - v.validFrom).toBe(3 * 3_600_000);
    const rented = october.sessions.filter((s) => s.user?.startsWith('rental-'));
    expect(rented.length).toBeGreaterThan(2);
    const car = october.sessions.filter((s) => s.deviceId === 'autopartage-car-3');
    for (const s of rented) {
      const stay = october.visitors.find((v) => v.individualId === s.user)!;
      expect(s.startMs).toBeGreaterThanOrEqual(stay.validFrom); // a queue for the car only delays
      expect(s.actor).toBe(s.user); // the rental app knows its renter
      // Unless it waited for the previous renter (pushed back by at most 3 min), it fits in the stay.
      const queued = car.some((o) => o.endMs < s.startMs && s.startMs - o.endMs <= 180_000);
      if (!queued) expect(s.endMs).toBeLessThanOrEqual(stay.validTo);
    }
  });

  it('stops a member who moved out from using the household device', () => {
    const chloeAtHome = (t: typeof august) => t.sessions.filter((s) => s.deviceId === 'martin-tv' && s.user === 'ind-chloe').length;
    expect(chloeAtHome(august)).toBeGreaterThan(0);
    expect(chloeAtHome(october)).toBe(0);
    expect(october.sessions.some((s) => s.deviceId === 'chloe-toothbrush')).toBe(true); // her own device goes with her
  });

  it('attributes a sold device to its new owner and keeps an adopted one silent before adoption', () => {
    expect(new Set(august.sessions.filter((s) => s.deviceId === 'martin-washer').map((s) => s.subjectId))).toEqual(new Set(['hh-martin']));
    expect(new Set(october.sessions.filter((s) => s.deviceId === 'martin-washer').map((s) => s.subjectId))).toEqual(new Set(['ind-hugo']));
    expect(august.validMessages.perDevice['nguyen-coffee']).toBeUndefined();
    expect(october.validMessages.perDevice['nguyen-coffee']!.telemetry).toBe(7 * 24 * 60);
    expect(october.sessions.some((s) => s.deviceId === 'nguyen-coffee' && s.user === 'ind-emil')).toBe(true);
  });
});
