import {
  errorCodes,
  idSchema,
  instantSchema,
  ParcoursError,
  recentUseBands,
  surveyBreakdownKeySchema,
  surveyResultsSchema,
  weightsQuerySchema,
} from '@parcours/contracts';
import { problemResponse } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type RespondentWeights, surveyResults } from '../answers/survey-results.js';
import type { PromptStore } from '../prompts/prompt-store.js';
import type { SurveyService } from '../survey-service.js';

/** A weighting scheme's version (the latest when none is named) as weights of respondents; throws a typed error when it has no run. */
export type RespondentWeightsOf = (schemeId: string, version: number | undefined) => RespondentWeights;

const query = z.object({
  from: instantSchema.optional().describe('prompts due at or after (ISO 8601); default: from the first'),
  to: instantSchema.optional().describe('prompts due before (ISO 8601); default: up to the last'),
  by: surveyBreakdownKeySchema.optional().describe('also the results of each value of this key; default: none'),
  ...weightsQuerySchema.shape,
});

/** How many sessions counted for a person (their own devices', or as reported actor) started in [from, to). */
export type SessionsOf = (personId: string, from: number, to: number) => number;

const weekMs = 7 * 86_400_000;

/** A count of sessions as its band of `recentUseBands`. */
export const recentUseBand = (sessions: number): string =>
  sessions === 0 ? recentUseBands[0] : sessions <= 2 ? recentUseBands[1] : sessions <= 5 ? recentUseBands[2] : recentUseBands[3];

/** `GET /surveys/{id}/results`: what became of a survey's prompts and what their answers say, weighted on request. */
export function surveyResultsRoutes(surveys: SurveyService, prompts: PromptStore, weightsOf: RespondentWeightsOf, sessionsOf: SessionsOf): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/surveys/:id/results',
      {
        config: { access: 'read' },
        schema: {
          tags: ['surveys'],
          summary: "A survey's results",
          description:
            'The prompts due in [from, to) of every version, by decision, with response and dismissal rates, and each question of the latest version: choice shares, score histograms and means, the NPS; overall and, with `by`, per group. With `weights`, also the figures for the population the scheme’s sample stands for, each person by their latest answer.',
          params: z.object({ id: idSchema.describe('the survey') }),
          querystring: query,
          response: { 200: surveyResultsSchema, 400: problemResponse('`to` not after `from`'), 404: problemResponse('no such survey or weighting scheme run') },
        },
      },
      async (request) => {
        const { from = 0, to = Number.MAX_SAFE_INTEGER, by, weights, weightsVersion } = request.query;
        if (to <= from) throw new ParcoursError(errorCodes.badInterval, '`to` must be after `from`');
        const { survey } = surveys.require(request.params.id);
        const found = prompts.forResults(request.params.id, from, to);
        const due =
          by === 'recentUse'
            ? found.prompts.map((p) => ({ ...p, recentUse: recentUseBand(sessionsOf(p.personId, p.sentAt - weekMs, p.sentAt)) }))
            : found.prompts;
        return surveyResults(survey, due, found.answers, {
          ...(by ? { by } : {}),
          ...(weights === undefined ? {} : { weights: weightsOf(weights, weightsVersion) }),
        });
      },
    );
  };
}
