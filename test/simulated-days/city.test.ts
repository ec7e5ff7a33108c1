import { describe, expect, it } from 'vitest';
import { city, generateTimeline, loadScenario, parseScenario } from '../../firmware-sim/src/index.js';

describe('the city scenario', () => {
  it('is a valid world of thousands of subjects and about 5,000 devices, the same for the same seed', async () => {
    const started = performance.now();
    const world = await loadScenario('city');
    const parseMs = performance.now() - started;
    expect(world.devices.length).toBeGreaterThanOrEqual(4900);
    expect(world.devices.length).toBeLessThanOrEqual(5200);
    expect(world.individuals.length + world.collectives.length).toBeGreaterThan(2000);
    expect(new Set(world.collectives.map((c) => c.type))).toEqual(new Set(['household', 'workplace', 'public_space']));
    expect(city({ seed: 1 })).toEqual(city({ seed: 1 }));
    expect(city({ seed: 2 }).individuals).not.toEqual(city({ seed: 1 }).individuals);
    expect(parseMs).toBeLessThan(30_000); // seconds at most, however busy the machine
  });

  it('generates an hour of the whole city quickly, with morning journeys', () => {
    const world = parseScenario(city());
    const from = Date.UTC(2025, 5, 3, 6); // a Tuesday, 06:00
    const started = performance.now();
    const { messages, groundTruth } = generateTimeline(world, 9, from, from + 3_600_000);
    const elapsed = performance.now() - started;
    console.log(
      `city: ${world.devices.length} devices, 1 h: ${messages.length} messages, ${groundTruth.sessions.length} sessions, ${groundTruth.journeys.length} journeys in ${Math.round(elapsed)} ms`,
    );
    // What matters is real time (`parcours sim` at speed 1 generates each hour ahead of it): far below the
    // hour, on a busy machine too.
    expect(elapsed).toBeLessThan(60_000);
    expect(groundTruth.journeys.some((j) => j.path === 'coffee_machine>water_heater>toothbrush')).toBe(true);
  });
});
