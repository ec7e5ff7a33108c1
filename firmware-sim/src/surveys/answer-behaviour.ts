import { type AnswerValue, questionSchema, type Question } from '@parcours/contracts';
import { z } from 'zod';
import { normal, rngFor, type Rng } from '../prng.js';
import { ageBands, type AgeBand, weightedIndex } from '../universe/distributions.js';

/**
 * How simulated people reply to survey prompts: a planted behaviour, pure and seeded, whose every parameter is
 * known, so that what Parcours stores and computes can be compared with what was planted.
 */

const share = z.number().min(0).max(1);

export const answerBehaviourSchema = z.strictObject({
  seed: z.number().int(),
  /** Chance of answering a prompt, by age band (`ageBands` order), at daytime. */
  answerByAgeBand: z.array(share).length(ageBands.length).default([0.7, 0.6, 0.55, 0.5, 0.45, 0.4]),
  /** The answer chance is multiplied by this from `eveningFrom` o'clock to `morningAt`, in the person's time zone. */
  eveningFactor: share.default(0.4),
  eveningFrom: z.number().int().min(0).max(23).default(21),
  morningAt: z.number().int().min(0).max(23).default(7),
  /** Of the people who do not answer, the share who dismiss (the rest ignore the prompt). */
  dismissShare: share.default(0.3),
  /** Of the answers, the share given after the prompt expired. */
  lateShare: share.default(0.1),
  /** NPS score: intercept + perSession × sessions of the week before + noise, rounded, clamped to 0–10. */
  nps: z.strictObject({ intercept: z.number(), perSession: z.number(), noise: z.number().min(0) }).default({ intercept: 5, perSession: 0.5, noise: 1.5 }),
  /** Planted shares of the choices of `single` and `multiple` questions, by question id then choice id; equal when not given. */
  choiceShares: z.record(z.string(), z.record(z.string(), z.number().min(0))).default({}),
});
export type AnswerBehaviour = z.output<typeof answerBehaviourSchema>;
export type AnswerBehaviourInput = z.input<typeof answerBehaviourSchema>;

/** The retained message of `{base}/devices/{id}/commands/survey-prompts/{promptId}`. */
export const deliveredPromptSchema = z.object({
  promptId: z.string(),
  surveyId: z.string(),
  version: z.number().int(),
  name: z.string(),
  questions: z.array(questionSchema),
  sentAt: z.iso.datetime({ offset: true }).transform((text) => Date.parse(text)),
  expiresAt: z.iso.datetime({ offset: true }).transform((text) => Date.parse(text)),
});
export type DeliveredPrompt = z.output<typeof deliveredPromptSchema>;

export interface SimulatedPerson {
  id: string;
  ageBand: AgeBand;
  /** Their sessions in the week before the prompt, as the caller counts them. */
  sessionsBefore: number;
  /** IANA time zone for the time of day; UTC when not given. */
  timeZone?: string;
}

export type ReplyKind = 'ignore' | 'dismiss' | 'answer';

export interface PlannedReply {
  kind: ReplyKind;
  /** When the person replies (device time); null when they ignore the prompt. */
  at: number | null;
  /** The answer's values; null unless `kind` is `answer`. */
  values: Record<string, AnswerValue> | null;
}

/** What was planted for one prompt. */
export interface PromptTruth extends PlannedReply {
  promptId: string;
  personId: string;
  /** The hour of `sentAt` in the person's time zone. */
  hour: number;
  /** The chance of an answer planted for this person at this hour. */
  answerChance: number;
  /** An answer given after `expiresAt`: Parcours must refuse it. */
  late: boolean;
}

const minute = 60_000;

const hourFormats = new Map<string, Intl.DateTimeFormat>();

/** The hour (0–23) of an instant in a time zone. */
export function localHour(at: number, timeZone = 'UTC'): number {
  let format = hourFormats.get(timeZone);
  if (!format) hourFormats.set(timeZone, (format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' })));
  return Number(format.format(at));
}

export function answerChance(behaviour: AnswerBehaviour, ageBand: AgeBand, hour: number): number {
  const evening =
    behaviour.eveningFrom > behaviour.morningAt
      ? hour >= behaviour.eveningFrom || hour < behaviour.morningAt
      : hour >= behaviour.eveningFrom && hour < behaviour.morningAt;
  return behaviour.answerByAgeBand[ageBands.indexOf(ageBand)]! * (evening ? behaviour.eveningFactor : 1);
}

/**
 * The person's NPS score at a usage level: their own noise (drawn once per person and question, so the same
 * person asked at the same usage scores the same), plus the planted effect of usage.
 */
export function plantedNpsScore(behaviour: AnswerBehaviour, personId: string, questionId: string, sessionsBefore: number): number {
  const { intercept, perSession, noise } = behaviour.nps;
  const latent = intercept + perSession * sessionsBefore + noise * normal(rngFor(behaviour.seed, 'nps', personId, questionId));
  return Math.min(10, Math.max(0, Math.round(latent)));
}

/**
 * The reply of a person to a prompt, and what was planted: the same for the same seed, person, prompt and draw
 * key (by default the prompt's id; a key that stays the same when the prompt's id does not — as for prompts of
 * sessions at the time of the run — makes runs reply alike).
 */
export function planReply(behaviour: AnswerBehaviour, prompt: DeliveredPrompt, person: SimulatedPerson, drawKey = prompt.promptId): PromptTruth {
  const rng = rngFor(behaviour.seed, 'reply', drawKey);
  const hour = localHour(prompt.sentAt, person.timeZone);
  const chance = answerChance(behaviour, person.ageBand, hour);
  const window = prompt.expiresAt - prompt.sentAt;
  const base = { promptId: prompt.promptId, personId: person.id, hour, answerChance: chance };
  const draw = rng();
  if (draw >= chance) {
    const dismissed = rng() < behaviour.dismissShare;
    return { ...base, kind: dismissed ? 'dismiss' : 'ignore', at: dismissed ? inTime(rng, prompt.sentAt, window) : null, values: null, late: false };
  }
  const late = rng() < behaviour.lateShare;
  const at = late ? prompt.expiresAt + 1 + Math.floor(rng() * Math.min(window, 30 * minute)) : inTime(rng, prompt.sentAt, window);
  return { ...base, kind: 'answer', at, values: answerValues(behaviour, rng, prompt.questions, person), late };
}

/** Within the window, most replies early (the square of a uniform draw), never at its very end. */
function inTime(rng: Rng, sentAt: number, window: number): number {
  const u = rng();
  return sentAt + Math.floor(u * u * window * 0.9);
}

/** The questions along the path the answer's own values lead, as validateAnswer follows them. */
function answerValues(behaviour: AnswerBehaviour, rng: Rng, questions: readonly Question[], person: SimulatedPerson): Record<string, AnswerValue> {
  const values: Record<string, AnswerValue> = {};
  let index = 0;
  while (index < questions.length) {
    const question = questions[index]!;
    const value = valueFor(behaviour, rng, question, person);
    if (value !== undefined) values[question.id] = value;
    const branch = question.branches.find((b) => {
      if (b.choices === undefined && b.min === undefined && b.max === undefined) return true;
      if (value === undefined) return false;
      if (b.choices !== undefined && !(Array.isArray(value) ? value : [value]).some((choice) => b.choices!.includes(String(choice)))) return false;
      if (b.min !== undefined && !(typeof value === 'number' && value >= b.min)) return false;
      if (b.max !== undefined && !(typeof value === 'number' && value <= b.max)) return false;
      return true;
    });
    if (!branch) index++;
    else if (branch.goTo === 'end') break;
    else index = questions.findIndex((q) => q.id === branch.goTo);
  }
  return values;
}

function valueFor(behaviour: AnswerBehaviour, rng: Rng, question: Question, person: SimulatedPerson): AnswerValue | undefined {
  const shares = (choices: readonly { id: string }[]) => choices.map((c) => behaviour.choiceShares[question.id]?.[c.id] ?? 1);
  switch (question.kind) {
    case 'nps':
      return plantedNpsScore(behaviour, person.id, question.id, person.sessionsBefore);
    case 'rating': {
      const score = plantedNpsScore(behaviour, person.id, question.id, person.sessionsBefore) / 10;
      return Math.round(question.min + score * (question.max - question.min));
    }
    case 'single':
      return question.choices[weightedIndex(rng, shares(question.choices))]!.id;
    case 'multiple': {
      // Each choice picked with its share of the largest: the most shared always, within maxChoices.
      const weights = shares(question.choices);
      const top = Math.max(...weights);
      const picked = question.choices.filter((_, i) => rng() < weights[i]! / top).map((c) => c.id);
      return picked.slice(0, question.maxChoices ?? picked.length);
    }
    case 'text':
      return question.required ? 'simulated answer' : undefined;
  }
}

/** NPS of a set of scores: the share of promoters (9–10) minus that of detractors (0–6), in points. */
export function npsOf(scores: readonly number[]): number {
  if (scores.length === 0) return 0;
  const promoters = scores.filter((s) => s >= 9).length;
  const detractors = scores.filter((s) => s <= 6).length;
  return (100 * (promoters - detractors)) / scores.length;
}

export interface BaseNpsTruth {
  /** Every person's planted score, if asked at their usage level. */
  scores: Map<string, number>;
  /** The NPS of the whole base. */
  nps: number;
}

/** The planted NPS of the whole base for a survey's NPS question: what a panel's weighted NPS estimates. */
export function baseNpsTruth(behaviour: AnswerBehaviour, people: readonly SimulatedPerson[], questionId: string): BaseNpsTruth {
  const scores = new Map(people.map((p) => [p.id, plantedNpsScore(behaviour, p.id, questionId, p.sessionsBefore)]));
  return { scores, nps: npsOf([...scores.values()]) };
}
