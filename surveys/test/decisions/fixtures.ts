import { type SurveyInput, surveySchema } from '@parcours/contracts';
import type { PromptDecisionInput } from '../../src/index.js';

export const paris = 'Europe/Paris';
export const minute = 60_000;
export const hour = 60 * minute;
export const day = 24 * hour;

/** A survey of one question asked on an event, with the rules given. */
export function survey(id: string, rules: Partial<SurveyInput> = {}): PromptDecisionInput['survey'] {
  const definition = surveySchema.parse({
    name: id,
    questions: [{ kind: 'nps', id: 'recommend', text: 'How likely are you to recommend us?' }],
    triggers: [{ on: 'event', eventType: 'usage.stop' }],
    ...rules,
  });
  return { id, version: 1, definition };
}

/** A trigger at `at`, decided at once, for a consenting person in Paris with no history. */
export function input(at: number, overrides: Partial<PromptDecisionInput> = {}): PromptDecisionInput {
  return {
    survey: survey('nps'),
    trigger: { key: `session:${at}`, at },
    person: { id: 'p1', timeZone: paris, consentsToSurveys: true },
    defaultTimeZone: paris,
    history: [],
    globalCaps: {},
    answers: 0,
    now: at,
    ...overrides,
  };
}
