import type { LogRecord, UsageSession } from '@parcours/contracts';
import type { ActorInference } from './actor-inference.js';
import type { SessionBuilder } from './session-builder.js';

export interface DerivationStep {
  /** The sessions the step closed, with their inferred actors. */
  closed: UsageSession[];
  /** The latest trusted device time so far. */
  watermark: number;
}

export interface DerivationStepOptions {
  /** The records to apply, when not all of them (a re-derivation of some devices from some time): all still move the watermark and feed the inference. */
  applied?: readonly LogRecord[];
  /** Replaces the sessions closed before their actors are inferred (the stream's late records). */
  revise?: (closed: UsageSession[], watermark: number) => UsageSession[];
}

/**
 * One step of the derivation of usage sessions from records, the same in streaming (a batch of the log
 * in arrival order) and in batch (a chunk of it in device-time order), so that both give the same
 * sessions: the records go to the builder, the watermark moves to their latest trusted device time,
 * the builder closes what the watermark makes idle or too long, and the actors of the closed sessions
 * are inferred. Mutates `builder` and `inference`; no I/O.
 */
export function deriveStep(
  builder: SessionBuilder,
  inference: ActorInference | null,
  records: readonly LogRecord[],
  watermark: number,
  options: DerivationStepOptions = {},
): DerivationStep {
  inference?.observe(records);
  const built = builder.apply(options.applied ?? records);
  // A corrected device clock is stamped with the receive time, which in a replay of past data runs far
  // ahead of the fleet's time: only trusted clocks move the watermark that closes idle sessions.
  let latest = watermark;
  for (const record of records) if (record.deviceTs === null && record.ts > latest) latest = record.ts;
  built.push(...builder.advance(latest));
  const closed = options.revise ? options.revise(built, latest) : built;
  // Inferred as each step closes them: the inference forgets the activity older than its horizon as it goes.
  return { closed: inference ? inference.apply(closed) : closed, watermark: latest };
}
