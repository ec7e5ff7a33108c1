import { measurements, noneTag, type Question, type Survey, tags } from '@parcours/contracts';
import type { InfluxPoint } from '@parcours/gateway';
import type { PromptChange, PromptChangeListener } from '../prompts/prompt-store.js';

/** The survey version a prompt was asked under, whose questions say what its answer's values are. */
export type SurveyVersionOf = (surveyId: string, version: number) => Survey | null;

/**
 * Nanoseconds fixed by the prompt id (its hex digits), so that prompts changed in the same millisecond with the
 * same tags stay apart (a batch of decisions shares its time) while writing one again hits the same key.
 */
const subMsNsOf = (promptId: string) => Number.parseInt(promptId.replace(/[^0-9a-f]/g, '').slice(-8) || '0', 16) % 1_000_000;

/** The NPS class of a score: +1 promoter (9–10), 0 passive (7–8), −1 detractor (0–6); its mean × 100 is the NPS. */
const npsClass = (score: number) => (score >= 9 ? 1 : score <= 6 ? -1 : 0);

/** The points of one question's value: one per choice picked for choice questions, one otherwise. */
function answerFields(question: Question, value: unknown): { choice?: string; fields: Record<string, number> }[] {
  switch (question.kind) {
    case 'single':
      return [{ choice: String(value), fields: {} }];
    case 'multiple':
      return (value as string[]).map((choice) => ({ choice, fields: {} }));
    case 'rating':
      return [{ fields: { score: value as number } }];
    case 'nps':
      return [{ fields: { score: value as number, nps_class: npsClass(value as number) } }];
    case 'text':
      // The text stays in the store: people's words are not series.
      return [{ fields: {} }];
  }
}

/**
 * A prompt change as InfluxDB receives it: a `survey_prompt` point at the change's time, and for an answer a
 * `survey_answer` point per question answered (per choice picked), read by the questions of the survey's version.
 */
export function promptPoints(change: PromptChange, surveyOf: SurveyVersionOf): InfluxPoint[] {
  const { prompt, kind, at } = change;
  const survey = { [tags.survey]: prompt.surveyId, [tags.version]: String(prompt.version) };
  const subMsNs = subMsNsOf(prompt.promptId);
  const stage: InfluxPoint = {
    measurement: measurements.surveyPrompt,
    tags: { ...survey, [tags.stage]: kind, [tags.decision]: prompt.decision, [tags.deviceType]: prompt.deviceType ?? noneTag },
    fields: {},
    intFields: { count: 1 },
    timestampMs: at,
    subMsNs,
  };
  if (kind !== 'answered' || !prompt.answer) return [stage];
  const questions = surveyOf(prompt.surveyId, prompt.version)?.questions ?? [];
  const answeredAfterS = (at - prompt.sendAt) / 1000;
  const answers = questions.flatMap((question) => {
    const value = prompt.answer!.values[question.id];
    if (value === undefined || value === null) return [];
    return answerFields(question, value).map(
      ({ choice, fields }): InfluxPoint => ({
        measurement: measurements.surveyAnswer,
        tags: { ...survey, [tags.question]: question.id, ...(choice === undefined ? {} : { [tags.choice]: choice }) },
        fields: { ...fields, answered_after_s: answeredAfterS },
        intFields: { count: 1 },
        timestampMs: at,
        subMsNs,
      }),
    );
  });
  return [stage, ...answers];
}

/** Where a failed write is told. */
export interface PromptPointsLogger {
  warn(details: object, message: string): void;
}

/**
 * A PromptStore listener sending each change's points; a failed write is logged, never failing the store's caller.
 * Give it to the store the trigger job and the answer handlers share, and they write to InfluxDB without knowing it.
 */
export function promptPointWriter(
  writePoints: (points: InfluxPoint[]) => Promise<void>,
  surveyOf: SurveyVersionOf,
  logger: PromptPointsLogger,
): PromptChangeListener {
  return (change) => {
    Promise.resolve()
      .then(() => writePoints(promptPoints(change, surveyOf)))
      .catch((error: unknown) =>
        logger.warn({ err: error, survey: change.prompt.surveyId, prompt: change.prompt.promptId }, 'could not write the survey prompt to InfluxDB'),
      );
  };
}
