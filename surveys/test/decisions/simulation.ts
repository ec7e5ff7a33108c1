import type { PromptCaps } from '@parcours/contracts';
import { seededRandom } from '@parcours/sampling';
import { type Decision, decidePrompt, type PromptDecisionInput, type PromptHistoryEntry } from '../../src/index.js';
import { day, hour, minute, paris } from './fixtures.js';

export interface SimulatedPerson {
  id: string;
  /** Undefined: the default zone, Paris. */
  timeZone?: string;
  /** When the person had opted out of surveys: [from, to). */
  optedOut: [number, number][];
}

export interface SimulatedTrigger {
  surveyId: string;
  key: string;
  at: number;
  /** When the decision is made. */
  now: number;
}

export interface Outcome {
  trigger: SimulatedTrigger;
  decision: Decision;
  entry: PromptHistoryEntry;
}

export const optedOutAt = (person: SimulatedPerson, at: number) => person.optedOut.some(([from, to]) => at >= from && at < to);

/** People with random zones (most in Paris or the default) and, for some, a spell or two of opting out. */
export function simulatedPeople(count: number, spans: readonly [number, number][], seed: number): SimulatedPerson[] {
  const random = seededRandom(seed);
  const zones = [paris, paris, paris, undefined, 'America/New_York', 'Asia/Kolkata'];
  return Array.from({ length: count }, (_, i) => {
    const optedOut: [number, number][] = [];
    if (random() < 0.2) {
      const [from, to] = spans[Math.floor(random() * spans.length)]!;
      const start = from + random() * (to - from);
      optedOut.push([start, random() < 0.5 ? start + random() * 30 * day : Number.POSITIVE_INFINITY]);
    }
    return { id: `person-${i}`, timeZone: zones[Math.floor(random() * zones.length)], optedOut };
  });
}

/**
 * Triggers at random times of day and night over the spans, about `perDay` a day, each for one of the surveys;
 * most decided within minutes, some within the hour, a few a day or more later (a re-derivation).
 */
export function simulatedTriggers(surveyIds: readonly string[], spans: readonly [number, number][], perDay: number, seed: number): SimulatedTrigger[] {
  const random = seededRandom(seed);
  const gap = () => Math.floor((-Math.log(1 - random()) * day) / perDay);
  const triggers: SimulatedTrigger[] = [];
  for (const [from, to] of spans)
    for (let at = from + gap(); at < to; at += gap()) {
      const draw = random();
      const lag = draw < 0.85 ? random() * 5 * minute : draw < 0.95 ? random() * hour : hour + random() * 40 * hour;
      triggers.push({ surveyId: surveyIds[Math.floor(random() * surveyIds.length)]!, key: `t${triggers.length}`, at, now: Math.floor(at + lag) });
    }
  return triggers;
}

/** Whether and when the person answers or dismisses a sent prompt: fixed by the prompt, whatever the order of decisions. */
function response(decision: Decision): Pick<PromptHistoryEntry, 'answeredAt' | 'dismissedAt'> {
  const what = Number.parseInt(decision.promptId.slice(3, 11), 16) / 2 ** 32;
  const when = decision.sendAt + Math.floor((Number.parseInt(decision.promptId.slice(11, 19), 16) / 2 ** 32) * (decision.expiresAt - decision.sendAt));
  if (what < 0.35) return { answeredAt: when };
  if (what < 0.65) return { dismissedAt: when };
  return {};
}

export interface SimulationRules {
  surveys: Map<string, PromptDecisionInput['survey']>;
  globalCaps: PromptCaps;
}

/**
 * Decides a person's triggers in the order they happened, each decision fed back into the history the next
 * ones see, with the person's answers and dismissals. `shuffleHistory` hands the history over in a random order.
 */
export function simulate(person: SimulatedPerson, triggers: readonly SimulatedTrigger[], rules: SimulationRules, shuffleHistory?: () => number): Outcome[] {
  const ordered = [...triggers].sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
  const history: PromptHistoryEntry[] = [];
  const outcomes: Outcome[] = [];
  for (const trigger of ordered) {
    const survey = rules.surveys.get(trigger.surveyId)!;
    const decision = decidePrompt({
      survey,
      trigger: { key: trigger.key, at: trigger.at },
      person: { id: person.id, timeZone: person.timeZone, consentsToSurveys: !optedOutAt(person, trigger.at + survey.definition.delay) },
      defaultTimeZone: paris,
      history: shuffleHistory ? shuffled(history, shuffleHistory) : history,
      globalCaps: rules.globalCaps,
      answers: 0,
      now: trigger.now,
    });
    const entry: PromptHistoryEntry = {
      surveyId: decision.surveyId,
      promptId: decision.promptId,
      sentAt: decision.sendAt,
      decision: decision.decision,
      ...(decision.decision === 'sent' ? response(decision) : {}),
    };
    history.push(entry);
    outcomes.push({ trigger, decision, entry });
  }
  return outcomes;
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
