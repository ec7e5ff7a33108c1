import { idSchema, surveyCreateSchema, surveySchema, surveyStates, surveyViewSchema, type SurveyView } from '@parcours/contracts';
import { pageOf, pageQuerySchema, problemResponse } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { surveyAsWritten } from '../survey-as-written.js';
import type { SurveyService } from '../survey-service.js';
import type { StoredSurvey, SurveyStore } from '../survey-store.js';

const params = z.object({ id: idSchema.describe('the survey') });
const versionQuery = z.object({ version: z.coerce.number().int().min(1).optional().describe('the version; default the latest') });
const notFound = problemResponse('no such survey or version');
const conflict = problemResponse('a survey of that id already exists');
const funnelRefused = problemResponse(
  'a `funnel_step` trigger on a funnel not declared, counted by collective or without that step (`PARCOURS_E_TRIGGER_FUNNEL`)',
);
const invalid = problemResponse(
  'not a valid survey: each problem located by its path (a question id used twice, a branch going backwards or naming an unknown choice, endsAt not after startsAt)',
);

/** `/surveys`: in-the-moment surveys, versioned, open until closed. */
export function surveyRoutes(service: SurveyService, store: SurveyStore): FastifyPluginAsync {
  const view = (stored: StoredSurvey): SurveyView => ({
    id: stored.id,
    version: stored.version,
    createdAt: stored.createdAt,
    state: stored.state,
    closed: stored.closed,
    survey: surveyAsWritten(stored.survey),
    versions: store.versions(stored.id),
  });
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['surveys'];

    app.post(
      '/surveys',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Create a survey',
          description:
            'Stores the survey as its version 1, open: its questions and branches, whom it asks, what triggers it, how often and when. Its start is resolved now when not given.',
          body: surveyCreateSchema,
          response: { 201: surveyViewSchema, 400: invalid, 409: conflict, 422: funnelRefused },
        },
      },
      async (request, reply) => reply.status(201).send(view(service.create(request.body))),
    );

    app.get(
      '/surveys',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: 'List surveys',
          querystring: pageQuerySchema.extend({ state: z.enum(surveyStates).optional().describe('only the surveys in this state; default all') }),
          response: {
            200: pageOf(surveyViewSchema)
              .extend({ total: z.number().int().describe('surveys in all pages') })
              .describe('the surveys at their latest version, by id'),
          },
        },
      },
      async (request) => {
        const { limit, offset, state } = request.query;
        const page = service.list({ state, limit, offset });
        return { items: page.items.map(view), limit, offset, total: page.total };
      },
    );

    app.get(
      '/surveys/:id',
      {
        config: { access: 'read' },
        schema: { tags, summary: 'Get a survey', params, querystring: versionQuery, response: { 200: surveyViewSchema, 404: notFound } },
      },
      async (request) => view(service.require(request.params.id, request.query.version)),
    );

    app.put(
      '/surveys/:id',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Change a survey',
          description:
            'Stores the survey as its next version, which opens it again if it was closed. Earlier versions are kept: prompts and answers keep the version they were asked under.',
          params,
          body: surveySchema,
          response: { 200: surveyViewSchema, 400: invalid, 404: notFound, 422: funnelRefused },
        },
      },
      async (request) => view(service.update(request.params.id, request.body)),
    );

    app.post(
      '/surveys/:id/close',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Close a survey',
          description: 'No prompt of it any more. Closing a closed survey changes nothing; a new version (PUT) opens it again.',
          params,
          response: { 200: surveyViewSchema, 404: notFound },
        },
      },
      async (request) => view(service.close(request.params.id)),
    );
  };
}
