import type { LogRecord, UsageSession } from '@parcours/contracts';
import type { SessionBuilder } from './session-builder.js';

export interface DerivationStep {
  /** The sessions the step closed. */
  closed: UsageSession[];
  /** The latest trusted device time so far. */
  watermark: number;
}

export interface DerivationStepOptions {
  /** The records to apply, when not all of them (a re-derivation of some devices from some time): all still move the watermark. */
  applied?: readonly LogRecord[];
  /** Replaces the sessions closed (the stream's late records). */
  revise?: (closed: UsageSession[], watermark: number) => UsageSession[];
}

/**
 * One step of the derivation of usage sessions from records, the same in streaming (a batch of the log
 * in arrival order) and in batch (a chunk of it in device-time order), so that both give the same
 * sessions: the records go to the builder, the watermark moves to their latest trusted device time, and
 * the builder closes what the watermark makes idle or too long. Mutates `builder`; no I/O. The actors
 * are inferred after (`ActorInference`), once the watermark has decided them.
 */
export function deriveStep(builder: SessionBuilder, records: readonly LogRecord[], watermark: number, options: DerivationStepOptions = {}): DerivationStep {
  const built = builder.apply(options.applied ?? records);
  // A corrected device clock is stamped with the receive time, which in a replay of past data runs far
  // ahead of the fleet's time: only trusted clocks move the watermark that closes idle sessions.
  let latest = watermark;
  for (const record of records) if (record.deviceTs === null && record.ts > latest) latest = record.ts;
  built.push(...builder.advance(latest));
  return { closed: options.revise ? options.revise(built, latest) : built, watermark: latest };
}
