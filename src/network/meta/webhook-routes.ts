// Meta's webhooks in: the callback URL an operator registers in the Meta app's dashboard
// (Products → WhatsApp → Configuration), at <OPENWABA_PUBLIC_URL>/network/meta/webhook.
//   GET  — Meta's verification of the URL (hub.mode, hub.verify_token, hub.challenge);
//   POST — Meta's notifications, signed with the app secret (X-Hub-Signature-256).
// Errors are plain `{"error": "..."}`: Meta reads only the status. A 2xx tells Meta the
// notification is taken (never given before its writes are committed); anything else makes it
// retry with decreasing frequency for up to 7 days.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError, toApiError } from '../../errors.ts';
import { jsonNestsDeeperThan } from '../../http/json-depth.ts';
import { applyNotification } from './inbound.ts';
import { readNotification } from './notification.ts';
import { signatureHeaderWellFormed, signatureMatches, verifyTokenMatches } from './webhook-signature.ts';

export const META_WEBHOOK_PATH = '/network/meta/webhook';
/** Meta's notifications stay well under 1 MiB (a message's text is at most 4,096 characters); 3 MiB leaves room for batches. */
export const META_WEBHOOK_BODY_LIMIT = 3 * 1024 * 1024;
/** The same nesting limit as every other JSON body of the app (app.ts MAX_JSON_DEPTH). */
const MAX_JSON_DEPTH = 64;
/** Meta's challenge is a number (about 10 digits); a short token of safe characters is echoed, nothing else (it is reflected). */
const CHALLENGE = /^[A-Za-z0-9_.-]{1,128}$/;
const tags = ['Meta network'];

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const metaWebhookRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.setErrorHandler((err, request, reply) => {
    const e = toApiError(err);
    if (e.status >= 500) request.log.error({ err }, 'Meta webhook: not processed; Meta will retry');
    return reply.status(e.status).send({ error: e.message });
  });

  // The raw bytes, for the signature: only JSON is taken here (Meta sends application/json, with
  // or without a charset; Fastify matches the type without its parameters), anything else is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: META_WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));
  // Fastify's own JSON parser (secure-json-parse: a __proto__ or constructor.prototype key is an error), as the app's.
  const parseJson = app.getDefaultJsonParser('error', 'error');

  app.get(
    META_WEBHOOK_PATH,
    {
      schema: {
        tags,
        summary: "Meta's verification of this callback URL: answers hub.challenge when hub.verify_token is OPENWABA_META_VERIFY_TOKEN",
      },
    },
    async (request, reply) => {
      const q = request.query as Record<string, unknown>;
      const configured = deps.config.metaVerifyToken;
      const refuse = (why: string) => reply.status(403).send({ error: why });
      if (!configured) return refuse('No verify token is configured (OPENWABA_META_VERIFY_TOKEN): Meta webhooks are not enabled on this instance');
      if (one(q['hub.mode']) !== 'subscribe') return refuse('hub.mode must be subscribe');
      const token = one(q['hub.verify_token']);
      if (token === undefined || !verifyTokenMatches(configured, token)) return refuse('hub.verify_token does not match');
      const challenge = one(q['hub.challenge']);
      if (challenge === undefined || !CHALLENGE.test(challenge)) return refuse('hub.challenge must be a short token of letters and digits');
      return reply.status(200).header('content-type', 'text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').header('cache-control', 'no-store').send(challenge);
    },
  );

  /**
   * Before the body is read: no app secret configured → 403 (this instance takes no Meta
   * notifications at all, whoever sends them); no well-formed signature header → 401 (the caller
   * did not authenticate). A signature that does not match the body is a 401 too, in the handler.
   */
  const requireSignatureHeader = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!deps.config.metaAppSecret) return reply.status(403).send({ error: 'No Meta app secret is configured (OPENWABA_META_APP_SECRET): Meta notifications are refused' });
    if (!signatureHeaderWellFormed(request.headers['x-hub-signature-256'])) {
      return reply.status(401).send({ error: 'X-Hub-Signature-256 is missing or not sha256=<64 hex digits>' });
    }
  };

  app.post(
    META_WEBHOOK_PATH,
    {
      bodyLimit: META_WEBHOOK_BODY_LIMIT,
      onRequest: requireSignatureHeader,
      schema: {
        tags,
        summary: "Meta's notifications (messages, statuses, calls, group changes; template and account changes of their WABAs) for numbers attached to channels; signed with OPENWABA_META_APP_SECRET",
      },
    },
    async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (!signatureMatches(deps.config.metaAppSecret!, raw, request.headers['x-hub-signature-256'] as string)) {
        return reply.status(401).send({ error: 'X-Hub-Signature-256 does not match the body' });
      }
      const text = raw.toString('utf8');
      if (text.trim() === '') throw new ApiError(400, 'Malformed JSON body: the body is empty');
      if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) throw new ApiError(400, `Malformed JSON body: arrays and objects nest deeper than ${MAX_JSON_DEPTH} levels`);
      let body: unknown;
      let malformed = false;
      parseJson(request, text, (err, parsed) => {
        malformed = err !== null;
        body = parsed;
      });
      if (malformed) throw new ApiError(400, 'Malformed JSON body: not JSON, or a key named __proto__ or constructor with a prototype key');
      const notification = readNotification(body);
      if (notification.ignoredFields.length) request.log.debug({ fields: notification.ignoredFields }, 'Meta webhook: fields not handled, ignored');
      if (notification.skippedCount) request.log.warn({ skipped: notification.skippedCount, why: notification.skipped }, 'Meta webhook: items skipped');
      const applied = await applyNotification(deps, notification, request.log);
      request.log.debug({ ...applied }, 'Meta webhook: notification applied');
      return reply.status(200).send({ success: true });
    },
  );
};
