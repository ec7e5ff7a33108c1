import type { PromptCaps, PromptDecision, Survey } from '@parcours/contracts';

/** One of the person's earlier decisions, of any survey: only those with decision `sent` count against caps. */
export interface PromptHistoryEntry {
  surveyId: string;
  promptId: string;
  /** When the prompt was due: its decision's `sendAt`. */
  sentAt: number;
  answeredAt?: number;
  dismissedAt?: number;
  decision: PromptDecision;
}

/** Everything a prompt decision depends on, read by the caller as of `now`: the engine reads no clock and no store. */
export interface PromptDecisionInput {
  survey: { id: string; version: number; definition: Survey };
  /** The derived result that fired (e.g. `session:…`, which keys the prompt) and when it happened. */
  trigger: { key: string; at: number };
  person: {
    id: string;
    /** IANA time zone for quiet hours and calendar days; `defaultTimeZone` when unknown. */
    timeZone?: string;
    /** Whether the person's last word on the `surveys` purpose, as of the trigger plus the survey's delay, is not an opt-out. */
    consentsToSurveys: boolean;
  };
  defaultTimeZone: string;
  /** The person's prompts across all surveys, in any order; this prompt's own entry, when re-deciding it, is ignored. */
  history: readonly PromptHistoryEntry[];
  /** Caps across all surveys (product settings). */
  globalCaps: PromptCaps;
  /** Answers the survey has received as of `now`, for its response target. */
  answers: number;
  /** When the decision is made: a prompt that would expire by then is not sent. */
  now: number;
}
