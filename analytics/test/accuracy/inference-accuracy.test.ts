import { describe, expect, it } from 'vitest';
import { chanceCalibrationError, inferenceAccuracy, seededRandom as seeded, wilsonInterval } from '../../src/accuracy/inference-accuracy.js';

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

  // The reference: the interval's ends are the roots of the score test's equation |x/n − p| = z·√(p(1 − p)/n).
  it('gives the share right its 95 % Wilson interval', () => {
    const z = 1.959963984540054;
    for (const [x, n] of [
      [28, 37],
      [1, 9],
      [54, 54],
      [0, 3],
      [700, 1000],
    ] as const) {
      const { low, high } = wilsonInterval(x, n);
      for (const p of [low, high].filter((end) => end > 0 && end < 1)) expect(Math.abs(x / n - p)).toBeCloseTo(z * Math.sqrt((p * (1 - p)) / n), 12);
      expect(low).toBeLessThanOrEqual(x / n);
      expect(high).toBeGreaterThanOrEqual(x / n);
    }
    expect(wilsonInterval(0, 3).low).toBe(0);
    expect(wilsonInterval(54, 54).high).toBeCloseTo(1, 12);
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it('bounds the calibration error chance gives a perfectly calibrated inference 95 % of the time, and not a miscalibrated one', () => {
    const random = seeded(11);
    const exceeded = Array.from({ length: 200 }, () => {
      const pairs = Array.from({ length: 40 }, () => {
        const confidence = 0.5 + random() / 2;
        return pair('ann', random() < confidence ? 'ann' : 'bob', confidence);
      });
      const r = inferenceAccuracy(pairs, kindOf, () => false);
      return r.calibrationError > r.calibrationErrorByChance;
    }).filter(Boolean).length;
    expect(exceeded / 200).toBeGreaterThan(0.01);
    expect(exceeded / 200).toBeLessThan(0.1);
    // Confident at 0.9, right half the time: beyond chance.
    const overconfident = Array.from({ length: 60 }, (_, i) => pair('ann', i % 2 === 0 ? 'ann' : 'bob', 0.9));
    const r = inferenceAccuracy(overconfident, kindOf, () => false);
    expect(r.calibrationError).toBeGreaterThan(r.calibrationErrorByChance);
    expect(chanceCalibrationError([])).toBe(0);
  });
});
