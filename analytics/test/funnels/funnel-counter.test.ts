import type { Funnel } from '@parcours/contracts';
import { describe, expect, it } from 'vitest';
import { computeFunnel, funnelPaths, median, reachesStepAt, type Occurrence } from '../../src/funnels/funnel-counter.js';

const minute = 60_000;
const funnel: Funnel = {
  name: 'morning',
  countBy: 'individual',
  window: 60 * minute,
  steps: [{ deviceType: 'coffee_machine' }, { eventType: 'door.opened' }, { deviceType: 'car' }],
};
const key = { coffee: 'device:coffee_machine', door: 'event:door.opened', car: 'device:car', tv: 'device:tv' } as const;
const at = (subjectId: string, step: keyof typeof key, m: number): Occurrence => ({ subjectId, key: key[step], ts: m * minute });
const from = 0;
const to = 24 * 60 * minute;

describe('funnelPaths', () => {
  it('follows the steps in order, each strictly after the previous', () => {
    const paths = funnelPaths(funnel, from, to, [at('ana', 'car', 20), at('ana', 'door', 10), at('ana', 'coffee', 0), at('ana', 'tv', 5)]);
    expect(paths.get('ana')).toEqual([0, 10 * minute, 20 * minute]);
  });

  it('does not count steps out of order, nor one at the same time as the previous step', () => {
    const paths = funnelPaths(funnel, from, to, [
      at('ana', 'door', 0),
      at('ana', 'coffee', 5),
      at('ana', 'car', 10),
      at('ben', 'coffee', 0),
      at('ben', 'door', 0),
      at('ben', 'car', 10),
    ]);
    expect(paths.get('ana')).toEqual([5 * minute]);
    expect(paths.get('ben')).toEqual([0]);
  });

  it('counts a step exactly one window after the entry, not one a millisecond later', () => {
    const paths = funnelPaths(funnel, from, to, [
      at('ana', 'coffee', 0),
      at('ana', 'door', 30),
      at('ana', 'car', 60),
      at('ben', 'coffee', 0),
      at('ben', 'door', 30),
      { subjectId: 'ben', key: key.car, ts: 60 * minute + 1 },
    ]);
    expect(paths.get('ana')).toHaveLength(3);
    expect(paths.get('ben')).toHaveLength(2);
  });

  it('keeps the entry that went furthest when a subject enters twice, and the earliest of equals', () => {
    // The first entry stalls (its car is out of the window); the second converts.
    const twice = funnelPaths(funnel, from, to, [
      at('ana', 'coffee', 0),
      at('ana', 'door', 10),
      at('ana', 'coffee', 100),
      at('ana', 'door', 110),
      at('ana', 'car', 130),
    ]);
    expect(twice.get('ana')).toEqual([100 * minute, 110 * minute, 130 * minute]);
    const equals = funnelPaths(funnel, from, to, [at('ana', 'coffee', 0), at('ana', 'door', 10), at('ana', 'coffee', 100), at('ana', 'door', 101)]);
    expect(equals.get('ana')).toEqual([0, 10 * minute]);
  });

  it('enters only with a first step in [from, to), though later steps may follow after to', () => {
    const paths = funnelPaths(funnel, 60 * minute, 120 * minute, [
      at('ana', 'coffee', 59),
      at('ana', 'door', 70),
      at('ben', 'coffee', 119),
      at('ben', 'door', 125),
      at('ben', 'car', 130),
      at('cy', 'coffee', 120),
      at('cy', 'door', 125),
    ]);
    expect([...paths.keys()]).toEqual(['ben']);
    expect(paths.get('ben')).toHaveLength(3);
  });

  it('lets a repeated step type match only a later occurrence', () => {
    const loop: Funnel = { ...funnel, steps: [{ deviceType: 'coffee_machine' }, { deviceType: 'coffee_machine' }] };
    expect(funnelPaths(loop, from, to, [at('ana', 'coffee', 0)]).get('ana')).toEqual([0]);
    expect(funnelPaths(loop, from, to, [at('ana', 'coffee', 0), at('ana', 'coffee', 50)]).get('ana')).toEqual([0, 50 * minute]);
  });
});

describe('computeFunnel', () => {
  it('counts each subject once at its furthest step, with conversions and median times', () => {
    const result = computeFunnel(funnel, from, to, [
      at('ana', 'coffee', 0),
      at('ana', 'door', 10),
      at('ana', 'car', 20),
      at('ben', 'coffee', 0),
      at('ben', 'door', 30),
      at('ben', 'car', 50),
      at('ben', 'coffee', 200),
      at('ben', 'door', 201),
      at('cy', 'coffee', 0),
      at('cy', 'door', 5),
      at('dan', 'coffee', 0),
      at('eve', 'door', 0),
      at('eve', 'car', 5),
    ]);
    expect(result).toEqual({
      name: 'morning',
      countBy: 'individual',
      from,
      to,
      windowS: 3600,
      entered: 4,
      converted: 2,
      conversion: 0.5,
      medianSecondsToConvert: 35 * 60,
      steps: [
        { step: 1, deviceType: 'coffee_machine', reached: 4, conversionFromPrevious: 1, conversionFromStart: 1, medianSecondsFromPrevious: null },
        { step: 2, eventType: 'door.opened', reached: 3, conversionFromPrevious: 0.75, conversionFromStart: 0.75, medianSecondsFromPrevious: 10 * 60 },
        { step: 3, deviceType: 'car', reached: 2, conversionFromPrevious: 2 / 3, conversionFromStart: 0.5, medianSecondsFromPrevious: 15 * 60 },
      ],
    });
  });

  it('gives zeros and nulls for an empty range', () => {
    const result = computeFunnel(funnel, from, to, []);
    expect(result.entered).toBe(0);
    expect(result.conversion).toBeNull();
    expect(result.medianSecondsToConvert).toBeNull();
    expect(result.steps.map((s) => [s.reached, s.conversionFromPrevious, s.conversionFromStart, s.medianSecondsFromPrevious])).toEqual([
      [0, null, null, null],
      [0, null, null, null],
      [0, null, null, null],
    ]);
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});

describe('reachesStepAt', () => {
  /** A small deterministic generator (mulberry32): the same occurrences on every run. */
  const random = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };

  it('says reached exactly the moments at which funnelPaths puts a step of some entry, at each step', () => {
    const next = random(7);
    const steps = ['coffee', 'door', 'car', 'tv'] as const;
    for (let round = 0; round < 50; round++) {
      const occurrences = Array.from({ length: 12 }, () => at('ana', steps[Math.floor(next() * 4)]!, Math.floor(next() * 180)));
      // The reference: each entry followed alone, as funnelPaths follows it.
      const reference = new Set<string>();
      for (const entry of occurrences.filter((o) => o.key === key.coffee))
        for (const [k, ts] of funnelPaths(funnel, entry.ts, entry.ts + 1, occurrences)
          .get('ana')!
          .entries())
          reference.add(`${k + 1}@${ts}`);
      const reached = new Set<string>();
      for (const o of occurrences)
        for (let step = 1; step <= funnel.steps.length; step++) {
          const before = occurrences.filter((other) => other.ts <= o.ts);
          if (reachesStepAt(funnel, step, o.ts, before)) reached.add(`${step}@${o.ts}`);
        }
      expect([...reached].sort()).toEqual([...reference].sort());
    }
  });
});
