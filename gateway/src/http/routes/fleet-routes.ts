import { fleetSchema } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { fleetFigures, type FleetSources } from '../../fleet/fleet-figures.js';

/** `GET /fleet`: devices registered and online, messages accepted and quarantined per minute over the last hour, the quarantine by reason. */
export function fleetRoutes(sources: FleetSources, now: () => number = Date.now): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/fleet',
      {
        config: { access: 'read' },
        schema: {
          tags: ['fleet'],
          summary: 'The fleet live',
          description:
            'The fleet as it stands: devices registered and online, messages per minute over the last hour by receive time, the quarantine by reason.',
          response: { 200: fleetSchema },
        },
      },
      async () => fleetFigures(sources, now()),
    );
  };
}
