import { problemContentType, problemSchema } from '@parcours/contracts';
import type { SwaggerOptions } from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];
type RouteSchema = Record<string, unknown> & { response?: Record<string, unknown> };

/** The problems routes declare as answers (`problemResponse`), documented under their content type. */
const problemResponses = new WeakSet<object>();

/** A refusal a route declares among its responses: an RFC 9457 problem, sent as `application/problem+json`. */
export function problemResponse(description: string): typeof problemSchema {
  const schema = problemSchema.describe(description);
  problemResponses.add(schema);
  return schema;
}

/** OpenAPI 3.1: its schemas are JSON Schema 2020-12, which any JSON Schema validator checks as they are. */
export const openApiVersion = '3.1.0';

/** The groups of operations, in the order the API's page shows them. */
const tags = [
  { name: 'subjects', description: 'Individuals and collectives, and a subject as the registry held it at any instant.' },
  { name: 'memberships', description: 'Who belonged to which collective, over which interval.' },
  { name: 'devices', description: 'Devices, their MQTT credentials, their presence, and their assignments to subjects over time.' },
  { name: 'consents', description: 'What each person agreed to be part of (panels, surveys), over time.' },
  { name: 'registry', description: 'Imports from a CRM, the history of every change, and re-attribution after a correction.' },
  {
    name: 'profiles',
    description: 'Customer profiles from several sources: the sources, the keys that identify people in them, and attributes with provenance as of any date.',
  },
  { name: 'events', description: 'The accepted messages, as stored with their attribution.' },
  { name: 'quarantine', description: 'The refused messages, and their replay once the cause is fixed.' },
  { name: 'analytics', description: 'Usage sessions and journeys, aggregates, funnels and retention, derived from the stored messages.' },
  { name: 'panels', description: 'Representative panels drawn from the customer base, kept representative, and thematic communities in them.' },
  { name: 'health', description: 'Whether each part of Parcours is keeping up.' },
];

/**
 * A route's zod schemas as OpenAPI, each as it travels: fastify-type-provider-zod documents a response
 * from its parsed side (an instant as ms), while the serializer sends its encoded side (an ISO string), the
 * side it documents for a request. So every response is documented as a request body would be, and a
 * problem under the content type it is sent with.
 */
export function wireSchemaTransform(document: TransformInput): ReturnType<typeof jsonSchemaTransform> {
  const { response, ...request } = (document.schema ?? {}) as RouteSchema;
  const transformed = jsonSchemaTransform({ ...document, schema: request } as TransformInput);
  if (request.hide) return transformed;
  const wire = (schema: unknown) => (jsonSchemaTransform({ ...document, schema: { body: schema } } as TransformInput).schema as { body: object }).body;
  const problem = (description: string) => ({ description, content: { [problemContentType]: { schema: wire(problemSchema) } } });
  const documented = Object.fromEntries(
    Object.entries(response ?? {}).map(([status, schema]) =>
      problemResponses.has(schema as object)
        ? [status, problem(`${(schema as typeof problemSchema).description}: an RFC 9457 problem`)]
        : [status, wire(schema)],
    ),
  );
  // Any route may refuse a request for a reason of its own or of the HTTP port (a key, a URL, a body, a fault).
  documented.default = problem('any other error (400, 401, 403, 413, 415, 500, …): an RFC 9457 problem with its stable code');
  return { ...transformed, schema: { ...(transformed.schema as object), response: documented } };
}

/** The document's head: what the API is for, its groups, and the key every operation needs unless it says otherwise. */
export function openApiOptions(version: string): SwaggerOptions {
  return {
    openapi: {
      openapi: openApiVersion,
      info: {
        title: 'Parcours API',
        version,
        description:
          'The registry of subjects, devices, memberships and assignments; the stored messages and the quarantine; usage sessions and journeys; aggregates (transitions, activity, shared usage), funnels and retention. Instants are ISO 8601 with an offset; ranges are [from, to).',
      },
      tags,
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'an API key from `parcours keys create`' } } },
      security: [{ apiKey: [] }],
    },
    transform: wireSchemaTransform,
  };
}
