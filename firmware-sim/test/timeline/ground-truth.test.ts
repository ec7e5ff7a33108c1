import { describe, expect, it } from 'vitest';
import { generateTimeline, loadScenario, mergeGroundTruth } from '../../src/index.js';

const hour = 3_600_000;
const day = 24 * hour;
const monday = Date.UTC(2026, 2, 2);

describe('ground truth of a window', () => {
  it("includes the sessions running at the window's start, from the device's first sample in it", async () => {
    const world = await loadScenario('small');
    const from = monday + 17 * hour + 27 * 60_000 + 38_809; // an instant like any other, as when a run ends now
    const whole = generateTimeline(world, 3, monday, monday + 2 * day).groundTruth;
    const window = generateTimeline(world, 3, from, from + day).groundTruth;
    const firstSample = (deviceId: string) => {
      const interval = world.devices.find((d) => d.id === deviceId)!.telemetry.intervalS * 1000;
      return Math.ceil(from / interval) * interval;
    };
    const running = whole.sessions.filter((s) => s.startMs < from && s.endMs > from);
    expect(running.length).toBeGreaterThan(0);
    // Every running session is there from its device's first sample, unless it ended before that sample.
    const seen = running.filter((s) => s.endMs > firstSample(s.deviceId)).map((s) => ({ ...s, startMs: firstSample(s.deviceId) }));
    expect(window.runningAtStart).toEqual(expect.arrayContaining(seen));
    expect(window.runningAtStart).toHaveLength(seen.length);
    expect(window.sessions.every((s) => s.startMs >= from)).toBe(true);
    // Adjacent windows merge into the whole: a session across the boundary counts once.
    const merged = mergeGroundTruth(generateTimeline(world, 3, monday, from).groundTruth, window);
    expect(merged.sessions.filter((s) => s.startMs < from + day).length).toBe(whole.sessions.filter((s) => s.startMs < from + day).length);
  });

  it('gives a session of a device a person owns to that person when the routine names nobody', async () => {
    const world = await loadScenario('small');
    const people = new Set(world.individuals.map((p) => p.id));
    const truth = generateTimeline(world, 3, monday, monday + 7 * day).groundTruth;
    const ownedByPeople = truth.sessions.filter((s) => s.subjectId !== null && people.has(s.subjectId));
    expect(ownedByPeople.length).toBeGreaterThan(0);
    expect(ownedByPeople.filter((s) => s.user === null)).toEqual([]);
    expect(ownedByPeople.some((s) => s.deviceType === 'washing_machine' && s.user === s.subjectId)).toBe(true);
  });
});
