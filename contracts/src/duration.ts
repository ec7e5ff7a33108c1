import { z } from 'zod';

const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** What a duration looks like, for messages. */
export const durationExamples = '500ms, 30s, 5m, 1h or 7d';

/** Parses `500ms`, `30s`, `5m`, `1h30m`, `7d` into milliseconds; null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) return null;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(amount) * unitMs[unit as keyof typeof unitMs];
  }
  return Math.round(total);
}

/**
 * A duration as settings write it, text only (`30m`): one syntax for every setting and option, so that a
 * bare number is never read in a unit the user did not mean. Decoded to milliseconds.
 */
export const durationTextSchema = z.string({ error: `not a duration such as ${durationExamples}` }).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `not a duration such as ${durationExamples}` });
    return z.NEVER;
  }
  return ms;
});

/** A duration written as text (`30m`) or as a number of milliseconds; decoded to milliseconds. */
export const durationSchema = z
  .union([z.number().nonnegative(), z.string()], { error: `not a duration such as ${durationExamples}` })
  .transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const ms = parseDuration(value);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `not a duration such as ${durationExamples}` });
      return z.NEVER;
    }
    return ms;
  });

const unitsLargestFirst = ['d', 'h', 'm', 's', 'ms'] as const;

/** Milliseconds as duration text that `parseDuration` reads back to the same number: `1h30m`, `500ms`, `0s`. */
export function durationText(ms: number): string {
  let rest = Math.round(ms);
  let text = '';
  for (const unit of unitsLargestFirst) {
    const amount = Math.floor(rest / unitMs[unit]);
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * unitMs[unit];
  }
  return text || '0s';
}
