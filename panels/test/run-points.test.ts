import { measurements } from '@parcours/contracts';
import { seededRandom } from '@parcours/sampling';
import { rake } from '@parcours/weighting';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { schemeRunPoints, schemeRunWriter, type StoredSchemeRun, weightBuckets, weightHistogram } from '../src/weighting/run-points.js';

/** A panel of 400 over région × sex drawn unevenly, raked to a région table and a région × sex one. */
const random = seededRandom(7);
const regions = ['11', '53', '84'];
const people = Array.from({ length: 400 }, () => ({ region: regions[Math.floor(random() * 3)]!, sex: random() < 0.3 ? 'F' : 'M' }));
const baseWeights = people.map((p) => (p.region === '11' ? 10 : 25) * (0.5 + random()));
const margins = [
  { variables: ['region'], cells: regions.map((region, i) => ({ levels: { region }, total: 3000 + 1000 * i })) },
  {
    variables: ['region', 'sex'],
    cells: regions.flatMap((region, i) => ['F', 'M'].map((sex) => ({ levels: { region, sex }, total: (3000 + 1000 * i) / 2 }))),
  },
];
const weighting = rake({ levels: { region: people.map((p) => p.region), sex: people.map((p) => p.sex) }, baseWeights }, margins, { maxit: 50, epsilon: 1e-6 });
const run: StoredSchemeRun = {
  schemeId: 'to-regions',
  version: 3,
  at: Date.UTC(2026, 2, 1),
  ranAt: Date.UTC(2026, 2, 2, 9),
  report: weighting.report,
  weights: weighting.weights,
};

/** The bucket a ratio belongs to, found afresh: how many buckets start at or below it, less one. */
const bucketOf = (ratio: number) => weightBuckets.filter((b) => ratio >= b.lower).length - 1;

describe('the points of a stored weighting run', () => {
  it('counts every weight in the bucket of its ratio to the mean, bounds included in the bucket above', () => {
    const mean = 1;
    const edges = weightBuckets.slice(1).map((b) => b.lower);
    const weights = [...edges, -0.5, 0, ...Array.from({ length: 1000 }, () => Math.exp(random() * 4 - 2.5))];
    const counts = weightHistogram(weights, mean);
    const expected = weightBuckets.map((_, b) => weights.filter((w) => bucketOf(w / mean) === b).length);
    expect(counts).toEqual(expected);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(weights.length);
    edges.forEach((edge, i) => {
      expect(bucketOf(edge), `${edge}`).toBe(i + 1);
    });
  });

  it('labels the buckets so that they sort as they come', () => {
    const labels = weightBuckets.map((b) => b.label);
    expect([...labels].sort()).toEqual(labels);
  });

  it('writes the report, every margin cell and every bucket, at the run’s time with its scheme, version and method', () => {
    const points = schemeRunPoints(run);
    const { report } = weighting;
    expect(points.every((p) => p.timestampMs === run.ranAt)).toBe(true);
    expect(points.every((p) => p.tags.scheme === 'to-regions' && p.tags.version === '3' && p.tags.method === 'rake')).toBe(true);

    const [summary, ...rest] = points;
    expect(summary!.measurement).toBe(measurements.weighting);
    expect(summary!.fields).toMatchObject({
      design_effect: report.weights.designEffect,
      effective_size: report.weights.effectiveSize,
      cv: report.weights.cv,
      min: report.weights.min,
      max: report.weights.max,
      largest_margin_error: report.largestMarginError,
    });
    expect(summary!.intFields).toEqual({ n: 400, trimmed: 0, iterations: report.iterations, converged: 1 });

    const cells = rest.filter((p) => p.measurement === measurements.weightingMargin);
    const expectedCells = margins.flatMap((m) => m.cells.map((c) => `${m.variables.join('×')} ${m.variables.map((v) => c.levels[v as 'region']).join('×')}`));
    expect(cells.map((p) => `${p.tags.variable} ${p.tags.level}`).sort()).toEqual(expectedCells.sort());
    for (const cell of cells) {
      const { target, after } = cell.fields as { target: number; after: number };
      expect(cell.fields.after_gap).toBeCloseTo((after - target) / target, 12);
    }

    const buckets = rest.filter((p) => p.measurement === measurements.weightingWeights);
    expect(buckets.map((p) => p.tags.bucket)).toEqual(weightBuckets.map((b) => b.label));
    const counts = buckets.map((p) => p.intFields!.count!);
    expect(counts).toEqual(weightBuckets.map((_, b) => [...weighting.weights].filter((w) => bucketOf(w / report.weights.mean) === b).length));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(400);
    for (const p of buckets) expect(p.fields.share).toBe(p.intFields!.count! / 400);
  });

  it('leaves out the relative gaps of a cell whose target is 0', () => {
    const cell = { levels: { region: '93' }, target: 0, before: 12, after: 3 };
    const points = schemeRunPoints({ ...run, report: { ...run.report, margins: [cell] } });
    const margin = points.find((p) => p.measurement === measurements.weightingMargin)!;
    expect(margin.fields).toEqual({ target: 0, before: 12, after: 3 });
  });

  it('leaves out the figures that have no value, which line protocol cannot carry', () => {
    const none = {
      n: 0,
      total: 0,
      min: Number.POSITIVE_INFINITY,
      max: Number.NEGATIVE_INFINITY,
      mean: Number.NaN,
      cv: Number.NaN,
      designEffect: Number.NaN,
      effectiveSize: Number.NaN,
    };
    const points = schemeRunPoints({ ...run, report: { ...run.report, weights: none, margins: [] }, weights: [] });
    expect(points).toHaveLength(1);
    expect(points[0]!.fields).toEqual({ total: 0, largest_margin_error: run.report.largestMarginError });
  });

  it('logs a write that fails, whether it rejects or throws, and never throws itself', async () => {
    const logged: string[] = [];
    let seen: () => void = () => {};
    const logger = pino(
      { level: 'warn' },
      {
        write: (line: string) => {
          logged.push(line);
          seen();
        },
      },
    );
    const twoLogged = new Promise<void>((resolve) => {
      seen = () => logged.length === 2 && resolve();
    });
    const rejecting = schemeRunWriter(() => Promise.reject(new Error('InfluxDB is down')), logger);
    const throwing = schemeRunWriter(() => {
      throw new Error('no connection');
    }, logger);
    expect(() => rejecting(run)).not.toThrow();
    expect(() => throwing(run)).not.toThrow();
    await twoLogged;
    expect(logged.map((line) => JSON.parse(line) as { msg: string; scheme: string; err: { message: string } })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ scheme: 'to-regions', err: expect.objectContaining({ message: 'InfluxDB is down' }) }),
        expect.objectContaining({ scheme: 'to-regions', err: expect.objectContaining({ message: 'no connection' }) }),
      ]),
    );
  });
});
