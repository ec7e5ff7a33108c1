import { describe, expect, it } from 'vitest';
import { customerBaseTruth, generateCustomerBase } from '../../firmware-sim/src/index.js';

/**
 * The default customer base at the size the profile imports are accepted with (`--universe 300000`): a third as
 * many web rows as customers, 70% of them naming customers, 5% conflicting with the CRM. Pure, but seconds of
 * CPU: a simulated-days property rather than a unit test.
 */
describe('a customer base of 300,000', () => {
  it('has the default shares of web rows', () => {
    const truth = customerBaseTruth(generateCustomerBase({ size: 300_000, seed: 1, startsAt: Date.UTC(2026, 2, 2) }));
    const web = truth.imports.find((i) => i.source === 'web')!;
    expect(web.rows).toBe(100_000);
    expect(web.matched + web.ambiguous).toBe(70_000);
    expect(web.unmatched).toBe(30_000);
    expect(web.conflicting).toBe(5_000);
    expect(web.ambiguous).toBe(1_500);
    expect(truth.individuals.total).toBe(300_000);
    expect(truth.quotaCells.reduce((sum, c) => sum + c.individuals, 0)).toBe(300_000);
  });
});
