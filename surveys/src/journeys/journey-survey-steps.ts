import type { JourneySurveyStep } from '@parcours/contracts';
import type { PromptStore } from '../prompts/prompt-store.js';

/** A journey as far as its survey steps go: its id and span. */
export interface JourneySpan {
  id: string;
  start: number;
  end: number;
}

/**
 * The survey steps of a person's journeys, by journey id: the prompts the person answered or dismissed whose
 * trigger falls within the journey. Read from the journeys as derived now, so a re-derivation (a start moved,
 * journeys merged) carries them along.
 */
export function journeySurveySteps(prompts: PromptStore, personId: string, journeys: readonly JourneySpan[]): Map<string, JourneySurveyStep[]> {
  const steps = new Map(journeys.map((journey) => [journey.id, [] as JourneySurveyStep[]]));
  if (journeys.length === 0) return steps;
  const from = Math.min(...journeys.map((j) => j.start));
  const to = Math.max(...journeys.map((j) => j.end));
  for (const prompt of prompts.replied(personId, from, to)) {
    // A person's journeys never overlap: at most one holds the trigger.
    const journey = journeys.find((j) => prompt.triggeredAt >= j.start && prompt.triggeredAt <= j.end);
    if (!journey) continue;
    steps.get(journey.id)!.push({
      kind: 'survey',
      promptId: prompt.promptId,
      surveyId: prompt.surveyId,
      reply: prompt.answeredAt === null ? 'dismissed' : 'answered',
      at: prompt.answeredAt ?? prompt.dismissedAt!,
      triggeredAt: prompt.triggeredAt,
      sessionId: prompt.sessionId,
    });
  }
  return steps;
}
