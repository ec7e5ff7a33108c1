import type { PromptCaps, Survey } from '@parcours/contracts';
import { holdoutDraw, samplingDraw } from '../../src/index.js';
import { day, hour, paris } from './fixtures.js';
import { type Outcome, optedOutAt, type SimulatedPerson, type SimulationRules } from './simulation.js';

/**
 * An independent check of a person's sent prompts against every rule, written apart from the engine: brute
 * force over the prompts actually sent, with the local date and time read as formatted text rather than by parts.
 * Returns one line per violation, starting with the rule broken.
 */
export function audit(person: SimulatedPerson, outcomes: readonly Outcome[], rules: SimulationRules): string[] {
  const timeZone = person.timeZone ?? paris;
  const sent = outcomes.filter((o) => o.decision.decision === 'sent');
  const violations: string[] = [];
  const localDate = new Intl.DateTimeFormat('en-CA', { timeZone }).format;
  const localTime = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).format;

  const checkCaps = (caps: PromptCaps, times: number[], scope: string) => {
    const sorted = [...times].sort((a, b) => a - b);
    for (const [span, cap, name] of [
      [day, caps.perDay, 'perDay'],
      [7 * day, caps.perWeek, 'perWeek'],
    ] as const) {
      if (cap === undefined) continue;
      for (const start of sorted) {
        const inWindow = sorted.filter((t) => t >= start && t < start + span).length;
        if (inWindow > cap) violations.push(`${name} ${scope}: ${inWindow} prompts from ${new Date(start).toISOString()}`);
      }
    }
    if (caps.perCalendarDay !== undefined) {
      const perDate = new Map<string, number>();
      for (const t of sorted) perDate.set(localDate(t), (perDate.get(localDate(t)) ?? 0) + 1);
      for (const [date, count] of perDate) if (count > caps.perCalendarDay) violations.push(`perCalendarDay ${scope}: ${count} prompts on ${date}`);
    }
  };

  checkCaps(
    rules.globalCaps,
    sent.map((o) => o.decision.sendAt),
    'all surveys',
  );
  for (const [surveyId, survey] of rules.surveys) {
    const definition: Survey = survey.definition;
    const ofSurvey = sent.filter((o) => o.decision.surveyId === surveyId);
    checkCaps(
      definition.caps,
      ofSurvey.map((o) => o.decision.sendAt),
      surveyId,
    );
    for (const o of ofSurvey) {
      const at = o.decision.sendAt;
      const label = `${surveyId} at ${new Date(at).toISOString()}`;
      for (const other of ofSurvey) {
        if (other === o) continue;
        const { answeredAt, dismissedAt } = other.entry;
        const { afterAnswer, afterDismissal } = definition.cooldown;
        if (afterAnswer !== undefined && answeredAt !== undefined && answeredAt <= at && at - answeredAt < afterAnswer)
          violations.push(`cooldown ${label}: answered ${(at - answeredAt) / hour} hours before`);
        if (afterDismissal !== undefined && dismissedAt !== undefined && dismissedAt <= at && at - dismissedAt < afterDismissal)
          violations.push(`cooldown ${label}: dismissed ${(at - dismissedAt) / hour} hours before`);
      }
      if (definition.quietHours) {
        const time = localTime(at);
        const { from, to } = definition.quietHours;
        if (from < to ? time >= from && time < to : time >= from || time < to) violations.push(`quiet hours ${label}: sent at ${time} local`);
      }
      const dueAt = o.trigger.at + definition.delay;
      if (at < dueAt || at < o.trigger.now) violations.push(`timing ${label}: sent before it was due or decided`);
      if (o.trigger.now >= o.decision.expiresAt || at >= o.decision.expiresAt || o.decision.expiresAt !== dueAt + definition.expiresAfter)
        violations.push(`expiry ${label}: sent after it expired`);
      if (optedOutAt(person, dueAt)) violations.push(`consent ${label}: sent to a person who opted out`);
      if (holdoutDraw(surveyId, person.id) < definition.holdout) violations.push(`holdout ${label}: sent to a held-out person`);
      if (samplingDraw({ surveyId, personId: person.id, trigger: o.trigger.key }) >= definition.samplingRate)
        violations.push(`sampling ${label}: sent for a trigger not sampled`);
    }
  }
  return violations;
}
