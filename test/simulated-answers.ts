import { errorCodes } from '@parcours/contracts';
import type { PromptAnswerer, PromptTruth } from '@parcours/firmware-sim';
import type { StoredPrompt } from '@parcours/surveys';
import { expect } from 'vitest';
import type { ParcoursApp } from '../src/app.js';
import { api } from './helpers.js';

/** What simulated people replied, held to what Parcours kept: the checks of tests whose prompts PromptAnswerer replies to. */

/** The survey's prompts that were sent, as the prompt store keeps them. */
export const sentPrompts = (app: ParcoursApp, surveyId: string): StoredPrompt[] =>
  app.prompts.forResults(surveyId, 0, Number.MAX_SAFE_INTEGER).prompts.flatMap((p) => {
    const prompt = app.prompts.get(p.id)!;
    return prompt.decision === 'sent' ? [prompt] : [];
  });

/** Every sent prompt as planted: an answer given in time stored with its values and time, a dismissal with its time, nothing else. */
export function expectStoredAsPlanted(app: ParcoursApp, surveyId: string, answerer: PromptAnswerer): PromptTruth[] {
  const prompts = sentPrompts(app, surveyId);
  expect(prompts.length).toBeGreaterThan(0);
  const truths = prompts.map((prompt) => {
    const truth = answerer.truths.get(prompt.promptId);
    expect(truth, prompt.promptId).toBeDefined();
    const answeredInTime = truth!.kind === 'answer' && !truth!.late;
    expect({ promptId: prompt.promptId, answer: prompt.answer, answeredAt: prompt.answeredAt, dismissedAt: prompt.dismissedAt }).toEqual({
      promptId: truth!.promptId,
      answer: answeredInTime ? { values: truth!.values } : null,
      answeredAt: answeredInTime ? truth!.at : null,
      dismissedAt: truth!.kind === 'dismiss' ? truth!.at : null,
    });
    return truth!;
  });
  return truths;
}

/** The answers given after their prompt expired: each quarantined with PARCOURS_E_PROMPT_EXPIRED from the person's app, none stored. */
export async function expectLateRefused(app: ParcoursApp, answerer: PromptAnswerer, appOf: (personId: string) => string): Promise<void> {
  const late = [...answerer.truths.values()].filter((t) => t.late);
  const page = await api<{ items: { deviceId: string | null; payload: string }[] }>(
    app.urls.http,
    'GET',
    `/api/v1/quarantine?reason=${errorCodes.promptExpired}&limit=${Math.max(100, late.length + 1)}`,
  );
  const refused = page.body.items.map((item) => ({
    deviceId: item.deviceId,
    promptId: (JSON.parse(Buffer.from(item.payload, 'base64').toString()) as { attrs: { promptId: string } }).attrs.promptId,
  }));
  const byPrompt = (a: { promptId: string }, b: { promptId: string }) => a.promptId.localeCompare(b.promptId);
  expect(refused.sort(byPrompt)).toEqual(late.map((t) => ({ deviceId: appOf(t.personId), promptId: t.promptId })).sort(byPrompt));
  for (const truth of late) expect(app.prompts.get(truth.promptId)!.answeredAt).toBeNull();
}
