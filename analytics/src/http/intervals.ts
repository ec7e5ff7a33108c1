import { errorCodes, ParcoursError } from '@parcours/contracts';

/** Longest range computed on request (funnels, aggregates): what it holds is read into memory. */
export const maxRangeDays = 366;

/** An empty, reversed or overlong interval is a client error with its own code. */
export function checkInterval(from: number, to: number): void {
  if (to <= from) throw new ParcoursError(errorCodes.badInterval, '`to` must be after `from`');
  if (to - from > maxRangeDays * 86_400_000) throw new ParcoursError(errorCodes.badInterval, `a range covers at most ${maxRangeDays} days`);
}
