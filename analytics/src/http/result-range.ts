import { errorCodes, ParcoursError, queryInstantSchema, statusQuerySchema } from '@parcours/contracts';
import { z } from 'zod';
import type { StatusFilter } from '../served-results.js';

/** The range a request for sessions or journeys covers when it gives no `from`. */
export const defaultRangeMs = 24 * 3_600_000;

/** The query of the sessions and journeys routes: a range of start times (by default the last 24 hours), a status, a limit. */
export function resultRangeQuery(what: 'sessions' | 'journeys') {
  return z.object({
    from: queryInstantSchema
      .optional()
      .describe(`${what} starting at or after this instant (ISO 8601, or a date: its 00:00 UTC); by default 24 hours before \`to\``),
    to: queryInstantSchema.optional().describe(`${what} starting before this instant (ISO 8601, or a date: its 00:00 UTC); by default now`),
    status: statusQuerySchema,
    limit: z.coerce.number().int().min(1).max(10_000).default(1000).describe(`at most this many ${what}, the earliest first`),
  });
}

export interface ResultRange {
  from: number;
  to: number;
  status: StatusFilter;
  limit: number;
}

/** The query's range with its defaults filled in; one that ends before it starts is refused. */
export function resultRange(query: { from?: number | undefined; to?: number | undefined; status: StatusFilter; limit: number }, now: number): ResultRange {
  const to = query.to ?? now;
  const from = query.from ?? to - defaultRangeMs;
  if (to < from) throw new ParcoursError(errorCodes.badInterval, '`to` must not be before `from`');
  return { from, to, status: query.status, limit: query.limit };
}
