// The HTTP application: every API of openwaba as Fastify plugins over shared services.
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { jsonNestsDeeperThan } from './http/json-depth.ts';
import { sql } from 'kysely';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DestinationStream } from 'pino';
import type { Deps } from './deps.ts';
import { loggerOptions, OneLinePerRequest } from './http/logging.ts';
import { registerMetrics } from './http/metrics.ts';
import { registerGracefulClose } from './http/graceful-close.ts';
import { answerClientError, apiOfPath, errorBodyFor } from './http/client-errors.ts';
import { partnerApi } from './partner-api/plugin.ts';
import { adminApi } from './admin/plugin.ts';
import { messagingApi } from './messaging/plugin.ts';
import { graphAppTokenRoutes } from './messaging/routes/graph-app-token.ts';
import { graphDebugTokenRoutes } from './messaging/routes/graph-debug-token.ts';
import { paymentConfigurationOauthRoutes } from './messaging/routes/payment-configurations.ts';
import { templateSampleRoutes } from './messaging/routes/template-samples.ts';
import { graphPathOf, rewriteGraphUrl } from './messaging/graph-paths.ts';
import { withMergedSlashes } from './http/duplicate-slashes.ts';
import { webPlugin } from './web/plugin.ts';
import { metaWebhookRoutes } from './network/meta/webhook-routes.ts';
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
  /**
   * On close, how long (ms) at least connections between requests stay open to answer a request
   * already on its way (see graceful-close.ts); 0 by default, the server sets its own.
   */
  closeGraceMs?: number;
}

/**
 * How deep arrays and objects may nest in a JSON body. Real payloads stay under ~10 levels; a
 * body nested thousands deep parses, but overflows the stack wherever it is later serialized
 * (a sandbox inbound stored with JSON.stringify answered 500).
 */
export const MAX_JSON_DEPTH = 64;

/** GET /ready: how long the database may take to answer `select 1`. */
const READY_TIMEOUT_MS = 2_000;


/**
 * Errors Fastify raises before routing (a URL that cannot be decoded, a path parameter over
 * maxParamLength), in the wire format of the API the path belongs to.
 */
function frameworkErrorBody(e: ApiError, path: string): unknown {
  // The same mapping as for requests Node's parser refuses (client-errors.ts).
  return errorBodyFor(apiOfPath(path), e);
}

export async function buildApp(deps: Deps, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(deps.config.logLevel, opts.logStream),
    logController: new OneLinePerRequest(),
    trustProxy: deps.config.trustProxy,
    bodyLimit: 1024 * 1024,
    // Our own ids are case-sensitive; keep paths exact. A path parameter may be as long as the
    // longest name a client can give: Meta's template names (512, DELETE /v1/configs/templates/{name}).
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 512 },
    // Meta's Graph paths (/v21.0/{phone-number-id}/messages, …) are served as the root paths
    // they stand for, for clients written for Meta's Cloud API (messaging/graph-paths.ts).
    // Duplicate slashes (a base URL with a trailing slash) are merged first (http/duplicate-slashes.ts).
    rewriteUrl: withMergedSlashes(rewriteGraphUrl),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    // Requests Node's parser refuses (malformed, headers too large): in their API's error format.
    clientErrorHandler: answerClientError,
    // While closing, a request that arrives on an open connection is served (with `Connection:
    // close`), not refused with Fastify's generic 503: the close waits for requests in flight anyway.
    return503OnClosing: false,
    frameworkErrors: (err, request, reply) => {
      const e = toApiError(err);
      return (reply as FastifyReply).status(e.status).send(frameworkErrorBody(e, (request.raw.url ?? '/').split('?')[0]!));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON bodies: Fastify's parser (which refuses __proto__ and constructor.prototype keys) behind
  // a nesting limit. Set here, before any plugin, so every API inherits it.
  const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    // No body at all: as if none had been announced. Clients send the JSON content type on every
    // call, bodyless POSTs and DELETEs included (POST …/api_keys, DELETE …/api_keys); a route that
    // needs a body still refuses the missing one, in its own words.
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(new ApiError(400, `Malformed JSON body: arrays and objects nest deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    defaultJsonParser(request, text, (err, parsed) => {
      if (!err || (err as { code?: string }).code !== 'FST_ERR_CTP_INVALID_JSON_BODY') return done(err, parsed);
      // Fastify's message does not say what is wrong; name the syntax error or the forbidden key.
      let why = 'keys named __proto__, or constructor with a prototype key, are not allowed';
      try {
        JSON.parse(text);
      } catch (syntax) {
        // Without the excerpt of the body V8 quotes (`…, "<text>" is not valid JSON`): it may hold a
        // secret the client sent (an app_secret, a key), and error answers are what proxies record.
        why = (syntax as Error).message.replace(/, .* is not valid JSON$/s, ' (the body is not valid JSON)');
      }
      done(new ApiError(400, `Malformed JSON body: ${why}`), undefined);
    });
  });

  registerGracefulClose(app, { graceMs: opts.closeGraceMs ?? 0 });

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
  // A callback hook (not async: no promise per request).
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.url.includes('%00')) done(new ApiError(400, 'The URL must not contain NUL (%00) characters'));
    else done();
  });
  // A compressed request body (Content-Encoding: gzip, br, …) would reach the parsers still
  // compressed and be read as garbage (or, for br, a body of its own that happens to parse): no API
  // here takes one, so it is refused as RFC 9110 §8.4.1 allows, with 415 naming the coding. Before
  // parsing, after authentication (a wrong key is still a 401 first).
  app.addHook('preParsing', (request, _reply, payload, done) => {
    const coding = request.headers['content-encoding'];
    if (coding === undefined) return done(null, payload);
    const c = coding.trim().toLowerCase();
    const hasBody = (request.headers['content-length'] ?? '0') !== '0' || request.headers['transfer-encoding'] !== undefined;
    if (!hasBody || c === '' || c === 'identity') return done(null, payload);
    done(new ApiError(415, `Content-Encoding ${JSON.stringify(coding.slice(0, 40))} is not supported: send the body uncompressed`));
  });

  // Liveness: the process answers. Readiness: it can also reach its database (within 2 s), which
  // a load balancer or an orchestrator should check before sending it traffic.
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sql`select 1`.execute(deps.db.kysely),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the database did not answer within 2 s')), READY_TIMEOUT_MS))),
      ]);
      return { status: 'ready' };
    } catch (err) {
      return reply.status(503).header('cache-control', 'no-store').send({ status: 'unavailable', error: (err as Error).message.slice(0, 300) });
    } finally {
      clearTimeout(timer);
    }
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(partnerApi, { prefix: '/api/v2', deps });
  if (deps.config.adminToken) await app.register(adminApi, { prefix: '/admin', deps });
  await app.register(webPlugin, { deps });
  await app.register(messagingApi, { deps });
  // Graph's app token (pywa's start-up): outside messagingApi's key check, the key is its client_secret.
  await app.register(graphAppTokenRoutes, { deps });
  // Graph's debug_token: outside messagingApi's key check, its key check is its own (the key may come as ?access_token=).
  await app.register(graphDebugTokenRoutes, { deps });
  // The sandbox's payment gateway OAuth link: opened by a browser without a key, the token is its credential.
  await app.register(paymentConfigurationOauthRoutes, { deps });
  // A template's header sample (example.header_handle as a template read shows it): the signed URL is its credential.
  await app.register(templateSampleRoutes, { deps });
  await app.register(metaWebhookRoutes, { deps });

  // Anything outside the API prefixes: a plain JSON error.
  app.setErrorHandler((err, request, reply) => {
    const e = toApiError(err);
    if (e.status >= 500) request.log.error({ err }, 'request failed');
    if (e.retryAfter !== undefined) reply.header('retry-after', String(e.retryAfter));
    return reply.status(e.status).send({ error: e.message });
  });
  // An unknown route (or method) under the Messaging API answers in that API's own error body, as
  // every other error there does (reference §4.3 Cloud, §6 On-Premise): a client reading
  // `error.message` or `errors[0].details` would otherwise find neither. The Partner and admin APIs
  // have their own handlers; pages and the rest keep the plain JSON error.
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    // A Graph path (messaging/graph-paths.ts) is named as the client wrote it; its body is the root path's.
    const asSent = request.originalUrl.split('?')[0]!;
    return reply.status(404).send(errorBodyFor(graphPathOf(request) ? 'cloud' : apiOfPath(path), new ApiError(404, `Route ${request.method} ${asSent} not found`)));
  });
  return app;
}
