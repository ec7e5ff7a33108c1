import { errorCodes, ParcoursError } from '@parcours/contracts';

/** SplitMix32 step: spreads a seed's bits over the generator's state, so that nearby seeds give unrelated streams. */
function splitMix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/**
 * A seeded generator of uniform numbers in [0, 1): xoshiro128** (Blackman & Vigna), its 128-bit state filled by
 * SplitMix32 from the seed, two 32-bit outputs making each number's 53 bits. Its period, 2^128 − 1, and
 * equidistribution are well beyond what mulberry32 (period 2^32) gives, for the millions of numbers a
 * repeated draw of a large universe uses. The same seed always gives the same stream, on every platform.
 *
 * @param seed any safe integer (negative ones too); two seeds never give the same stream.
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isSafeInteger(seed)) throw new ParcoursError(errorCodes.validation, `a seed is a safe integer, not ${seed}`);
  // The state in a typed array: 32-bit words held in closure variables would be boxed at every step.
  const s = new Int32Array(4);
  // The first word depends on the seed's low 32 bits alone and the third, given those, on its high bits alone:
  // SplitMix32's output is a bijection of its state, so two seeds never share a state.
  let mix = seed >>> 0;
  [mix, s[0]] = splitMix32(mix);
  [mix, s[1]] = splitMix32(mix);
  [mix, s[2]] = splitMix32(mix ^ Math.floor(seed / 2 ** 32));
  [mix, s[3]] = splitMix32(mix);
  // An all-zero state is the one xoshiro cannot leave.
  if (s.every((word) => word === 0)) s[0] = 1;
  const next32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
  return () => ((next32() >>> 5) * 2 ** 26 + (next32() >>> 6)) / 2 ** 53;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A seed for one named part of a draw (a cell, a repetition): FNV-1a of the name mixed with the draw's seed. */
export function derivedSeed(seed: number, name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return ((hash ^ (seed >>> 0)) >>> 0) + Math.floor(seed / 2 ** 32) * 2 ** 32;
}
