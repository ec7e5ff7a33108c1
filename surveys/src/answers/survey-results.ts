import {
  type AnswerValue,
  errorCodes,
  ParcoursError,
  type PromptDecision,
  promptDecisions,
  type Question,
  type QuestionResult,
  type Survey,
  type SurveyBreakdownKey,
  type SurveyResults,
  type SurveyResultsSection,
  type WeightedEstimate,
  type WeightingUsed,
} from '@parcours/contracts';

/** A prompt as results read it: what was decided of its trigger, what became of it, and what it can be broken down by. */
export interface SurveyPrompt {
  id: string;
  personId: string;
  decision: PromptDecision;
  sentAt: number;
  shownAt?: number;
  answeredAt?: number;
  dismissedAt?: number;
  deviceType?: string | null;
  /** The journey's path, as text. */
  path?: string | null;
  stratum?: string | null;
  community?: string | null;
  /** The person's sessions in the 7 days before the prompt, as a band of `recentUseBands`. */
  recentUse?: string | null;
}

/** An answer as results read it: the prompt it answers (whose person it is) and its values, validated when given. */
export interface SurveyAnswer {
  promptId: string;
  values: Record<string, AnswerValue>;
}

/**
 * Population figures from a weighting scheme's sample, one value per member in (analytics' WeightedFigures):
 * shares and means, of a domain when one is given, null when no member is in it.
 */
export interface RespondentWeights {
  position(personId: string): number | undefined;
  zeros(): Float64Array;
  share(values: Float64Array, domain?: Float64Array): WeightedEstimate | null;
  mean(values: Float64Array, domain?: Float64Array): WeightedEstimate | null;
  used(): WeightingUsed;
}

export interface SurveyResultsOptions {
  /** Groups of prompts by this key, besides every prompt. */
  by?: SurveyBreakdownKey;
  /** The respondents' weighting scheme: the figures also for the population its sample stands for. */
  weights?: RespondentWeights;
}

/** A sent prompt with its answer, if any. */
interface Response {
  prompt: SurveyPrompt;
  values: Record<string, AnswerValue> | null;
}

/**
 * What became of a survey's prompts and what their answers say, overall and by `options.by`. An answer counts
 * when its prompt is among those given and was sent (one answer per prompt: the last given). Counts and shares
 * are of answers; weighted figures are of people, each by their latest answer to the question, and only for
 * the members of the weights' sample.
 */
export function surveyResults(
  survey: Survey,
  prompts: readonly SurveyPrompt[],
  answers: readonly SurveyAnswer[],
  options: SurveyResultsOptions = {},
): SurveyResults {
  const answerOf = new Map(answers.map((a) => [a.promptId, a.values]));
  const { by, weights } = options;
  const section = (within: readonly SurveyPrompt[]) => sectionOf(survey, within, answerOf, weights);
  const groups = by === undefined ? [] : [...groupBy(prompts, by)].map(([value, within]) => ({ value, ...section(within) }));
  return { overall: section(prompts), by: by ?? null, groups, ...(weights ? { weighting: weights.used() } : {}) };
}

/** The prompts by their value of the key, in order of value, prompts without one last. */
function groupBy(prompts: readonly SurveyPrompt[], key: SurveyBreakdownKey): Map<string | null, SurveyPrompt[]> {
  const groups = new Map<string | null, SurveyPrompt[]>();
  for (const prompt of prompts) {
    const value = prompt[key] ?? null;
    const group = groups.get(value);
    if (group) group.push(prompt);
    else groups.set(value, [prompt]);
  }
  const order = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
  return new Map([...groups].sort(([a], [b]) => order(a, b)));
}

function sectionOf(
  survey: Survey,
  prompts: readonly SurveyPrompt[],
  answerOf: ReadonlyMap<string, Record<string, AnswerValue>>,
  weights: RespondentWeights | undefined,
): SurveyResultsSection {
  const decisions = Object.fromEntries(promptDecisions.map((d) => [d, 0])) as Record<PromptDecision, number>;
  for (const prompt of prompts) decisions[prompt.decision]++;
  const responses: Response[] = prompts.filter((p) => p.decision === 'sent').map((prompt) => ({ prompt, values: answerOf.get(prompt.id) ?? null }));
  // In the order they were answered (else sent), so that a person's latest answer comes last.
  const when = (r: Response) => r.prompt.answeredAt ?? r.prompt.sentAt;
  const answered = responses.filter((r) => r.values !== null).sort((a, b) => when(a) - when(b));
  const dismissed = responses.filter((r) => r.values === null && r.prompt.dismissedAt !== undefined).length;
  const shown = responses.filter((r) => r.values !== null || r.prompt.shownAt !== undefined).length;
  const sent = responses.length;
  return {
    decisions,
    sent,
    shown,
    answered: answered.length,
    dismissed,
    responseRate: ratio(answered.length, sent),
    dismissalRate: ratio(dismissed, sent),
    ...(weights ? { weightedResponseRate: weightedResponseRate(responses, weights) } : {}),
    questions: survey.questions.map((question) => questionResult(question, answered, weights)),
  };
}

function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

function questionResult(question: Question, responses: readonly Response[], weights: RespondentWeights | undefined): QuestionResult {
  const values = responses.map((r) => r.values![question.id]).filter((v): v is AnswerValue => v !== undefined);
  const answered = values.length;
  const latest = weights ? latestValues(question.id, responses, weights) : null;
  const base = { questionId: question.id, answered };
  switch (question.kind) {
    case 'single':
    case 'multiple': {
      const picked = (value: AnswerValue, id: string) => (Array.isArray(value) ? value.includes(id) : value === id);
      const choices = question.choices.map(({ id, label }) => {
        const count = values.filter((v) => picked(v, id)).length;
        return {
          id,
          label,
          count,
          share: ratio(count, answered),
          ...(latest ? { weightedShare: latest.estimate('share', (v) => (picked(v, id) ? 1 : 0)) } : {}),
        };
      });
      return { kind: question.kind, ...base, choices };
    }
    case 'rating': {
      const scores = values as number[];
      return {
        kind: 'rating',
        ...base,
        histogram: histogramOf(scores, question.min, question.max),
        mean: meanOf(scores),
        ...(latest ? { weightedMean: latest.estimate('mean', (v) => v as number) } : {}),
      };
    }
    case 'nps': {
      const scores = values as number[];
      const group = (test: (score: number) => boolean) => {
        const count = scores.filter(test).length;
        return { count, share: ratio(count, answered) };
      };
      const promoters = group(isPromoter);
      const detractors = group(isDetractor);
      return {
        kind: 'nps',
        ...base,
        histogram: histogramOf(scores, 0, 10),
        mean: meanOf(scores),
        promoters,
        passives: group((s) => !isPromoter(s) && !isDetractor(s)),
        detractors,
        nps: answered === 0 ? null : (100 * (promoters.count - detractors.count)) / answered,
        ...(latest ? { weightedNps: latest.estimate('mean', (v) => npsCode(v as number)) } : {}),
      };
    }
    case 'text':
      return { kind: 'text', ...base };
  }
}

const isPromoter = (score: number) => score >= 9;
const isDetractor = (score: number) => score <= 6;

/** A respondent's contribution to the net promoter score: its mean over people is % promoters − % detractors. */
function npsCode(score: number): number {
  return isPromoter(score) ? 100 : isDetractor(score) ? -100 : 0;
}

function histogramOf(scores: readonly number[], min: number, max: number) {
  return Array.from({ length: max - min + 1 }, (_, k) => {
    const count = scores.filter((s) => s === min + k).length;
    return { score: min + k, count, share: ratio(count, scores.length) };
  });
}

function meanOf(scores: readonly number[]): number | null {
  return scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length;
}

/** Among the sample's members sent a prompt, the share who answered one. */
function weightedResponseRate(responses: readonly Response[], weights: RespondentWeights): WeightedEstimate | null {
  const sent = weights.zeros();
  const answered = weights.zeros();
  for (const { prompt, values } of responses) {
    const k = weights.position(prompt.personId);
    if (k === undefined) continue;
    sent[k] = 1;
    if (values !== null) answered[k] = 1;
  }
  return orNull(() => weights.share(answered, sent));
}

/**
 * Each member's latest answer to the question (the responses come in the order they were answered; of a tie,
 * the later prompt given), and estimates over the domain of the members who answered it.
 */
function latestValues(questionId: string, responses: readonly Response[], weights: RespondentWeights) {
  const latest = new Map<number, AnswerValue>();
  for (const response of responses) {
    const value = response.values![questionId];
    const k = weights.position(response.prompt.personId);
    if (value !== undefined && k !== undefined) latest.set(k, value);
  }
  const domain = weights.zeros();
  for (const k of latest.keys()) domain[k] = 1;
  return {
    estimate(kind: 'share' | 'mean', code: (value: AnswerValue) => number): WeightedEstimate | null {
      const values = weights.zeros();
      for (const [k, value] of latest) values[k] = code(value);
      return orNull(() => weights[kind](values, domain));
    },
  };
}

/** No figure, rather than a refusal, for a group whose members hold no weight or too few for jackknife replicates. */
function orNull(estimate: () => WeightedEstimate | null): WeightedEstimate | null {
  try {
    return estimate();
  } catch (error) {
    if (error instanceof ParcoursError && error.code === errorCodes.weightingEmptyDomain) return null;
    throw error;
  }
}
