import {
  communityRecruitSchema,
  communityResultSchema,
  drawPlanSchema,
  idSchema,
  panelDrawSchema,
  panelRefreshResultSchema,
  panelRefreshSchema,
  panelViewSchema,
  queryInstantSchema,
  representativenessSchema,
} from '@parcours/contracts';
import { notFound as notFoundError, problemResponse } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PanelService } from '../panel-service.js';
import type { PanelStore, StoredPanel } from '../panel-store.js';

const params = z.object({ id: idSchema.describe('the panel') });
const notFound = problemResponse('no such panel');
const refused = problemResponse('a request the universe or the registry cannot satisfy (a quota cell short of people, an id taken)');

/** `/panels`, `/communities`: representative panels of the customer base and thematic communities in them. */
export function panelRoutes(service: PanelService, store: PanelStore): FastifyPluginAsync {
  const view = (panel: StoredPanel) => ({
    id: panel.id,
    name: panel.name,
    definition: panel.definition as unknown as Record<string, unknown>,
    createdAt: panel.createdAt,
    members: store.memberships(panel.id).filter((m) => m.validTo === null || m.validTo > Date.now()).length,
  });
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['panels'];

    app.post(
      '/panels',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Draw a panel',
          description:
            'Draws the panel from its universe as of `at`, deterministically from the seed, and writes it (a collective of type `panel`, its members from `at`). With `dryRun`, answers the allocation and expected margins and writes nothing.',
          body: panelDrawSchema,
          response: {
            200: z.object({ plan: drawPlanSchema.describe('what the draw would do') }),
            201: z.object({ panel: panelViewSchema.describe('the panel written'), plan: drawPlanSchema.describe('what the draw did') }),
            409: refused,
            422: refused,
          },
        },
      },
      async (request, reply) => {
        const { id, plan } = service.draw(request.body);
        if (id === null) return reply.status(200).send({ plan });
        return reply.status(201).send({ panel: view(store.get(id)!), plan });
      },
    );

    app.get(
      '/panels',
      {
        config: { access: 'read' },
        schema: { tags, summary: 'List panels', response: { 200: z.object({ items: z.array(panelViewSchema).describe('every panel, by id') }) } },
      },
      async () => ({
        items: store.list().map(view),
      }),
    );

    app.get(
      '/panels/:id',
      { config: { access: 'read' }, schema: { tags, summary: 'Get a panel', params, response: { 200: panelViewSchema, 404: notFound } } },
      async (request) => {
        const panel = store.get(request.params.id);
        if (!panel) throw notFoundError('panel', request.params.id);
        return view(panel);
      },
    );

    app.post(
      '/panels/:id/refresh',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Refresh a panel',
          description:
            'Records who left (opted out, membership ended), lets inactive members and a rotation group go, and brings each quota cell back to its quota of the universe as it is now, with twins of those who left first. Nobody cooling down or opted out joins.',
          params,
          body: panelRefreshSchema,
          response: { 200: panelRefreshResultSchema, 404: notFound },
        },
      },
      async (request) => service.refresh(request.params.id, request.body),
    );

    app.get(
      '/panels/:id/representativeness',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: 'How well a panel stands for its universe',
          params,
          querystring: z.object({ at: queryInstantSchema.optional().describe('default now') }),
          response: { 200: representativenessSchema, 404: notFound },
        },
      },
      async (request) => service.representativeness(request.params.id, request.query.at),
    );

    app.post(
      '/communities',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Recruit a community in a panel',
          description:
            "Recruits among the panel's current members those meeting every condition (attributes, days active, sessions, funnel steps reached, weeks retained), at random from the seed, in proportion over the quota attributes when given. A community is a collective of type `community`; a temporary one has an end.",
          body: communityRecruitSchema,
          response: { 200: communityResultSchema, 201: communityResultSchema, 404: notFound, 409: refused, 422: refused },
        },
      },
      async (request, reply) => {
        const result = service.recruit(request.body);
        return reply.status(result.dryRun ? 200 : 201).send(result);
      },
    );
  };
}
