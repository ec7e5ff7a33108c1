import { inferActor, type InferenceModel } from '@parcours/analytics';
import type { UsageSession } from '@parcours/contracts';
import type { Sample } from './samples.js';

/** What `parcours accuracy` reports of the inference (docs/analytics.md), on samples: its inferred share, share right, calibration error. */
export interface InferenceFigures {
  sessions: number;
  inferred: number;
  inferredShare: number;
  right: number;
  precision: number;
  calibrationError: number;
}

export function figuresOf(samples: readonly Sample[], model: InferenceModel, minConfidence: number): InferenceFigures {
  const guesses = samples.flatMap((s) => {
    const session = { actor: null, subjectKind: 'collective', subjectId: 'collective' } as unknown as UsageSession;
    const atStart = { members: s.members, deviceTypes: (id: string) => s.deviceTypes[id] ?? [], evidence: s.evidence };
    const { inferredActor, inferenceConfidence } = inferActor(session, atStart, minConfidence, model);
    return inferredActor === null ? [] : [{ confidence: inferenceConfidence ?? 0, right: inferredActor === s.user }];
  });
  let calibrationError = 0;
  for (let b = 0; b < 10; b++) {
    const inBin = guesses.filter((g) => g.confidence >= b / 10 && (g.confidence < (b + 1) / 10 || b === 9));
    if (inBin.length === 0) continue;
    const accuracy = inBin.filter((g) => g.right).length / inBin.length;
    const mean = inBin.reduce((a, g) => a + g.confidence, 0) / inBin.length;
    calibrationError += (inBin.length / guesses.length) * Math.abs(accuracy - mean);
  }
  const right = guesses.filter((g) => g.right).length;
  return {
    sessions: samples.length,
    inferred: guesses.length,
    inferredShare: samples.length === 0 ? 0 : guesses.length / samples.length,
    right,
    precision: guesses.length === 0 ? 1 : right / guesses.length,
    calibrationError,
  };
}
