import {
  funnelDefinitionSchema,
  funnelQuerySchema,
  funnelResultSchema,
  weightedFunnelSchema,
  weightingUsedSchema,
  weightsQuerySchema,
  type Funnel,
  type FunnelDefinition,
} from '@parcours/contracts';
import { notFound } from '@parcours/gateway';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { computeFunnel, type Occurrence } from '../funnels/funnel-counter.js';
import { WeightedFigures, type WeightedSamples } from '../weighted/weighted-figures.js';
import { weightedFunnel } from '../weighted/weighted-funnel.js';
import { checkInterval } from './intervals.js';

const definition = (f: Funnel): FunnelDefinition => ({ name: f.name, steps: f.steps, windowS: f.window / 1000, countBy: f.countBy });

const weightedFunnelResultSchema = funnelResultSchema.extend({
  weighting: weightingUsedSchema.optional().describe('with `weights`: which weights the `weighted` figures used'),
  weighted: weightedFunnelSchema.optional().describe('with `weights`: the funnel of the population the scheme’s sample stands for'),
});

/**
 * `GET /funnels` (the funnels declared in `analytics.funnels`) and `GET /funnels/{name}?from&to`: the
 * funnel of the subjects entering in `[from, to)`, computed on request from the stored sessions and events;
 * with `?weights=SCHEME`, also for the population (funnels counting individuals).
 */
export function funnelRoutes(
  funnels: readonly Funnel[],
  occurrences: (funnel: Funnel, from: number, to: number) => Occurrence[],
  samples: WeightedSamples,
): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/funnels',
      {
        config: { access: 'read' },
        schema: {
          tags: ['analytics'],
          summary: 'List funnels',
          description: 'The funnels declared in `analytics.funnels`.',
          response: { 200: z.object({ items: z.array(funnelDefinitionSchema).describe('the funnels, as declared') }) },
        },
      },
      async () => ({ items: funnels.map(definition) }),
    );
    app.get(
      '/funnels/:name',
      {
        config: { access: 'read' },
        schema: {
          tags: ['analytics'],
          summary: 'Count a funnel',
          description:
            'The subjects entering the funnel in [from, to), and how far each got: reached, conversion and median time per step, as ordered funnels count them. With `weights` (a funnel counting individuals), also `weighted`: the same for the population, each figure with its uncertainty.',
          params: z.object({ name: z.string().describe("the funnel's name") }),
          querystring: funnelQuerySchema.extend(weightsQuerySchema.shape),
          response: { 200: weightedFunnelResultSchema },
        },
      },
      async (request) => {
        const funnel = funnels.find((f) => f.name === request.params.name);
        if (!funnel) throw notFound('funnel', request.params.name);
        const { from, to, weights, weightsVersion } = request.query;
        checkInterval(from, to);
        // A step may follow its entry by up to the window, so occurrences are read past `to`.
        const found = occurrences(funnel, from, to + funnel.window);
        const result = computeFunnel(funnel, from, to, found);
        if (weights === undefined) return result;
        const figures = new WeightedFigures(samples(weights, weightsVersion));
        return { ...result, weighting: figures.used(), weighted: weightedFunnel(funnel, from, to, found, figures) };
      },
    );
  };
}
