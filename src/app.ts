// The HTTP application: every API of openwaba as Fastify plugins over shared services.
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DestinationStream } from 'pino';
import type { Deps } from './deps.ts';
import { loggerOptions } from './http/logging.ts';
import { registerMetrics } from './http/metrics.ts';
import { registerGracefulClose } from './http/graceful-close.ts';
import { partnerApi } from './partner-api/plugin.ts';
import { adminApi } from './admin/plugin.ts';
import { messagingApi } from './messaging/plugin.ts';
import { webPlugin } from './web/plugin.ts';
import { ApiError, toApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus registry served at /metrics; other parts (the dispatcher) add to it. */
    metricsRegistry: import('prom-client').Registry;
  }
}

export interface AppOptions {
  /** Where request logs go (tests capture them); stdout by default. */
  logStream?: DestinationStream;
}

export async function buildApp(deps: Deps, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(deps.config.logLevel, opts.logStream),
    trustProxy: deps.config.trustProxy,
    bodyLimit: 1024 * 1024,
    // Our own ids are case-sensitive; keep paths exact.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerGracefulClose(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'openwaba',
        description:
          "Self-hostable WhatsApp Business API platform, wire-compatible with 360dialog's Partner API (/api/v2) and Messaging API.",
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          PartnerApiKeyV2: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          Bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          D360ApiKey: { type: 'apiKey', in: 'header', name: 'D360-API-KEY' },
          AdminToken: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.decorate('metricsRegistry', registerMetrics(app));
  // A NUL character is never part of a valid id or query; refuse it before it reaches a database
  // (PostgreSQL rejects it in text, SQLite would store it).
  app.addHook('onRequest', async (request) => {
    if (/%00/.test(request.url)) throw new ApiError(400, 'The URL must not contain NUL (%00) characters');
  });

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(partnerApi, { prefix: '/api/v2', deps });
  if (deps.config.adminToken) await app.register(adminApi, { prefix: '/admin', deps });
  await app.register(webPlugin, { deps });
  await app.register(messagingApi, { deps });

  // Anything outside the API prefixes: a plain JSON error.
  app.setErrorHandler((err, request, reply) => {
    const e = toApiError(err);
    if (e.status >= 500) request.log.error({ err }, 'request failed');
    if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
    return reply.status(e.status).send({ error: e.message });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: `Route ${request.method} ${request.url.split('?')[0]} not found` }),
  );
  return app;
}
