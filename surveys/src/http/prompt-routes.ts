import { answerSchema, errorCodes, ParcoursError, promptViewSchema, type PromptView } from '@parcours/contracts';
import { problemResponse } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { StoredPrompt } from '../prompts/prompt-store.js';
import { type PromptReplies, promptState } from '../replies/prompt-replies.js';
import { isQuarantinedReply, type QuarantineReply, refusedReply } from '../replies/refused-reply.js';

const params = z.object({ id: z.string().min(1).max(128).describe('the prompt') });
const notFound = problemResponse('no such prompt (PARCOURS_E_PROMPT_UNKNOWN)');
const conflict = problemResponse(
  'the prompt takes no such reply: already answered otherwise (PARCOURS_E_PROMPT_ANSWERED), dismissed (PARCOURS_E_PROMPT_DISMISSED), expired (PARCOURS_E_PROMPT_EXPIRED) or never sent (PARCOURS_E_PROMPT_NOT_SENT)',
);
const unfit = problemResponse(
  "the answer does not fit the survey version's questions: the question at fault in `errors` (PARCOURS_E_ANSWER_INVALID, _NOT_ASKED, _MISSING)",
);

/** A stored prompt as the API answers it, its state as of `at`. */
export function promptView(prompt: StoredPrompt, at: number): PromptView {
  const { triggeredAt, sessionId, journeyId, deviceType, path, collectives, stratum, community, ...kept } = prompt;
  return {
    ...kept,
    state: promptState(prompt, at),
    context: { triggeredAt, sessionId, journeyId, deviceType, path, collectives: [...collectives], stratum, community },
  };
}

/** The refusals of an answer over HTTP that the quarantine keeps: too late, or unfit for its questions. */
const keptRefusals = new Set<string>([errorCodes.answerInvalid, errorCodes.answerNotAsked, errorCodes.answerMissing, errorCodes.promptExpired]);

/**
 * `/prompts/{id}`: a prompt, its decision, context and state; its answer and dismissal. Admin keys, and the
 * integrator keys granted the prompt's person (their app answers for them); reader keys read. An answer refused
 * for its content or for coming late is kept in the quarantine as well.
 */
export function promptRoutes(deps: { replies: PromptReplies; quarantine: QuarantineReply; now?: () => number }): FastifyPluginAsync {
  const { replies, quarantine } = deps;
  const now = deps.now ?? Date.now;
  const access = { subjectOf: (p: Readonly<Record<string, string | undefined>>) => (p.id === undefined ? null : (replies.find(p.id)?.personId ?? null)) };
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['surveys'];

    app.get(
      '/prompts/:id',
      {
        config: { access },
        schema: { tags, summary: 'Get a prompt', params, response: { 200: promptViewSchema, 404: notFound } },
      },
      async (request) => promptView(replies.require(request.params.id), now()),
    );

    app.post(
      '/prompts/:id/answer',
      {
        config: { access },
        schema: {
          tags,
          summary: 'Answer a prompt',
          description:
            "Keeps the person's answer, checked against the questions of the survey version the prompt asks. The same answer again is answered as it was kept; another one is refused.",
          params,
          body: answerSchema,
          response: { 200: promptViewSchema, 404: notFound, 409: conflict, 422: unfit },
        },
      },
      async (request) => {
        const at = now();
        try {
          return promptView(replies.answer(request.params.id, request.body, at), at);
        } catch (error) {
          // Kept: an answer too late or unfit for its questions says something of the survey, or of the app asking it.
          if (error instanceof ParcoursError && keptRefusals.has(error.code) && isQuarantinedReply(error.code))
            quarantine(
              refusedReply({
                receivedAt: at,
                topic: request.url,
                deviceId: null,
                reason: error.code,
                detail: error.message,
                payload: { promptId: request.params.id, answer: request.body },
              }),
            );
          throw error;
        }
      },
    );

    app.post(
      '/prompts/:id/dismiss',
      {
        config: { access },
        schema: {
          tags,
          summary: 'Dismiss a prompt',
          description: 'The person declined to answer. A dismissed prompt stays as it was dismissed first.',
          params,
          response: { 200: promptViewSchema, 404: notFound, 409: conflict },
        },
      },
      async (request) => {
        const at = now();
        return promptView(replies.dismiss(request.params.id, at), at);
      },
    );
  };
}
