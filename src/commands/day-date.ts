import { UsageError } from './usage-error.js';

/** A calendar day in the local time zone: from its midnight to the next (23 or 25 hours on a change of clocks). */
export interface LocalDay {
  from: number;
  to: number;
  /** `2025-06-02` */
  date: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

function localDay(year: number, monthIndex: number, day: number): LocalDay {
  const start = new Date(year, monthIndex, day);
  return {
    from: start.getTime(),
    to: new Date(year, monthIndex, day + 1).getTime(),
    date: `${start.getFullYear()}-${pad(start.getMonth() + 1)}-${pad(start.getDate())}`,
  };
}

/** `--date today|yesterday|YYYY-MM-DD`, read in the local time zone of `now`'s machine. */
export function parseDay(text: string, now: Date): LocalDay {
  if (text === 'today') return localDay(now.getFullYear(), now.getMonth(), now.getDate());
  if (text === 'yesterday') return localDay(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const day = match ? localDay(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : null;
  // 2025-02-30 would roll over to March: refused rather than shown as another day.
  if (!day || day.date !== text) throw new UsageError(`--date ${text}: not today, yesterday or a date such as 2025-06-02`);
  return day;
}
