import { isDeepStrictEqual } from 'node:util';
import { type Answer, errorCodes, ParcoursError, type PromptState } from '@parcours/contracts';
import { validateAnswer } from '../answers/validate-answer.js';
import type { PromptStore, StoredPrompt } from '../prompts/prompt-store.js';
import type { SurveyStore } from '../survey-store.js';

/** Where a prompt stands at `at`: a reply recorded wins over the expiry, which only stops replies still to come. */
export function promptState(prompt: StoredPrompt, at: number): PromptState {
  if (prompt.decision !== 'sent') return 'not_sent';
  if (prompt.answeredAt !== null) return 'answered';
  if (prompt.dismissedAt !== null) return 'dismissed';
  if (at >= prompt.expiresAt) return 'expired';
  if (prompt.shownAt !== null) return 'shown';
  return prompt.deliveredAt !== null ? 'delivered' : 'scheduled';
}

/**
 * A person's replies to their prompts — answers, dismissals, the prompt shown — checked against the prompt's
 * state and its survey version's questions, then kept in the prompt store. Whether they came over HTTP or from
 * the person's app device, the same rules apply. Idempotent: the reply already kept, sent again, changes
 * nothing and is not refused. Each refusal is a `ParcoursError` whose code says why (AnswerRefused for the content).
 */
export class PromptReplies {
  constructor(private readonly deps: { prompts: PromptStore; surveys: SurveyStore }) {}

  find(promptId: string): StoredPrompt | null {
    return this.deps.prompts.get(promptId);
  }

  /** The prompt, or `PARCOURS_E_PROMPT_UNKNOWN`. */
  require(promptId: string): StoredPrompt {
    const prompt = this.find(promptId);
    if (!prompt) throw new ParcoursError(errorCodes.promptUnknown, `no prompt ${promptId}`);
    return prompt;
  }

  /** Keeps the answer given at `at`; answers the prompt as it then stands, with the answer kept (this one, or the same one already). */
  answer(promptId: string, answer: Answer, at: number): StoredPrompt {
    const prompt = this.require(promptId);
    if (prompt.answer !== null && isDeepStrictEqual(prompt.answer, answer)) return prompt;
    this.checkOpen(prompt, at);
    const version = this.deps.surveys.get(prompt.surveyId, prompt.version);
    if (!version)
      throw new ParcoursError(errorCodes.internal, `prompt ${promptId} names survey ${prompt.surveyId} version ${prompt.version}, which is not stored`);
    validateAnswer(version.survey, answer);
    if (!this.deps.prompts.answer(promptId, answer, at)) this.checkOpen(this.require(promptId), at);
    return this.require(promptId);
  }

  /** Keeps the dismissal made at `at`; a prompt already dismissed stays as it was dismissed first. */
  dismiss(promptId: string, at: number): StoredPrompt {
    const prompt = this.require(promptId);
    if (prompt.dismissedAt !== null) return prompt;
    this.checkOpen(prompt, at);
    this.deps.prompts.dismiss(promptId, at);
    return this.require(promptId);
  }

  /** Notes when the person's app showed the prompt (the first time); a prompt never sent cannot have been shown. */
  shown(promptId: string, at: number): StoredPrompt {
    const prompt = this.require(promptId);
    if (prompt.decision !== 'sent') throw notSent(prompt);
    this.deps.prompts.markShown(promptId, at);
    return this.require(promptId);
  }

  /** Refuses a reply to a prompt never sent, already answered (otherwise) or dismissed, or expired at `at`. */
  private checkOpen(prompt: StoredPrompt, at: number): void {
    if (prompt.decision !== 'sent') throw notSent(prompt);
    if (prompt.answeredAt !== null) throw new ParcoursError(errorCodes.promptAnswered, `prompt ${prompt.promptId} was already answered, otherwise`);
    if (prompt.dismissedAt !== null) throw new ParcoursError(errorCodes.promptDismissed, `prompt ${prompt.promptId} was dismissed`);
    if (at >= prompt.expiresAt)
      throw new ParcoursError(errorCodes.promptExpired, `prompt ${prompt.promptId} expired at ${new Date(prompt.expiresAt).toISOString()}`);
  }
}

const notSent = (prompt: StoredPrompt) =>
  new ParcoursError(errorCodes.promptNotSent, `prompt ${prompt.promptId} was not sent (${prompt.decision}): it takes no reply`);
