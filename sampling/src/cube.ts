import { errorCodes, ParcoursError } from '@parcours/contracts';
import { FlightBasis } from './flight-basis.js';
import { seededRandom } from './random.js';

/** π this close to 0 or 1 is taken as decided: the rounding noise of many small moves, never a real probability. */
const decided = 1e-12;

/**
 * Draws a balanced sample by the cube method (Deville & Tillé 2004): random, with every unit's inclusion
 * probability π_k respected, and the Horvitz–Thompson estimate of each auxiliary total close to its true total:
 * Σ_s x_k/π_k ≈ Σ_U x_k. The sample size is always balanced too (π itself is the first auxiliary), exactly n
 * when Σπ = n is an integer.
 *
 * - **Flight phase**, the fast one of Chauvet & Tillé (2006): units in a random order; p+1 undecided units at a
 *   time (p balancing variables), a direction u with Σ_k (x_k/π_k)·u_k = 0 found in the null space of their
 *   p × (p+1) matrix (kept in reduced row echelon form as units come and go: {@link FlightBasis}), and π
 *   moved along u or −u, with the probabilities that keep its expectation, until one of them reaches 0 or 1
 *   and the next unit takes its place. Every move keeps the balancing equations exact.
 * - **Landing phase**, by dropping variables: once fewer than p+1 units are undecided, the flight goes on
 *   without the last balancing variable, then the last but one…, the sample size last of all. So order `x` by
 *   importance. A total is then off by at most (units undecided at landing) · max_k |x_k/π_k|.
 *
 * Balancing on x_k = π_k·z_k makes the sample counts Σ_s z_k match their expectations Σ_U π_k·z_k, within
 * p·max|z| (for indicators z of a region, an age band…: within p people).
 *
 * Time grows as N·p² (300,000 units on 30 variables: about two seconds), memory as N·(p+1) numbers.
 *
 * @param pi inclusion probabilities in [0, 1]; units at 0 or 1 are decided before the flight.
 * @param x the auxiliary variables, one array of N values per variable: p arrays, not N (a unit's values are
 *   `x[0][k]`, `x[1][k]`…), so that 300,000 units need 30 arrays rather than 300,000.
 * @returns the indices of the selected units, ascending.
 */
export function cubeDraw(pi: Float64Array, x: readonly Float64Array[], seed: number): Int32Array {
  const size = pi.length;
  for (let k = 0; k < size; k++) {
    if (!(pi[k]! >= 0 && pi[k]! <= 1)) throw new ParcoursError(errorCodes.validation, `an inclusion probability is in [0, 1], not ${pi[k]}`);
  }
  x.forEach((variable, j) => {
    if (variable.length !== size) throw new ParcoursError(errorCodes.validation, `auxiliary variable ${j} has ${variable.length} values for ${size} units`);
    for (let k = 0; k < size; k++) {
      if (!Number.isFinite(variable[k]!)) throw new ParcoursError(errorCodes.validation, `auxiliary variable ${j} has the value ${variable[k]} for unit ${k}`);
    }
  });
  const random = seededRandom(seed);
  const current = Float64Array.from(pi);
  const order: number[] = [];
  for (let k = 0; k < size; k++) if (current[k]! > 0 && current[k]! < 1) order.push(k);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }

  // The balancing variables, sample size first, each scaled by its largest |x_k/π_k| so that the elimination's
  // tolerance means the same for all; a variable zero on every undecided unit balances itself and is left out.
  const variables: { values: Float64Array; scale: number }[] = [];
  for (const values of x) {
    let largest = 0;
    for (let k = 0; k < size; k++) if (pi[k]! > 0 && pi[k]! < 1) largest = Math.max(largest, Math.abs(values[k]! / pi[k]!));
    if (largest > 0) variables.push({ values, scale: 1 / largest });
  }
  const rows = variables.length + 1;
  // Each unit's scaled x_k/π_k in one row, written in index order: the flight, which takes units in random
  // order, then reads one row per unit instead of missing the cache once in each of p arrays.
  const table = new Float64Array(size * rows);
  for (let k = 0; k < size; k++) table[k * rows] = 1;
  variables.forEach(({ values, scale }, j) => {
    for (let k = 0; k < size; k++) if (pi[k]! > 0 && pi[k]! < 1) table[k * rows + j + 1] = (values[k]! / pi[k]!) * scale;
  });
  const basis = new FlightBasis(rows);
  const unitOf = new Int32Array(rows + 1).fill(-1);
  const direction = new Float64Array(rows + 1);
  let filled = 0;
  let next = 0;
  for (;;) {
    while (filled < basis.activeRows + 1 && next < order.length) {
      const slot = unitOf.indexOf(-1);
      const k = order[next++]!;
      unitOf[slot] = k;
      basis.columns.set(table.subarray(k * rows, (k + 1) * rows), slot * rows);
      basis.add(slot);
      filled++;
    }
    if (filled === 0) break;
    if (!basis.nullVector(direction)) {
      // Landing: fewer undecided units than the flight needs, and independent; the last variable goes.
      basis.dropLastRow();
      continue;
    }
    move(current, unitOf, direction, random);
    for (let slot = 0; slot <= rows; slot++) {
      const k = unitOf[slot]!;
      if (k >= 0 && (current[k] === 0 || current[k] === 1)) {
        basis.remove(slot);
        unitOf[slot] = -1;
        filled--;
      }
    }
  }
  const selected: number[] = [];
  for (let k = 0; k < size; k++) if (current[k] === 1) selected.push(k);
  return Int32Array.from(selected);
}

/**
 * One step of the martingale: π ← π + λ1·u with probability λ2/(λ1+λ2), else π − λ2·u, λ1 and λ2 the largest
 * steps that keep every π in [0, 1]; at least one unit reaches 0 or 1, and is set exactly there.
 */
function move(current: Float64Array, unitOf: Int32Array, u: Float64Array, random: () => number): void {
  let up = Number.POSITIVE_INFINITY;
  let down = Number.POSITIVE_INFINITY;
  let upLimit = -1;
  let downLimit = -1;
  for (let slot = 0; slot < unitOf.length; slot++) {
    const step = u[slot]!;
    if (step === 0 || unitOf[slot]! < 0) continue;
    const value = current[unitOf[slot]!]!;
    const toUpper = (step > 0 ? 1 - value : value) / Math.abs(step);
    const toLower = (step > 0 ? value : 1 - value) / Math.abs(step);
    if (toUpper < up) {
      up = toUpper;
      upLimit = slot;
    }
    if (toLower < down) {
      down = toLower;
      downLimit = slot;
    }
  }
  const forward = random() * (up + down) < down;
  const lambda = forward ? up : -down;
  const limit = forward ? upLimit : downLimit;
  for (let slot = 0; slot < unitOf.length; slot++) {
    const k = unitOf[slot]!;
    if (k < 0 || u[slot] === 0) continue;
    let value = current[k]! + lambda * u[slot]!;
    if (slot === limit) value = lambda * u[slot]! > 0 ? 1 : 0;
    current[k] = value < decided ? 0 : value > 1 - decided ? 1 : value;
  }
}
