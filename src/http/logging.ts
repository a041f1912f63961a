// pino options for request logs: a few useful headers are logged, credentials never are.
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { DestinationStream } from 'pino';
import type { LogLevel } from '../config.ts';
import { mergeDuplicateSlashes } from './duplicate-slashes.ts';

/** Fields never logged with their value, at the top of a log line or one level down ({err: {token}}). */
const SECRET_FIELDS = ['password', 'api_key', 'access_token', 'token', 'secret'];
const CENSOR = '[redacted]';

/** A copy of `v` (keeping its prototype, so an Error stays one for pino's err serializer) with `fields` censored. */
function censoredCopy(v: object, fields: string[]): object {
  const copy = Object.create(Object.getPrototypeOf(v) as object | null) as Record<string, unknown>;
  for (const k of Object.getOwnPropertyNames(v)) copy[k] = (v as Record<string, unknown>)[k];
  for (const f of fields) copy[f] = CENSOR;
  return copy;
}

/**
 * pino's log formatter: the line's object with every secret field censored, at its top level
 * and in each object directly under it (what redact paths '*.password' etc. did). pino's redact
 * cost about 10 µs on every request line (bench: GET /health went from 29,000 to 20,000 req/s
 * with it); these few own-property checks cost well under one. Credential headers are handled
 * by the req serializer below (an allowlist); the res serializer logs only the status code.
 */
export function censorSecrets(obj: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in obj) {
    if (SECRET_FIELDS.includes(key)) {
      out ??= { ...obj };
      out[key] = CENSOR;
      continue;
    }
    const v = obj[key];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
    let found: string[] | undefined;
    for (const f of SECRET_FIELDS) if (Object.hasOwn(v, f)) (found ??= []).push(f);
    if (!found) continue;
    out ??= { ...obj };
    out[key] = censoredCopy(v, found);
  }
  return out ?? obj;
}

/**
 * Paths whose rest is a credential, logged as the prefix and CENSOR: a flow's preview link
 * (web/flow-preview.ts: its last segment is the link's token) and a template's header sample
 * (messaging/templates/sample-url.ts: a keyless URL whose session and signature fetch the file).
 */
const SECRET_PATH_PREFIXES = ['/flows/preview/', '/template_samples/'];

/**
 * Query parameters whose values are secrets: Meta's hub.verify_token and the verify_token a client
 * sets with a callback URL (/subscriptions, /subscribed_apps), a Graph access_token (messaging/
 * auth.ts takes a key there), and the client_secret of GET /oauth/access_token (a channel key:
 * messaging/routes/graph-app-token.ts). Names are compared as the query parser reads them
 * (percent-decoded, any case), so `%61ccess_token` is censored as `access_token` is.
 */
const SECRET_PARAMS = new Set(['access_token', 'client_secret', 'verify_token', 'hub.verify_token', 'input_token']);
/** Cheap pre-check on the query: it may name one of them (directly, or percent-encoded). */
const MAY_HOLD_SECRET = /_token|_secret|%/i;

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** The URL as logged: a flow preview link without its token, secret query values censored. */
export function loggedUrl(raw: string): string {
  // As routed: duplicate slashes merged (http/duplicate-slashes.ts), so `//flows/preview/…` is known too.
  const url = mergeDuplicateSlashes(raw);
  // A secret path is censored whatever its query.
  for (const prefix of SECRET_PATH_PREFIXES) if (url.startsWith(prefix)) return `${prefix}${CENSOR}`;
  const q = url.indexOf('?');
  if (q === -1 || !MAY_HOLD_SECRET.test(url.slice(q))) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash === -1 ? undefined : hash);
  const parts = query.split('&').map((part) => {
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    return SECRET_PARAMS.has(decodedName(name)) ? `${name}=${CENSOR}` : part;
  });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}


/** Headers worth a log line; anything else (custom auth headers, cookies, …) is left out. */
const LOGGED_HEADERS = ['host', 'user-agent', 'content-type', 'content-length', 'accept', 'x-forwarded-for', 'x-request-id', 'origin'];
/** Credentials: the log shows that one was sent, never its value. */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'd360-api-key', 'cookie', 'x-csrf-token', 'proxy-authorization'];

function loggedHeaders(all: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const h of LOGGED_HEADERS) if (all[h] !== undefined) out[h] = all[h];
  for (const h of CREDENTIAL_HEADERS) if (all[h] !== undefined) out[h] = CENSOR;
  return out;
}

export function loggerOptions(level: LogLevel, stream?: DestinationStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    formatters: { log: censorSecrets },
    serializers: {
      req(req: { method: string; url: string; originalUrl?: string; headers: Record<string, unknown>; ip?: string; socket?: { remoteAddress?: string } }) {
        // As the client sent it: a Graph path is rewritten before routing (messaging/graph-paths.ts).
        const url = req.originalUrl ?? req.url;
        return {
          method: req.method,
          // Query strings can carry filters with e-mail addresses; keep the path and its query
          // (but not the verify token Meta sends to /network/meta/webhook, nor a Graph access_token).
          // A flow preview link's path is its secret (messaging/flows/preview.ts): censored too.
          url: loggedUrl(url),
          // An allowlist, not a copy: cheaper on every request, and unknown secret-bearing headers stay out.
          headers: loggedHeaders(req.headers),
          remoteAddress: req.ip ?? req.socket?.remoteAddress,
        };
      },
    },
  } as FastifyServerOptions['logger'];
}

/**
 * One line per request, written when it is answered, instead of Fastify's two ("incoming
 * request" and "request completed"): the same facts (the request, the status, the time) for half
 * the logging work, which at info level was a sixth of a send's CPU time (bench:send). Errors
 * are logged as Fastify logs them.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
