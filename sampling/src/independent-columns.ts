/**
 * The columns to keep so that, with an intercept, none is a linear combination of the others: each column
 * in order is kept when what is left of it after projecting out the intercept and the columns kept before
 * is not negligible (modified Gram–Schmidt). The rest are aliased, as R's `glm` reports them (a coefficient
 * of NA): a level present exactly where another variable's level is, or the levels of two variables that
 * single out the same people. Fitting on the kept columns gives the same fitted values.
 */
export function independentColumns(columns: readonly Float64Array[], tolerance = 1e-9): number[] {
  const size = columns[0]?.length ?? 0;
  const basis: Float64Array[] = [new Float64Array(size).fill(1 / Math.sqrt(Math.max(1, size)))];
  const kept: number[] = [];
  columns.forEach((column, j) => {
    const residual = Float64Array.from(column);
    const norm = Math.sqrt(dot(residual, residual));
    for (const q of basis) {
      const along = dot(residual, q);
      for (let k = 0; k < size; k++) residual[k]! -= along * q[k]!;
    }
    const left = Math.sqrt(dot(residual, residual));
    if (norm === 0 || left <= tolerance * norm) return;
    for (let k = 0; k < size; k++) residual[k]! /= left;
    basis.push(residual);
    kept.push(j);
  });
  return kept;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k]! * b[k]!;
  return sum;
}
