import { isDecided, type TruthAttributionLike } from './attribution-accuracy.js';
import type { SessionPair } from './session-matching.js';
import type { SubjectKind } from '@parcours/contracts';

/**
 * The inferred actor against the truth, on the matched sessions where nothing decides who it was (a shared
 * device naming nobody, not ambient) and the truth knows who really used it: how often Parcours infers (`inferredShare`),
 * how often it is then right (`precision`), and whether its confidence means what it says — the expected
 * calibration error over ten equal-width confidence bins, Σ (n_b / n) · |accuracy_b − mean confidence_b|
 * (Guo et al., 2017): 0 when, of the inferences given confidence ≈ c, a share c is right. Both figures come
 * with what chance alone could make of them on so few inferences: the share right with its 95 % Wilson
 * interval, the calibration error with the value a perfectly calibrated inference would stay under 95 % of
 * the time (consistency resampling, Bröcker & Smith, 2007).
 */

export interface InferredSessionLike {
  inferredActor: string | null;
  inferenceConfidence: number | null;
}

export interface CalibrationBin {
  /** The bin's confidence range [from, to); the last one includes 1. */
  from: number;
  to: number;
  count: number;
  meanConfidence: number;
  accuracy: number;
}

export interface InferenceAccuracy {
  /** Matched sessions whose user only inference can name, and whose user the truth knows. */
  sessions: number;
  inferred: number;
  right: number;
  /** inferred / sessions; 0 when there are none. */
  inferredShare: number;
  /** right / inferred; 1 when nothing was inferred (nothing wrongly inferred). */
  precision: number;
  /** The 95 % Wilson score interval of `precision` ([0, 1] when nothing was inferred). */
  precisionInterval: { low: number; high: number };
  calibrationError: number;
  /** The 95th percentile of the calibration error of these confidences were each right with its own probability. */
  calibrationErrorByChance: number;
  bins: CalibrationBin[];
}

const binCount = 10;
/** Draws of the consistency resampling: enough for a stable 95th percentile, cheap beside the report. */
const chanceDraws = 2000;

interface Guess {
  confidence: number;
  right: boolean;
}

function binsOf(guesses: readonly Guess[]): CalibrationBin[] {
  const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
  return Array.from({ length: binCount }, (_, i) => {
    const from = i / binCount;
    const to = (i + 1) / binCount;
    const inBin = guesses.filter((g) => g.confidence >= from && (g.confidence < to || (i === binCount - 1 && g.confidence <= to)));
    return { from, to, count: inBin.length, meanConfidence: mean(inBin.map((g) => g.confidence)), accuracy: mean(inBin.map((g) => (g.right ? 1 : 0))) };
  });
}

function calibrationErrorOf(guesses: readonly Guess[]): number {
  if (guesses.length === 0) return 0;
  return binsOf(guesses).reduce((sum, b) => sum + (b.count / guesses.length) * Math.abs(b.accuracy - b.meanConfidence), 0);
}

/** The 95 % Wilson score interval of a share: the p for which |successes/n − p| ≤ 1.96·√(p(1 − p)/n). */
export function wilsonInterval(successes: number, n: number): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const z = 1.959963984540054;
  const p = successes / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** mulberry32, seeded: the same draws, hence the same report, on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The calibration error a perfectly calibrated inference stays under 95 % of the time with these
 * confidences: each draw makes every inference right with probability its confidence.
 */
export function chanceCalibrationError(confidences: readonly number[]): number {
  if (confidences.length === 0) return 0;
  const random = seededRandom(confidences.length);
  const errors = Array.from({ length: chanceDraws }, () => calibrationErrorOf(confidences.map((confidence) => ({ confidence, right: random() < confidence }))));
  errors.sort((a, b) => a - b);
  return errors[Math.ceil(0.95 * chanceDraws) - 1]!;
}

/** `ambient`: the device types Parcours infers nobody for (used by nobody in particular), left out. */
export function inferenceAccuracy<T extends TruthAttributionLike & { deviceType: string }, D extends InferredSessionLike & { actor: string | null }>(
  pairs: readonly SessionPair<T, D>[],
  kindOf: (subjectId: string) => SubjectKind | undefined,
  ambient: (deviceType: string) => boolean,
): InferenceAccuracy {
  const judged = pairs.filter(({ truth, derived }) => !isDecided(truth, kindOf) && derived.actor === null && truth.user !== null && !ambient(truth.deviceType));
  const guesses: Guess[] = judged.flatMap(({ truth, derived }) =>
    derived.inferredActor === null ? [] : [{ confidence: derived.inferenceConfidence ?? 0, right: derived.inferredActor === truth.user }],
  );
  const right = guesses.filter((g) => g.right).length;
  return {
    sessions: judged.length,
    inferred: guesses.length,
    right,
    inferredShare: judged.length === 0 ? 0 : guesses.length / judged.length,
    precision: guesses.length === 0 ? 1 : right / guesses.length,
    precisionInterval: wilsonInterval(right, guesses.length),
    calibrationError: calibrationErrorOf(guesses),
    calibrationErrorByChance: chanceCalibrationError(guesses.map((g) => g.confidence)),
    bins: binsOf(guesses).filter((b) => b.count > 0),
  };
}
