import { errorCodes, type ParcoursError, type UniverseFilter, weightingSchemeSchema } from '@parcours/contracts';
import { seededRandom } from '@parcours/sampling';
import { describe, expect, it } from 'vitest';
import type { UniverseMember } from '../src/universe.js';
import { runScheme } from '../src/weighting/run-scheme.js';
import { type SampledMember, type TargetSources, weightingInputs } from '../src/weighting/scheme-inputs.js';

/** A universe of 2,000 over région × sex × age band, and a sample of 300 of it drawn unevenly, with its inclusion probabilities. */
const random = seededRandom(42);
const pick = <T>(values: readonly T[], tilt = 0): T => values[Math.min(values.length - 1, Math.floor(random() ** (1 + tilt) * values.length))]!;
const universe: UniverseMember[] = Array.from({ length: 2000 }, (_, i) => ({
  id: `u${String(i).padStart(4, '0')}`,
  attributes: { region: pick(['11', '53', '84', '93']), sex: pick(['F', 'M']), age_band: pick(['18-34', '35-54', '55+']), size: pick([1, 2, 3]) },
  usage: {},
}));
const withoutSize = ({ size: _, ...rest }: UniverseMember['attributes']) => rest;
// One in fifty has no household size on record.
const sample: SampledMember[] = universe
  .filter(() => random() < 0.15)
  .map((m, i) => ({ id: m.id, attributes: i % 50 === 0 ? withoutSize(m.attributes) : m.attributes, inclusionProbability: 0.1 + 0.1 * (i % 3), stratum: null }));

const population = new Map([
  ['11', 12_000_000],
  ['53', 3_400_000],
  ['84', 8_000_000],
  ['93', 5_100_000],
  ['44', 5_500_000],
]);
const asked: (UniverseFilter | undefined)[] = [];
const sources: TargetSources = {
  universe: (filter, attributes) => {
    asked.push(filter);
    return universe.map((m) => ({ ...m, attributes: Object.fromEntries(attributes.flatMap((a) => (a in m.attributes ? [[a, m.attributes[a]!]] : []))) }));
  },
  population: () => population,
};
const scheme = (fields: Record<string, unknown>) =>
  weightingSchemeSchema.parse({ name: 'test', at: '2026-03-01T00:00:00Z', sample: { kind: 'panel', panelId: 'p' }, ...fields });
const fromUniverse = (...variables: string[]) => ({ variables, targets: { from: 'universe' } });
/** How many of the universe have these levels: the reference the translation's counts must equal. */
const countOf = (levels: Record<string, string>) => universe.filter((m) => Object.entries(levels).every(([v, l]) => String(m.attributes[v]) === l)).length;

describe('a scheme and its sample become the weighting functions’ inputs', () => {
  it('takes base weights from inclusion probabilities, or 1 for everyone', () => {
    const inclusion = weightingInputs(scheme({ margins: [fromUniverse('region')] }), sample, sources);
    expect(inclusion.ids).toEqual(sample.map((m) => m.id));
    inclusion.baseWeights.forEach((d, k) => {
      expect(d * sample[k]!.inclusionProbability!).toBeCloseTo(1, 12);
    });
    const equal = weightingInputs(scheme({ baseWeights: 'equal', margins: [fromUniverse('region')] }), sample, sources);
    expect([...equal.baseWeights].every((d) => d === 1)).toBe(true);
    const undrawn = weightingInputs(scheme({ margins: [fromUniverse('region')] }), [{ ...sample[0]!, inclusionProbability: null }], sources);
    expect(undrawn.baseWeights[0]).toBe(1);
  });

  it('gives each member’s levels as text, `(none)` where they have no value', () => {
    const inputs = weightingInputs(scheme({ margins: [fromUniverse('region', 'sex'), fromUniverse('size')] }), sample, sources);
    expect(Object.keys(inputs.sample.levels)).toEqual(['region', 'sex', 'size']);
    sample.forEach((m, k) => {
      expect(inputs.sample.levels.region![k]).toBe(String(m.attributes.region));
      expect(inputs.sample.levels.size![k]).toBe(m.attributes.size === undefined ? '(none)' : String(m.attributes.size));
    });
    expect(inputs.sample.levels.size!.filter((level) => level === '(none)').length).toBe(sample.filter((m) => m.attributes.size === undefined).length);
  });

  it('counts universe targets by every combination of the margin’s variables, from the panel’s universe unless told', () => {
    asked.length = 0;
    const own: UniverseFilter = { type: 'person', attributes: [], usage: [] };
    const inputs = weightingInputs(
      scheme({ margins: [fromUniverse('region', 'sex'), { variables: ['age_band'], targets: { from: 'universe', universe: own } }] }),
      sample,
      sources,
    );
    expect(asked).toEqual([undefined, own]);
    for (const margin of inputs.margins) {
      expect(margin.cells.reduce((s, c) => s + c.total, 0)).toBe(universe.length);
      for (const cell of margin.cells) expect(cell.total).toBe(countOf(cell.levels));
    }
    expect(inputs.margins[0]!.cells).toHaveLength(8);
  });

  it('scales every margin to shares of the total: the base weights’ sum unless given', () => {
    const margins = [fromUniverse('region'), { variables: ['region'], targets: { from: 'population', level: 'region', areas: ['11', '53', '84', '93'] } }];
    const inputs = weightingInputs(scheme({ targetsAs: 'shares', margins }), sample, sources);
    const baseTotal = inputs.baseWeights.reduce((a, b) => a + b, 0);
    for (const margin of inputs.margins) expect(margin.cells.reduce((s, c) => s + c.total, 0)).toBeCloseTo(baseTotal, 6);
    const [counted, inhabitants] = inputs.margins;
    for (const cell of counted!.cells) expect(cell.total / baseTotal).toBeCloseTo(countOf(cell.levels) / universe.length, 12);
    const kept = 12_000_000 + 3_400_000 + 8_000_000 + 5_100_000;
    for (const cell of inhabitants!.cells) expect(cell.total / baseTotal).toBeCloseTo(population.get(cell.levels.region!)! / kept, 12);
    const given = weightingInputs(scheme({ targetsAs: 'shares', total: 1000, margins }), sample, sources);
    for (const margin of given.margins) expect(margin.cells.reduce((s, c) => s + c.total, 0)).toBeCloseTo(1000, 9);
  });

  it('takes population totals for one variable of area codes, every area or those listed, refusing others', () => {
    const every = weightingInputs(scheme({ margins: [{ variables: ['region'], targets: { from: 'population', level: 'region' } }] }), sample, sources);
    expect(every.margins[0]!.cells.map((c) => [c.levels.region, c.total])).toEqual([...population]);
    const refusal = (targets: unknown, variables = ['region']) => {
      try {
        weightingInputs(scheme({ margins: [{ variables, targets }] }), sample, sources);
      } catch (error) {
        return error as ParcoursError;
      }
      return null;
    };
    expect(refusal({ from: 'population', level: 'region', areas: ['99'] })).toMatchObject({
      code: errorCodes.validation,
      message: expect.stringContaining('99'),
    });
    expect(refusal({ from: 'population', level: 'region' }, ['region', 'sex'])?.code).toBe(errorCodes.validation);
  });

  it('passes a file’s cells through as they are given', () => {
    const cells = [
      { levels: { sex: 'F' }, value: 510 },
      { levels: { sex: 'M' }, value: 490 },
    ];
    const inputs = weightingInputs(scheme({ margins: [{ variables: ['sex'], targets: { from: 'file', cells } }] }), sample, sources);
    expect(inputs.margins[0]).toEqual({ variables: ['sex'], cells: cells.map((c) => ({ levels: c.levels, total: c.value })) });
  });
});

describe('a scheme runs its method, trimming and cap', () => {
  const margins = [fromUniverse('region', 'sex'), fromUniverse('sex', 'age_band')];
  const run = (fields: Record<string, unknown>) => {
    const s = scheme({ margins, ...fields });
    return runScheme(s, weightingInputs(s, sample, sources));
  };

  it('meets the universe’s margins by raking and by each calibration distance', () => {
    for (const fields of [{}, { method: 'linear' }, { method: 'raking' }, { method: 'logit', bounds: { lower: 0.3, upper: 3 } }]) {
      const { report } = run(fields);
      for (const cell of report.margins) expect(Math.abs(cell.after - countOf(cell.levels))).toBeLessThan(1e-3 * cell.target + 1);
      expect(report.weights.total).toBeCloseTo(universe.length, 0);
    }
  });

  it('caps the largest weight at a multiple of the mean, strictly when asked', () => {
    const free = run({});
    const capped = run({ cap: 1.5, trimming: { strict: true } });
    expect(free.report.weights.max).toBeGreaterThan(1.5 * free.report.weights.mean);
    expect(capped.report.weights.max).toBeLessThanOrEqual(1.5 * free.report.weights.mean * (1 + 1e-12));
    expect(capped.report.trimmed).toBeGreaterThan(0);
    expect(capped.report.weights.total).toBeCloseTo(free.report.weights.total, 6);
  });

  it('refuses a target level no one in the sample has, naming it', () => {
    const lonely = sample.filter((m) => m.attributes.region !== '93');
    const s = scheme({ margins });
    expect(() => runScheme(s, weightingInputs(s, lonely, sources))).toThrow(
      expect.objectContaining({ code: errorCodes.weightingEmptyCell, message: expect.stringContaining('region = 93') }),
    );
  });
});
