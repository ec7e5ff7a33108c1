/**
 * The normal and Student t quantiles that confidence intervals need, from the regularized incomplete gamma and
 * beta functions (continued fractions evaluated by the modified Lentz method), refined by Newton's method on the
 * distribution function: accurate to about 1e-14, as R's `qnorm` and `qt` are.
 */

const lanczos = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = lanczos[0]!;
  for (let i = 1; i < lanczos.length; i++) sum += lanczos[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const tiny = 1e-300;
const precision = 1e-16;

/** The continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let step = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + step * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + step / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    step = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + step * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + step / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const change = d * c;
    h *= change;
    if (Math.abs(change - 1) < precision) break;
  }
  return h;
}

/**
 * The regularized incomplete beta function I_x(a, b), given x and 1 − x (each computed where it is accurate:
 * 1 − x rounded from x near 1 would lose most of its digits).
 */
function incompleteBeta(x: number, complement: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (complement <= 0) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(complement));
  // The fraction converges fast on this side of the mean; the other side by symmetry.
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, complement)) / b;
}

/** The regularized upper incomplete gamma function Q(a, x). */
function upperIncompleteGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 10_000 && Math.abs(term) > Math.abs(sum) * precision; n++) sum += term *= x / (a + n);
    return 1 - sum * front;
  }
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const change = d * c;
    h *= change;
    if (Math.abs(change - 1) < precision) break;
  }
  return front * h;
}

/** Φ(x), the standard normal distribution function. */
export function normalCdf(x: number): number {
  const upper = 0.5 * upperIncompleteGamma(0.5, (x * x) / 2);
  return x < 0 ? upper : 1 - upper;
}

/** The Student t distribution function with `df` degrees of freedom (the normal one when df is infinite). */
export function studentCdf(t: number, df: number): number {
  if (!Number.isFinite(df)) return normalCdf(t);
  const tail = 0.5 * incompleteBeta(df / (df + t * t), (t * t) / (df + t * t), df / 2, 0.5);
  return t < 0 ? tail : 1 - tail;
}

function studentDensity(t: number, df: number): number {
  if (!Number.isFinite(df)) return Math.exp(-(t * t) / 2) / Math.sqrt(2 * Math.PI);
  return Math.exp(logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI) - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/**
 * The quantile of the Student t distribution with `df` degrees of freedom for probability p in (0, 1): the
 * normal quantile when df is infinite. Newton's method from a normal start, kept within a bracket by bisection.
 */
export function studentQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`a quantile needs a probability in (0, 1), not ${p}`);
  if (!(df > 0)) throw new RangeError(`a t quantile needs positive degrees of freedom, not ${df}`);
  if (p < 0.5) return -studentQuantile(1 - p, df);
  if (p === 0.5) return 0;
  let low = 0;
  let high = 1;
  while (studentCdf(high, df) < p) high *= 2;
  let t = high / 2;
  for (let i = 0; i < 200; i++) {
    const miss = studentCdf(t, df) - p;
    if (miss > 0) high = t;
    else low = t;
    let next = t - miss / studentDensity(t, df);
    if (!(next > low && next < high)) next = (low + high) / 2;
    if (Math.abs(next - t) <= 1e-15 * Math.max(1, Math.abs(t))) return next;
    t = next;
  }
  return t;
}

/** The standard normal quantile Φ⁻¹(p). */
export function normalQuantile(p: number): number {
  return studentQuantile(p, Number.POSITIVE_INFINITY);
}
