import { identitySchema, idSchema, keyTypeSchema, queryInstantSchema, subjectAttributesSchema } from '@parcours/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ProfileStore } from '../../profiles/profile-store.js';
import { errors, idParams } from './registry-schemas.js';

const identityViewSchema = z.object({
  individualId: idSchema.describe('the individual'),
  keys: z.record(keyTypeSchema, z.string()).describe('its external ids by kind (an address only as `email_sha256`)'),
});

/** A person's profile: the keys that identify them in the sources, and their attributes as of a date. */
export function profileSubjectRoutes(profiles: ProfileStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<ZodTypeProvider>();
    const tags = ['profiles'];

    app.get(
      '/subjects/:id/identities',
      {
        config: { access: 'read' },
        schema: { tags, summary: "An individual's external ids", params: idParams, response: { 200: identityViewSchema, ...errors } },
      },
      async (request) => profiles.getIdentity(request.params.id),
    );

    app.put(
      '/subjects/:id/identities',
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: "Set an individual's external ids",
          description: 'Its keys become exactly these; a plain address (`email`) is stored only as its SHA-256.',
          params: idParams,
          body: identitySchema.pick({ keys: true }),
          response: { 200: identityViewSchema, ...errors },
        },
      },
      async (request) => profiles.setIdentity(request.params.id, request.body.keys),
    );

    app.get(
      '/subjects/:id/attributes',
      {
        config: { access: 'read' },
        schema: {
          tags,
          summary: "A subject's attributes as of a date",
          description: "Each attribute's winning value (the most trusted source's), with its source and dates, and the values it overrides.",
          params: idParams,
          querystring: z.object({ at: queryInstantSchema.optional().describe('the date (ISO 8601, or YYYY-MM-DD for its midnight UTC); default now') }),
          response: { 200: subjectAttributesSchema, ...errors },
        },
      },
      async (request) => profiles.subjectAttributes(request.params.id, request.query.at ?? Date.now()),
    );
  };
}
