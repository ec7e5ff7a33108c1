import { healthSchema, idMaxLength, type Health } from '@parcours/contracts';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { declaredAccess } from '../auth/access.js';
import { httpErrorHandler, type CountHttpError } from './errors.js';
import { openApiOptions } from './openapi.js';
import { checkRequest } from './request-checks.js';
import { routeNotFound } from './route-not-found.js';
import { answerNodeRefusals, clientErrorHandler } from './socket-errors.js';
import { useUtf8Parsers } from './utf8-bodies.js';
import { serveWebPage } from './web-page.js';

/** Where swagger-ui serves its pages, and the document they show. */
const docsPrefix = '/docs';

export type HttpApp = FastifyInstance;

export interface HttpAppDeps {
  logger: Logger;
  metrics: Registry;
  /** Each part's health; one not `ok` makes `/healthz` answer 503 `degraded`. */
  health: () => Health['parts'];
  /** Route plugins, registered in this order (the registry's, the analytics', …). */
  routes: FastifyPluginAsync[];
  version: string;
  /** Told of every route as it is added (HEAD routes aside). */
  onRoute?: (method: string, url: string) => void;
  /** Checks each request's API key and role against the access its route declares (see auth/require-key.ts). */
  authorize: (request: FastifyRequest) => Promise<void>;
  /** Told of every error answered (`parcours_http_errors_total`). */
  countError: CountHttpError;
  /** How long a request may take to arrive, headers and body (`http.requestTimeout`), in ms. */
  requestTimeout: number;
}

/** Builds the HTTP API without listening, so tests can `inject` or listen on port 0 (fastify's testing guide). */
export async function buildHttpApp(deps: HttpAppDeps): Promise<HttpApp> {
  // pino's Logger is a FastifyBaseLogger; the cast keeps the app's type the default one that plugins expect.
  // One log line per request would drown the device traffic; errors are still logged by the error handler.
  const handleError = httpErrorHandler(deps.countError);
  const app = Fastify({
    loggerInstance: deps.logger.child({ part: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    // fastify's default (100) would refuse the longest ids with 414.
    routerOptions: { maxParamLength: idMaxLength },
    requestTimeout: deps.requestTimeout,
    http: {
      headersTimeout: Math.min(60_000, deps.requestTimeout),
      // Node looks for late requests this often (30 s by default): a short timeout would be late by as much.
      connectionsCheckingInterval: Math.min(30_000, Math.ceil(deps.requestTimeout / 4)),
      // Node would answer a missing Host with a bare 400 of its own; checkRequest answers it as a problem.
      requireHostHeader: false,
    },
    // A request arriving while the server closes is answered as usual (the rest of Parcours stops after the
    // HTTP API), not with fastify's own 503 body.
    return503OnClosing: false,
    frameworkErrors: (error, request, reply) => handleError(error, request, reply),
    clientErrorHandler: clientErrorHandler(deps.countError),
  });
  answerNodeRefusals(app.server, deps.countError);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(routeNotFound(app, deps.countError));
  useUtf8Parsers(app);
  app.addHook('onRequest', checkRequest);
  app.addHook('onRequest', deps.authorize);
  app.addHook('onRoute', (route) => {
    // swagger-ui cannot declare its routes' access: its pages and the document they show hold no data.
    if (route.prefix === docsPrefix) route.config = { ...route.config, access: 'public' };
    // Every route declares who may call it; the API's description shows which need no key.
    if (declaredAccess(route) === 'public') route.schema = { ...route.schema, security: [] };
    for (const method of [route.method].flat()) if (method !== 'HEAD') deps.onRoute?.(method, route.url);
  });

  await app.register(fastifySwagger, openApiOptions(deps.version));
  await app.register(fastifySwaggerUi, { routePrefix: docsPrefix });

  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
  typed.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Health of each part',
        description: 'For readiness and alerts: 503 says the pipeline is behind or stuck, not that the process should be restarted.',
        response: { 200: healthSchema.describe('every part is ok'), 503: healthSchema.describe('some part is not ok') },
      },
    },
    async (_request, reply) => {
      const parts = deps.health();
      return Object.values(parts).every((part) => part.ok) ? { status: 'ok' as const, parts } : reply.status(503).send({ status: 'degraded' as const, parts });
    },
  );
  typed.get('/metrics', { config: { access: 'read' }, schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', deps.metrics.contentType);
    return deps.metrics.metrics();
  });
  await serveWebPage(app);
  for (const routes of deps.routes) await app.register(routes, { prefix: '/api/v1' });
  return app;
}
