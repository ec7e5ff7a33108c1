import { createHash } from 'node:crypto';

/**
 * What a prompt is keyed by: the survey, the person and the trigger (the derived result that fired, e.g. a
 * session's id). Derived, never drawn, so that a re-derivation or a restart finds the same prompt and the same
 * sampling decision for the same trigger.
 */
export interface PromptKey {
  surveyId: string;
  personId: string;
  trigger: string;
}

const digest = (parts: readonly string[]) => createHash('sha256').update(parts.join('\u0000')).digest();

/** The prompt's id: `pr_` and 32 hex digits of SHA-256 over the key. */
export function promptId(key: PromptKey): string {
  return `pr_${digest(['prompt', key.surveyId, key.personId, key.trigger]).subarray(0, 16).toString('hex')}`;
}

/** A number in [0, 1) fixed by the key: a trigger is sampled in when it falls below the survey's sampling rate. */
export function samplingDraw(key: PromptKey): number {
  return digest(['sampling', key.surveyId, key.personId, key.trigger]).readUIntBE(0, 6) / 2 ** 48;
}

/** A number in [0, 1) fixed by the survey and the person alone: the person is held out when it falls below the holdout share. */
export function holdoutDraw(surveyId: string, personId: string): number {
  return digest(['holdout', surveyId, personId]).readUIntBE(0, 6) / 2 ** 48;
}
