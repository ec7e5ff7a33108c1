import { errorCodes, ParcoursError } from '@parcours/contracts';

/** What a person's clock shows at an instant: the local date (`2026-03-29`) and the minute of the day (0 to 1439). */
export interface LocalClock {
  date: string;
  minute: number;
}

const dayMs = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      throw new ParcoursError(errorCodes.validation, `"${timeZone}" is not an IANA time zone`);
    }
    formatters.set(timeZone, format);
  }
  return format;
}

/** The zone's wall time at an instant, as the UTC instant that reads the same (milliseconds kept). */
function wallOf(timeZone: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instant)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  const ms = ((instant % 1000) + 1000) % 1000;
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) + ms;
}

/** Throws when the zone is not one `Intl` knows. */
export function checkTimeZone(timeZone: string): void {
  formatter(timeZone);
}

export function localClock(timeZone: string, instant: number): LocalClock {
  const wall = wallOf(timeZone, instant);
  return { date: new Date(wall).toISOString().slice(0, 10), minute: Math.floor((wall % dayMs) / 60_000) };
}

/** `2026-03-29 07:00 Europe/Paris`, for details people read. */
export function localText(timeZone: string, instant: number): string {
  const clock = localClock(timeZone, instant);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${clock.date} ${pad(Math.floor(clock.minute / 60))}:${pad(clock.minute % 60)} ${timeZone}`;
}

export function nextDate(date: string): string {
  return new Date(Date.parse(date) + dayMs).toISOString().slice(0, 10);
}

/**
 * The first instant after `after` at which the clock reads `minute` on `date`. When the clocks go back and the
 * time comes twice, the first one after `after`; when they go forward past it, the instant they jump.
 */
export function instantOfLocal(timeZone: string, date: string, minute: number, after: number): number {
  const wall = Date.parse(date) + minute * 60_000;
  // A change of clocks is never more than a day from the wall time read as UTC: the offsets around it are all.
  const offsets = [...new Set([wall - dayMs, wall, wall + dayMs].map((at) => wallOf(timeZone, at) - at))];
  const exact = offsets
    .map((offset) => wall - offset)
    .filter((at) => at > after && wallOf(timeZone, at) === wall)
    .sort((a, b) => a - b);
  if (exact.length > 0) return exact[0]!;
  // Skipped: between these bounds the clock only moves forward, from before the wall time to after it.
  let before = wall - Math.max(...offsets);
  let reached = wall - Math.min(...offsets);
  while (reached - before > 1) {
    const middle = Math.floor((before + reached) / 2);
    if (wallOf(timeZone, middle) < wall) before = middle;
    else reached = middle;
  }
  return reached;
}
