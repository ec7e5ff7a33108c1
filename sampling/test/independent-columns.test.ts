import { describe, expect, it } from 'vitest';
import { independentColumns } from '../src/independent-columns.js';
import { logisticRegression } from '../src/logistic-regression.js';
import { seededRandom } from '../src/random.js';

describe('independent columns', () => {
  const random = seededRandom(9);
  const size = 400;
  const a = Float64Array.from({ length: size }, () => (random() < 0.3 ? 1 : 0));
  const b = Float64Array.from({ length: size }, () => (random() < 0.5 ? 1 : 0));
  const sum = Float64Array.from(a, (v, k) => v + b[k]!);
  const ones = new Float64Array(size).fill(1);
  const notA = Float64Array.from(a, (v) => 1 - v);

  it('leaves out columns aliased with the intercept and the columns before them', () => {
    expect(independentColumns([a, b, sum, ones, notA, Float64Array.from(a)])).toEqual([0, 1]);
    expect(independentColumns([ones, a])).toEqual([1]);
    expect(independentColumns([new Float64Array(size), a])).toEqual([1]);
  });

  it('keeps the fit: the fitted propensities are those of the independent columns alone', () => {
    const y = Float64Array.from(a, (v, k) => (random() < 0.2 + 0.3 * v + 0.2 * b[k]! ? 1 : 0));
    const columns = [a, b, sum, notA];
    const fit = logisticRegression(
      independentColumns(columns).map((j) => columns[j]!),
      y,
    );
    const reference = logisticRegression([a, b], y);
    for (let k = 0; k < size; k++) expect(fit.fitted[k]).toBeCloseTo(reference.fitted[k]!, 12);
  });
});
