import type { Survey } from '@parcours/contracts';
import type { PromptHistoryEntry } from './decision-input.js';
import { localText } from './zone-clock.js';

const units = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
] as const;

/** `7d`, `1d12h`, `90s`: a duration as settings write it. */
function durationText(ms: number): string {
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    if (rest >= size) text += `${Math.floor(rest / size)}${unit}`;
    rest %= size;
  }
  return text + (rest > 0 || text === '' ? `${rest}ms` : '');
}

/**
 * Why a prompt of the survey due at `at` falls in a rest after the person's last answer or dismissal of that
 * survey before `at`, or null when it does not. `history` is the person's other prompts.
 */
export function cooldownBreach(
  surveyId: string,
  cooldown: Survey['cooldown'],
  history: readonly PromptHistoryEntry[],
  at: number,
  timeZone: string,
): string | null {
  const ofSurvey = history.filter((entry) => entry.surveyId === surveyId);
  const rests = [
    { what: 'answered', span: cooldown.afterAnswer, times: ofSurvey.map((entry) => entry.answeredAt) },
    { what: 'dismissed', span: cooldown.afterDismissal, times: ofSurvey.map((entry) => entry.dismissedAt) },
  ];
  let breach: { until: number; text: string } | null = null;
  for (const { what, span, times } of rests) {
    if (span === undefined) continue;
    const last = Math.max(...times.filter((t): t is number => t !== undefined && t <= at));
    const until = last + span;
    if (at < until && (breach === null || until > breach.until))
      breach = {
        until,
        text: `${what} on ${localText(timeZone, last)}: no prompt of this survey for ${durationText(span)}, until ${localText(timeZone, until)}`,
      };
  }
  return breach?.text ?? null;
}
