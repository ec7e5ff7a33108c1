/**
 * A tiny seeded PRNG. Every random draw of the simulation comes from a generator seeded by a hash of
 * (seed, what, where), so any part of the timeline can be recomputed alone and gives the same values.
 */

export type Rng = () => number;

/** cyrb53 (public domain): a fast string hash with good avalanche; 53 bits, of which we keep 32. */
function hash32(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 ^ h2) >>> 0;
}

/** mulberry32: 32-bit state, uniform in [0, 1). */
function mulberry32(state: number): Rng {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generator for one purpose: `rngFor(seed, 'sessions', deviceId, day)`. */
export function rngFor(seed: number, ...parts: (string | number)[]): Rng {
  return mulberry32(hash32([seed, ...parts].join('|')));
}

export function uniform(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng();
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** Standard normal draw (Box–Muller). */
export function normal(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]: log(0) would be -Infinity
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Triangular distribution on [min, max] with its mode at `mode`. */
export function triangular(rng: Rng, min: number, mode: number, max: number): number {
  const u = rng();
  const split = (mode - min) / (max - min);
  return u < split ? min + Math.sqrt(u * (max - min) * (mode - min)) : max - Math.sqrt((1 - u) * (max - min) * (max - mode));
}

/** Poisson draw: Knuth's method for small means, a rounded normal beyond (badge readers see dozens a day). */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rng)));
  const limit = Math.exp(-mean);
  let count = 0;
  let product = rng();
  while (product > limit) {
    count++;
    product *= rng();
  }
  return count;
}

/** The integer part always, plus one more with the probability of the fraction: a low-variance count. */
export function roundedCount(rng: Rng, rate: number): number {
  const whole = Math.floor(rate);
  return whole + (rng() < rate - whole ? 1 : 0);
}
