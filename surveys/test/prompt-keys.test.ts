import { describe, expect, it } from 'vitest';
import { holdoutDraw, promptId, samplingDraw } from '../src/prompt-keys.js';

describe('prompt keys', () => {
  it('derives the same id and draws from the same key, and different ones from different keys', () => {
    const key = { surveyId: 'nps', personId: 'p1', trigger: 'session:s1' };
    expect(promptId(key)).toBe(promptId({ ...key }));
    expect(promptId(key)).toMatch(/^pr_[0-9a-f]{32}$/);
    expect(promptId({ ...key, trigger: 'session:s2' })).not.toBe(promptId(key));
    expect(samplingDraw(key)).toBe(samplingDraw({ ...key }));
  });

  it('samples a share of 10,000 triggers within three standard deviations of the rate', () => {
    const rate = 0.2;
    let sampled = 0;
    for (let i = 0; i < 10_000; i++) if (samplingDraw({ surveyId: 'nps', personId: `p${i % 500}`, trigger: `session:${i}` }) < rate) sampled++;
    // Binomial standard deviation √(0.2·0.8/10,000) = 0.004.
    expect(Math.abs(sampled / 10_000 - rate)).toBeLessThan(0.012);
  });

  it('holds out a share of people by person, whatever the trigger', () => {
    let held = 0;
    for (let i = 0; i < 10_000; i++) if (holdoutDraw('nps', `p${i}`) < 0.1) held++;
    expect(Math.abs(held / 10_000 - 0.1)).toBeLessThan(0.009);
    expect(holdoutDraw('nps', 'p1')).toBe(holdoutDraw('nps', 'p1'));
  });
});
