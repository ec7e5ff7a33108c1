import { durationText, toIso } from '@parcours/contracts';
import type { SurveyDefinition } from './survey-store.js';

/**
 * A stored survey as a request writes it: instants in ISO 8601, durations as text (`1h30m`). Parsing it again
 * gives back the same definition, so a survey read from the API can be changed and sent back as its next version.
 */
export function surveyAsWritten(survey: SurveyDefinition): Record<string, unknown> {
  const { startsAt, endsAt, delay, expiresAfter, cooldown, triggers, ...rest } = survey;
  return {
    ...rest,
    triggers: triggers.map((trigger) =>
      trigger.on === 'session_closed' && trigger.minDuration !== undefined ? { ...trigger, minDuration: durationText(trigger.minDuration) } : trigger,
    ),
    delay: durationText(delay),
    cooldown: Object.fromEntries(Object.entries(cooldown).map(([after, ms]) => [after, durationText(ms)])),
    expiresAfter: durationText(expiresAfter),
    startsAt: toIso(startsAt),
    ...(endsAt === undefined ? {} : { endsAt: toIso(endsAt) }),
  };
}
