import { describe, expect, it } from 'vitest';
import { inferenceAccuracy } from '../../src/accuracy/inference-accuracy.js';

/** A seeded generator (mulberry32): the same draws on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const kindOf = (id: string) => (id === 'hh' ? ('collective' as const) : ('individual' as const));

/** A matched shared-device session that names nobody, whose user was `user`, given an inferred actor. */
const pair = (user: string, inferredActor: string | null, inferenceConfidence: number | null) => ({
  truth: { deviceId: 'kettle', deviceType: 'kettle', subjectId: 'hh', user, actor: null, startMs: 0, endMs: 1 },
  derived: { actor: null as string | null, inferredActor, inferenceConfidence },
});

describe('inference accuracy', () => {
  it('counts how often it infers and is right, on the sessions only inference can name', () => {
    const pairs = [
      pair('ann', 'ann', 0.8),
      pair('bob', 'ann', 0.6),
      pair('ann', null, null),
      { ...pair('ann', 'ann', 0.9), derived: { actor: 'ann', inferredActor: null, inferenceConfidence: null } },
    ];
    const r = inferenceAccuracy(pairs, kindOf, () => false);
    expect(r).toMatchObject({ sessions: 3, inferred: 2, right: 1 });
    expect(r.inferredShare).toBeCloseTo(2 / 3);
    expect(r.precision).toBe(0.5);
  });

  // The reference: over each bin, (n_b / n) · |accuracy_b − confidence_b| = |Σ right − Σ confidence| / n.
  it('gives the expected calibration error of its ten bins', () => {
    const random = seeded(7);
    const pairs = Array.from({ length: 500 }, () => {
      const confidence = random();
      return pair('ann', random() < confidence * 0.8 ? 'ann' : 'bob', confidence);
    });
    const r = inferenceAccuracy(pairs, kindOf, () => false);
    let reference = 0;
    for (let b = 0; b < 10; b++) {
      const inBin = pairs.filter((p) => Math.min(9, Math.floor(p.derived.inferenceConfidence! * 10)) === b);
      const gap = inBin.reduce((sum, p) => sum + (p.derived.inferredActor === 'ann' ? 1 : 0) - p.derived.inferenceConfidence!, 0);
      reference += Math.abs(gap) / pairs.length;
    }
    expect(r.calibrationError).toBeCloseTo(reference, 12);
    expect(r.calibrationError).toBeGreaterThan(0.05);
    expect(r.bins.reduce((n, b) => n + b.count, 0)).toBe(500);
  });
});
