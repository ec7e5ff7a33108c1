import { errorCodes, ParcoursError } from '@parcours/contracts';

/**
 * First-order inclusion probabilities proportional to size, summing to `n`: π_k = n·a_k / Σa, then every
 * unit whose π reaches 1 is taken for certain (π = 1) and the others rescaled to the remaining sample size,
 * again until none exceeds 1 — the same steps, in the same order, as R's `sampling::inclusionprobabilities`.
 *
 * @param sizes each unit's size measure, zero or positive (a zero gets π = 0).
 * @param n the sample size, at most the number of units of positive size.
 */
export function inclusionProbabilities(sizes: readonly number[] | Float64Array, n: number): Float64Array {
  let positive = 0;
  for (const size of sizes) {
    if (!(Number.isFinite(size) && size >= 0)) throw new ParcoursError(errorCodes.validation, `a size is finite and not negative, not ${size}`);
    if (size > 0) positive++;
  }
  if (!(Number.isFinite(n) && n >= 0 && n <= positive)) {
    throw new ParcoursError(errorCodes.validation, `the sample size is between 0 and the ${positive} units of positive size, not ${n}`);
  }
  const pi = Float64Array.from(sizes);
  const total = sum(pi);
  if (total === 0) return pi;
  for (let k = 0; k < pi.length; k++) pi[k] = (n * pi[k]!) / total;
  let certain = countAtLeastOne(pi);
  let previous = 0;
  while (certain !== previous) {
    const rest = pi.reduce((acc, value) => (value > 0 && value < 1 ? acc + value : acc), 0);
    for (let k = 0; k < pi.length; k++) pi[k] = pi[k]! >= 1 ? 1 : pi[k]! > 0 ? (n - certain) * (pi[k]! / rest) : 0;
    previous = certain;
    certain = countAtLeastOne(pi);
  }
  return pi;
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

function countAtLeastOne(pi: Float64Array): number {
  let count = 0;
  for (const value of pi) if (value >= 1) count++;
  return count;
}
