import { durationExamples, parseDuration } from '@parcours/contracts';
import { UsageError } from './usage-error.js';

/** An ISO 8601 date-time option, in milliseconds since the epoch. */
export function instantOption(text: string, flag: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`${flag} ${text}: not an ISO 8601 date-time such as 2025-06-02T07:00:00Z`);
  return ms;
}

/** A duration option, written as every duration in Parcours is (`30s`, `5m`), in milliseconds. */
export function durationOption(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`${flag} ${text}: not a duration such as ${durationExamples}`);
  return ms;
}

/** A whole-number option of at least `min`. */
export function wholeNumberOption(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${text}: not a whole number ≥ ${min}`);
  return n;
}

/** `--from`/`--to` of a range: the end after the start. */
export function rangeOptions(from: number, to: number): void {
  if (to <= from) throw new UsageError('--to must be after --from');
}
