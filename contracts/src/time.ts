import { z } from 'zod';

/** Device timestamps: milliseconds since the epoch, or an ISO 8601 date-time with an offset; decoded to ms. */
export const deviceTimestampSchema = z
  .union([z.number().int().nonnegative().max(8.64e15), z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso))])
  .describe('ms since the epoch, or ISO 8601 with offset');

/** API instants travel as ISO 8601 strings and are held as ms in code. */
export const instantSchema = z.codec(z.iso.datetime({ offset: true }), z.number().int(), {
  decode: (iso) => Date.parse(iso),
  encode: (ms) => new Date(ms).toISOString(),
});

/**
 * An instant in a query string: an ISO 8601 date-time with an offset, or a date alone (`2026-03-02`), which
 * stands for that day's 00:00 UTC (as `Date.parse` reads a date, ECMA-262 §21.4.3.2).
 */
export const queryInstantSchema = z.codec(z.union([z.iso.datetime({ offset: true }), z.iso.date()]), z.number().int(), {
  decode: (text) => Date.parse(text),
  encode: (ms) => new Date(ms).toISOString(),
});

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
