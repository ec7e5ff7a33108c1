import { builtInSessionRules } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/index.js';

/** The built-in scenarios beyond `small` and `city`: what makes each of its shape. */
describe('the care-home, coworking and metered-home scenarios', async () => {
  const careHome = await loadScenario('care-home');
  const coworking = await loadScenario('coworking');
  const meteredHome = await loadScenario('metered-home');
  const collectiveIds = (world: typeof careHome) => new Set(world.collectives.map((c) => c.id));

  it('care home: no shared device names its user but the badge-opened medication cabinet; residents carry trackers that send telemetry only', () => {
    const shared = careHome.devices.filter((d) => collectiveIds(careHome).has(d.owner));
    expect(shared.filter((d) => d.reportsActor).map((d) => d.id)).toEqual(['ch-med-cabinet']);
    const trackers = careHome.devices.filter((d) => d.type === 'activity_tracker');
    expect(trackers.length).toBe(careHome.individuals.filter((p) => p.memberships.some((m) => m.role === 'resident')).length);
    for (const t of trackers) expect(t.reportsEvents).toBe(false);
    expect(careHome.visitors.length).toBeGreaterThan(0);
  });

  it('coworking: most users are visitors, named by their pass at the gate, lockers, coffee machine and printer', () => {
    const perWeekday = coworking.visitors.reduce((sum, v) => sum + v.perDay * (v.days[0] ?? 0), 0);
    expect(perWeekday).toBeGreaterThan(2 * coworking.individuals.length);
    const paying = coworking.devices.filter((d) => ['badge_reader', 'locker', 'coffee_machine', 'printer'].includes(d.type));
    expect(paying.every((d) => d.reportsActor)).toBe(true);
    expect(coworking.devices.filter((d) => d.type === 'meeting_display').every((d) => !d.reportsActor)).toBe(true);
  });

  it('metered home: no device sends events, and each type has a telemetry threshold in the built-in rules', () => {
    expect(meteredHome.devices.every((d) => !d.reportsEvents)).toBe(true);
    for (const d of meteredHome.devices) expect(builtInSessionRules[d.type]?.threshold, d.type).toBeDefined();
  });

  it('a device that sends telemetry only is used at least one sampling interval at a time, so that each use shows in a sample', () => {
    for (const world of [careHome, meteredHome]) {
      for (const d of world.devices.filter((x) => !x.reportsEvents)) {
        const intervalMs = d.telemetry.intervalS * 1000;
        const durations = [
          ...d.routine.windows.map((w) => w.duration),
          ...world.individuals.flatMap((p) => p.sequences.flatMap((q) => q.steps.filter((s) => s.device === d.id).map((s) => s.duration))),
          ...world.visitors.flatMap((v) => v.uses.filter((u) => u.device === d.id).map((u) => u.duration)),
        ];
        for (const duration of durations) expect(duration.minMs, d.id).toBeGreaterThanOrEqual(intervalMs);
      }
    }
  });
});
