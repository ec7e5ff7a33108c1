import { consentChangeSchema, consentPurposeSchema, consentSchema, idSchema } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConsentStore } from '../../consent/consent-store.js';
import { errors } from './registry-schemas.js';

/** `/subjects/{id}/consents`: what a person agreed to, per purpose, over time. */
export function consentRoutes(consents: ConsentStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['consents'];

    app.get(
      '/subjects/:id/consents',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: "An individual's consents, oldest first",
          params: z.object({ id: idSchema.describe('the individual') }),
          response: { 200: z.object({ items: z.array(consentSchema).describe('every change, oldest first') }), ...errors },
        },
      },
      async (request) => ({ items: consents.history(request.params.id) }),
    );

    app.put(
      '/subjects/:id/consents/:purpose',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: 'Give or withdraw consent for a purpose',
          description:
            'An opt-out of `panel` ends the individual’s panel and community memberships at its date, and no draw, replacement or refresh brings them back while it stands.',
          params: z.object({ id: idSchema.describe('the individual'), purpose: consentPurposeSchema.describe('what the consent is for') }),
          body: consentChangeSchema,
          response: { 200: consentSchema, ...errors },
        },
      },
      async (request) => {
        const at = request.body.at ?? Date.now();
        return consents.record(request.params.id, request.params.purpose, request.body.granted, at);
      },
    );
  };
}
