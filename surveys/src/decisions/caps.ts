import type { PromptCaps } from '@parcours/contracts';
import { localClock } from './zone-clock.js';

const hourMs = 3_600_000;
// The longest calendar day any zone has (25 hours when clocks go back), with a margin.
const longestDayMs = 27 * hourMs;

const prompts = (n: number) => (n === 1 ? '1 prompt' : `${n} prompts`);

/**
 * The most prompts of `sends` in one window of `span` (from an instant, up to and excluding `span` later) that
 * also holds `at`. Prompts decided earlier may be due later (a longer delay, a deferral past quiet hours), so the
 * windows after `at` count as well as those before: the busiest starts at `at` or at one of the sends before it.
 */
function busiestWindow(sends: readonly number[], at: number, span: number): number {
  const near = sends.filter((t) => t > at - span && t < at + span);
  const starts = [at, ...near.filter((t) => t <= at)];
  return Math.max(...starts.map((start) => near.filter((t) => t >= start && t < start + span).length));
}

/**
 * Why a prompt due at `at` would break one of `caps`, given when the other prompts in scope are sent, or null
 * when it breaks none. `scope` names those prompts in the detail (`of this survey`, `of all surveys`).
 */
export function capBreach(caps: PromptCaps, sends: readonly number[], at: number, timeZone: string, scope: string): string | null {
  if (caps.perDay !== undefined) {
    const count = busiestWindow(sends, at, 24 * hourMs);
    if (count >= caps.perDay) return `${prompts(count)} ${scope} within 24 hours (cap ${caps.perDay})`;
  }
  if (caps.perCalendarDay !== undefined) {
    const { date } = localClock(timeZone, at);
    const count = sends.filter((t) => Math.abs(t - at) < longestDayMs && localClock(timeZone, t).date === date).length;
    if (count >= caps.perCalendarDay) return `${prompts(count)} ${scope} on ${date} in ${timeZone} (cap ${caps.perCalendarDay})`;
  }
  if (caps.perWeek !== undefined) {
    const count = busiestWindow(sends, at, 7 * 24 * hourMs);
    if (count >= caps.perWeek) return `${prompts(count)} ${scope} within 7 days (cap ${caps.perWeek})`;
  }
  return null;
}
