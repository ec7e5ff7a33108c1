/** Small dense linear algebra on row-major Float64Arrays: what calibration's Newton steps and residuals need. */

/**
 * The Moore–Penrose pseudo-inverse of a symmetric p × p matrix times a vector, as R's `MASS::ginv` gives it:
 * eigenvalues (the singular values up to sign) below 256·ε times the largest are taken as zero, so that
 * redundant constraints (a total implied by others) do not make the step fail. Cyclic Jacobi rotations.
 */
export function symmetricPseudoSolve(matrix: Float64Array, p: number, rhs: Float64Array): Float64Array {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(p * p);
  for (let i = 0; i < p; i++) v[i * p + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diagonal = 0;
    for (let i = 0; i < p; i++) {
      diagonal += a[i * p + i]! ** 2;
      for (let j = i + 1; j < p; j++) off += a[i * p + j]! ** 2;
    }
    if (off <= 1e-32 * diagonal || off === 0) break;
    for (let i = 0; i < p; i++) {
      for (let j = i + 1; j < p; j++) {
        const aij = a[i * p + j]!;
        if (aij === 0) continue;
        const theta = (a[j * p + j]! - a[i * p + i]!) / (2 * aij);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < p; k++) {
          const aki = a[k * p + i]!;
          const akj = a[k * p + j]!;
          a[k * p + i] = c * aki - s * akj;
          a[k * p + j] = s * aki + c * akj;
        }
        for (let k = 0; k < p; k++) {
          const aik = a[i * p + k]!;
          const ajk = a[j * p + k]!;
          a[i * p + k] = c * aik - s * ajk;
          a[j * p + k] = s * aik + c * ajk;
        }
        for (let k = 0; k < p; k++) {
          const vki = v[k * p + i]!;
          const vkj = v[k * p + j]!;
          v[k * p + i] = c * vki - s * vkj;
          v[k * p + j] = s * vki + c * vkj;
        }
      }
    }
  }
  let largest = 0;
  for (let i = 0; i < p; i++) largest = Math.max(largest, Math.abs(a[i * p + i]!));
  const cutoff = 256 * Number.EPSILON * largest;
  const solution = new Float64Array(p);
  for (let k = 0; k < p; k++) {
    const eigenvalue = a[k * p + k]!;
    if (!(Math.abs(eigenvalue) > cutoff)) continue;
    let along = 0;
    for (let i = 0; i < p; i++) along += v[i * p + k]! * rhs[i]!;
    along /= eigenvalue;
    for (let i = 0; i < p; i++) solution[i]! += along * v[i * p + k]!;
  }
  return solution;
}

/**
 * An orthonormal basis of the span of the columns (each of length n), by modified Gram–Schmidt done twice for
 * accuracy; a column whose remainder is below `tolerance` times its norm adds nothing (it is a combination of
 * those before, as R's `qr` reports such a column at tolerance 1e-7).
 */
export function orthonormalBasis(columns: readonly Float64Array[], tolerance = 1e-7): Float64Array[] {
  const basis: Float64Array[] = [];
  for (const column of columns) {
    const residual = Float64Array.from(column);
    const norm = Math.sqrt(dot(residual, residual));
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) subtractMultiple(residual, q, dot(residual, q));
    }
    const left = Math.sqrt(dot(residual, residual));
    if (norm === 0 || left <= tolerance * norm) continue;
    for (let k = 0; k < residual.length; k++) residual[k]! /= left;
    basis.push(residual);
  }
  return basis;
}

/** What is left of x once projected off the span of an orthonormal basis (in place; returns x). */
export function projectOff(x: Float64Array, basis: readonly Float64Array[]): Float64Array {
  for (let pass = 0; pass < 2; pass++) {
    for (const q of basis) subtractMultiple(x, q, dot(x, q));
  }
  return x;
}

/** Σ a_k·b_k. */
export function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += a[k]! * b[k]!;
  return sum;
}

function subtractMultiple(x: Float64Array, q: Float64Array, factor: number): void {
  if (factor === 0) return;
  for (let k = 0; k < x.length; k++) x[k]! -= factor * q[k]!;
}
