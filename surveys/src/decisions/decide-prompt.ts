import { type PromptDecision, toIso } from '@parcours/contracts';
import { holdoutDraw, promptId, samplingDraw } from '../prompt-keys.js';
import { capBreach } from './caps.js';
import { cooldownBreach } from './cooldowns.js';
import type { PromptDecisionInput } from './decision-input.js';
import { quietHoursEnd } from './quiet-hours.js';
import { checkTimeZone, localText } from './zone-clock.js';

/** What became of a trigger, with everything the prompt record keeps. */
export interface Decision {
  decision: PromptDecision;
  promptId: string;
  surveyId: string;
  surveyVersion: number;
  personId: string;
  trigger: string;
  /**
   * When the prompt goes out: the trigger plus the survey's delay, or the decision's time when made later, or the
   * end of the quiet hours it fell in. For a prompt not sent, when it would have been due at the check that stopped it.
   */
  sendAt: number;
  /** When it can no longer be answered: the trigger plus the delay plus `expiresAfter`, deferred or not. */
  expiresAt: number;
  /** Why, for people: the rule and the figures that decided. */
  detail: string;
}

const share = (x: number) => `${Math.round(x * 1000) / 10}%`;

/**
 * Whether a trigger becomes a prompt, and why. Pure: the same input gives the same decision, whenever and
 * wherever it is made. The checks run in this order, the first that stops the prompt naming the decision
 * (docs/surveys.md, "Prompt decisions", says why):
 *   1. the survey's window: `not_started`, `ended`, `closed` (response target reached);
 *   2. `holdout`: the person is in the survey's comparison group;
 *   3. `no_consent`: the person opted out of surveys;
 *   4. `sampled_out`: the trigger's draw is not below the sampling rate;
 *   5. `expired`: the decision comes when the prompt could no longer be answered;
 *   6. `quiet_hours`: the prompt falls in quiet hours that end only after it expires (or after the survey ends);
 *      otherwise it is deferred to their end;
 *   7. `cooldown`: the person answered or dismissed this survey too recently;
 *   8. `capped`: the survey's caps, then the caps across all surveys.
 */
export function decidePrompt(input: PromptDecisionInput): Decision {
  const { survey, trigger, person, now } = input;
  const rules = survey.definition;
  const timeZone = person.timeZone ?? input.defaultTimeZone;
  checkTimeZone(timeZone);
  const key = { surveyId: survey.id, personId: person.id, trigger: trigger.key };
  const id = promptId(key);
  const dueAt = trigger.at + rules.delay;
  const expiresAt = dueAt + rules.expiresAfter;
  const decide = (decision: PromptDecision, detail: string, sendAt = dueAt): Decision => ({
    decision,
    promptId: id,
    surveyId: survey.id,
    surveyVersion: survey.version,
    personId: person.id,
    trigger: trigger.key,
    sendAt,
    expiresAt,
    detail,
  });

  if (rules.startsAt !== undefined && dueAt < rules.startsAt)
    return decide('not_started', `due at ${toIso(dueAt)}, before the survey starts at ${toIso(rules.startsAt)}`);
  // A decision made after the prompt was due sends it at once: every later rule applies at that time.
  const readyAt = Math.max(dueAt, now);
  if (rules.endsAt !== undefined && readyAt >= rules.endsAt)
    return decide('ended', `due at ${toIso(readyAt)}, once the survey ended at ${toIso(rules.endsAt)}`, readyAt);
  if (rules.responseTarget !== undefined && input.answers >= rules.responseTarget)
    return decide('closed', `${input.answers} answers reached the survey's target of ${rules.responseTarget}`);

  const holdout = holdoutDraw(survey.id, person.id);
  if (holdout < rules.holdout) return decide('holdout', `the person is in the ${share(rules.holdout)} of people this survey never asks`);
  if (!input.person.consentsToSurveys) return decide('no_consent', 'the person opted out of surveys');
  const draw = samplingDraw(key);
  if (draw >= rules.samplingRate) return decide('sampled_out', `the trigger's draw ${draw.toFixed(4)} is not below the sampling rate ${rules.samplingRate}`);
  if (now >= expiresAt) return decide('expired', `decided at ${toIso(now)}, once the prompt had expired at ${toIso(expiresAt)}`, readyAt);

  let sendAt = readyAt;
  let deferral: string | null = null;
  if (rules.quietHours) {
    const hours = `quiet hours ${rules.quietHours.from}–${rules.quietHours.to}`;
    const end = quietHoursEnd(rules.quietHours, timeZone, readyAt);
    if (end !== null) {
      const during = `due at ${localText(timeZone, readyAt)}, in ${hours}, which end at ${localText(timeZone, end)}`;
      if (end >= expiresAt) return decide('quiet_hours', `${during}, once the prompt has expired`, readyAt);
      if (rules.endsAt !== undefined && end >= rules.endsAt) return decide('quiet_hours', `${during}, once the survey has ended`, readyAt);
      sendAt = end;
      deferral = `deferred from ${localText(timeZone, readyAt)} to the end of ${hours}`;
    }
  }

  const others = input.history.filter((entry) => entry.promptId !== id);
  const cooldown = cooldownBreach(survey.id, rules.cooldown, others, sendAt, timeZone);
  if (cooldown !== null) return decide('cooldown', cooldown, sendAt);
  const sent = others.filter((entry) => entry.decision === 'sent');
  const ofSurvey = sent.filter((entry) => entry.surveyId === survey.id).map((entry) => entry.sentAt);
  const capped =
    capBreach(rules.caps, ofSurvey, sendAt, timeZone, 'of this survey') ??
    capBreach(
      input.globalCaps,
      sent.map((entry) => entry.sentAt),
      sendAt,
      timeZone,
      'of all surveys',
    );
  if (capped !== null) return decide('capped', capped, sendAt);
  return decide('sent', deferral ?? `due at ${localText(timeZone, sendAt)}`, sendAt);
}
