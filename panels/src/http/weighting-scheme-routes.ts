import {
  idSchema,
  memberWeightSchema,
  schemeRunRequestSchema,
  schemeRunSchema,
  weightingSchemeCreateSchema,
  weightingSchemeSchema,
  weightingSchemeViewSchema,
} from '@parcours/contracts';
import { pageOf, pageQuerySchema, problemResponse } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SchemeService } from '../weighting/scheme-service.js';
import type { SchemeStore, StoredSchemeVersion } from '../weighting/scheme-store.js';

const params = z.object({ id: idSchema.describe('the weighting scheme') });
const versionQuery = z.object({ version: z.coerce.number().int().min(1).optional().describe('the version; default the latest') });
const notFound = problemResponse('no such scheme, version, sample or run');
const conflict = problemResponse('a scheme of that id already exists');
const infeasible = problemResponse(
  'weights that cannot be made: a level or cell with a positive target that no one in the sample is in, people at a level no target covers, bounds that cannot be met, no convergence (the code says which, the detail names the cell or variable)',
);

/** `/weighting-schemes`: schemes, versioned, run to weights stored per member, with their reports. */
export function weightingSchemeRoutes(service: SchemeService, store: SchemeStore): FastifyPluginAsync {
  const view = (stored: StoredSchemeVersion) => ({
    id: stored.id,
    version: stored.version,
    createdAt: stored.createdAt,
    scheme: { ...stored.scheme, at: new Date(stored.scheme.at).toISOString() } as Record<string, unknown>,
    versions: store.versions(stored.id),
  });
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['weighting'];

    app.post(
      '/weighting-schemes',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Create a weighting scheme',
          description:
            'Stores the scheme as its version 1: the sample, base weights, margins and where their targets come from, the method, trimming and convergence. Nothing is weighted until it runs.',
          body: weightingSchemeCreateSchema,
          response: { 201: weightingSchemeViewSchema, 409: conflict },
        },
      },
      async (request, reply) => reply.status(201).send(view(service.create(request.body))),
    );

    app.get(
      '/weighting-schemes',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: 'List weighting schemes',
          response: { 200: z.object({ items: z.array(weightingSchemeViewSchema).describe('every scheme at its latest version, by id') }) },
        },
      },
      async () => ({ items: store.list().map(view) }),
    );

    app.get(
      '/weighting-schemes/:id',
      {
        config: { access: 'read' },
        schema: { tags, summary: 'Get a weighting scheme', params, querystring: versionQuery, response: { 200: weightingSchemeViewSchema, 404: notFound } },
      },
      async (request) => view(service.require(request.params.id, request.query.version)),
    );

    app.put(
      '/weighting-schemes/:id',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Change a weighting scheme',
          description: 'Stores the scheme as its next version; earlier versions, their weights and reports are kept.',
          params,
          body: weightingSchemeSchema,
          response: { 200: weightingSchemeViewSchema, 404: notFound },
        },
      },
      async (request) => view(service.update(request.params.id, request.body)),
    );

    app.post(
      '/weighting-schemes/:id/run',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Run a weighting scheme',
          description:
            "Weights the version's sample as of its date to its targets and stores one weight per member for that version (replacing an earlier run of it), answering the report. With `dryRun`, answers the report and stores nothing. An infeasible problem stores nothing.",
          params,
          body: schemeRunRequestSchema.default({ dryRun: false }),
          response: { 200: schemeRunSchema, 404: notFound, 422: infeasible },
        },
      },
      async (request) => service.run(request.params.id, request.body),
    );

    app.get(
      '/weighting-schemes/:id/report',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: "A weighting scheme's report",
          description: 'What the last run of the version did: iterations, largest margin error, the weights’ spread, design effect, trimming, margins.',
          params,
          querystring: versionQuery,
          response: { 200: schemeRunSchema, 404: notFound },
        },
      },
      async (request) => service.report(request.params.id, request.query.version),
    );

    app.get(
      '/weighting-schemes/:id/weights',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: "A weighting scheme's weights",
          description: "The version's stored weights, one per member, by member id.",
          params,
          querystring: pageQuerySchema.extend(versionQuery.shape),
          response: {
            200: pageOf(memberWeightSchema).extend({
              version: z.number().int().describe('the version they belong to'),
              total: z.number().int().describe('members weighted'),
            }),
            404: notFound,
          },
        },
      },
      async (request) => {
        const { limit, offset, version } = request.query;
        return { limit, offset, ...service.weights(request.params.id, { version, limit, offset }) };
      },
    );
  };
}
