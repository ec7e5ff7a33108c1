import { isDecided, type TruthAttributionLike } from './attribution-accuracy.js';
import type { SessionPair } from './session-matching.js';
import type { SubjectKind } from '@parcours/contracts';

/**
 * The inferred actor against the truth, on the matched sessions where nothing decides who it was (a shared
 * device naming nobody, not ambient) and the truth knows who really used it: how often Parcours infers (`inferredShare`),
 * how often it is then right (`precision`), and whether its confidence means what it says — the expected
 * calibration error over ten equal-width confidence bins, Σ (n_b / n) · |accuracy_b − mean confidence_b|
 * (Guo et al., 2017): 0 when, of the inferences given confidence ≈ c, a share c is right.
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
  calibrationError: number;
  bins: CalibrationBin[];
}

const binCount = 10;

/** `ambient`: the device types Parcours infers nobody for (used by nobody in particular), left out. */
export function inferenceAccuracy<T extends TruthAttributionLike & { deviceType: string }, D extends InferredSessionLike & { actor: string | null }>(
  pairs: readonly SessionPair<T, D>[],
  kindOf: (subjectId: string) => SubjectKind | undefined,
  ambient: (deviceType: string) => boolean,
): InferenceAccuracy {
  const judged = pairs.filter(({ truth, derived }) => !isDecided(truth, kindOf) && derived.actor === null && truth.user !== null && !ambient(truth.deviceType));
  const guesses = judged.flatMap(({ truth, derived }) =>
    derived.inferredActor === null ? [] : [{ confidence: derived.inferenceConfidence ?? 0, right: derived.inferredActor === truth.user }],
  );
  const bins = Array.from({ length: binCount }, (_, i) => {
    const from = i / binCount;
    const to = (i + 1) / binCount;
    const inBin = guesses.filter((g) => g.confidence >= from && (g.confidence < to || (i === binCount - 1 && g.confidence <= to)));
    const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
    return {
      from,
      to,
      count: inBin.length,
      meanConfidence: mean(inBin.map((g) => g.confidence)),
      accuracy: mean(inBin.map((g) => (g.right ? 1 : 0))),
    };
  });
  const right = guesses.filter((g) => g.right).length;
  return {
    sessions: judged.length,
    inferred: guesses.length,
    right,
    inferredShare: judged.length === 0 ? 0 : guesses.length / judged.length,
    precision: guesses.length === 0 ? 1 : right / guesses.length,
    calibrationError: guesses.length === 0 ? 0 : bins.reduce((sum, b) => sum + (b.count / guesses.length) * Math.abs(b.accuracy - b.meanConfidence), 0),
    bins: bins.filter((b) => b.count > 0),
  };
}
