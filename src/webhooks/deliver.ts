// One HTTP attempt: POST the stored body with undici, never following redirects.
import { Agent } from 'undici';
import type { DeliveryTarget } from './targets.ts';
import { sign360, standardWebhookHeaders } from './signing.ts';
import { isPrivateAddress, publicOnlyLookup } from './private-address.ts';

export type AttemptOutcome = 'delivered' | 'http_error' | 'redirect' | 'timeout' | 'network_error' | 'no_endpoint';

export interface AttemptResult {
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
  /** From Retry-After on 429 / 503. */
  retryAfter: string | undefined;
  durationMs: number;
}

const EXCERPT_BYTES = 1024;
const MAX_READ_BYTES = 64 * 1024;
/** Headers a target's custom headers may not replace. */
const RESERVED = new Set([
  'content-type', 'content-length', 'host', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer',
  'x-360dialog-signature', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'expect',
]);

export function createDeliveryAgent(opts: { connectTimeoutMs: number; timeoutMs: number; perOrigin: number; publicOnly?: boolean }): Agent {
  return new Agent({
    // Under the strict policy, names that resolve to private addresses are refused at connect time.
    connect: { timeout: opts.connectTimeoutMs, ...(opts.publicOnly ? { lookup: publicOnlyLookup } : {}) },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 30_000,
    connections: opts.perOrigin,
  });
}

/** What an answer was: its status, the two headers we read, and the first EXCERPT_BYTES of its body. */
interface Answer {
  status: number;
  retryAfter: string | undefined;
  location: string | undefined;
  excerpt: string;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * One POST through the agent's dispatch handler interface (undici's own `request()` sits on the
 * same interface and adds a Readable stream, an async resource and a promise per answer, which
 * at thousands of deliveries a second cost more than our bookkeeping). Redirects are never
 * followed (the agent has no redirect interceptor). The body is read up to MAX_READ_BYTES
 * (EXCERPT_BYTES kept) and the whole attempt is bounded: connect timeout (agent), headers
 * timeout, then a timer that ends reading the body when the attempt's time is up.
 */
function post(agent: Agent, url: URL, body: string, headers: Record<string, string>, timeoutMs: number, started: number): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let read = 0;
    let status = 0;
    let retryAfter: string | undefined;
    let location: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const excerpt = chunks.length === 1 ? chunks[0]!.subarray(0, EXCERPT_BYTES).toString('utf8') : Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
      resolve({ status, retryAfter, location, excerpt });
    };
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
    };
    agent.dispatch(
      { origin: url.origin, path: url.pathname + url.search, method: 'POST', body, headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
      {
        onRequestStart() {},
        onResponseStart(controller, statusCode, resHeaders) {
          status = statusCode;
          if (statusCode === 429 || statusCode === 503) retryAfter = header(resHeaders, 'retry-after');
          if (statusCode >= 300 && statusCode < 400) location = header(resHeaders, 'location');
          const left = Math.max(1, timeoutMs - (performance.now() - started));
          // Past the time: what was read is the excerpt (as when the body is larger than we read).
          timer = setTimeout(() => {
            finish();
            controller.abort(new Error('timeout reading the response body'));
          }, left);
        },
        onResponseData(controller, chunk) {
          if (kept < EXCERPT_BYTES) {
            chunks.push(chunk);
            kept += chunk.length;
          }
          read += chunk.length;
          if (read > MAX_READ_BYTES) {
            finish();
            controller.abort(new Error('response body larger than we read'));
          }
        },
        onResponseEnd() {
          finish();
        },
        onResponseError(_controller, err) {
          // After the answer's status (a body cut off): the attempt is judged by its status, as before.
          if (status !== 0) finish();
          else fail(err);
        },
      },
    );
  });
}

/** Parsed target URLs (few targets, thousands of deliveries to each). */
const parsedUrls = new Map<string, URL>();
function parseUrl(raw: string): URL {
  let u = parsedUrls.get(raw);
  if (!u) {
    u = new URL(raw);
    if (parsedUrls.size >= 1000) parsedUrls.clear();
    parsedUrls.set(raw, u);
  }
  return u;
}

export async function attemptDelivery(
  agent: Agent,
  target: DeliveryTarget | undefined,
  event: { id: string; body: string },
  opts: { timeoutMs: number; nowSeconds: number; userAgent: string; publicOnly?: boolean },
): Promise<AttemptResult> {
  const started = performance.now();
  const done = (r: Omit<AttemptResult, 'durationMs'>): AttemptResult => ({ ...r, durationMs: performance.now() - started });
  if (!target || !target.url) {
    return done({ outcome: 'no_endpoint', statusCode: null, error: 'no webhook URL is configured for this target', responseExcerpt: null, retryAfter: undefined });
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.headers)) if (!RESERVED.has(k.toLowerCase())) headers[k] = v;
  headers['content-type'] = 'application/json';
  headers['user-agent'] ??= opts.userAgent;
  if (target.secret) {
    Object.assign(headers, standardWebhookHeaders(target.secret, event.id, opts.nowSeconds, event.body));
    if (target.sign360) headers['x-360dialog-signature'] = sign360(target.secret, event.body);
  }
  if (opts.publicOnly && isPrivateAddress(new URL(target.url).hostname)) {
    return done({ outcome: 'network_error', statusCode: null, error: `EPRIVATEADDRESS: ${new URL(target.url).hostname} is a private or reserved address (OPENWABA_WEBHOOK_URL_POLICY=strict)`, responseExcerpt: null, retryAfter: undefined });
  }
  try {
    const res = await post(agent, parseUrl(target.url), event.body, headers, opts.timeoutMs, started);
    const status = res.status;
    const excerpt = res.excerpt;
    const retryAfter = res.retryAfter;
    if (status >= 200 && status < 300) return done({ outcome: 'delivered', statusCode: status, error: null, responseExcerpt: excerpt, retryAfter });
    if (status >= 300 && status < 400) {
      return done({ outcome: 'redirect', statusCode: status, error: `redirect to ${res.location ?? '?'} not followed`, responseExcerpt: excerpt, retryAfter });
    }
    return done({ outcome: 'http_error', statusCode: status, error: `HTTP ${status}`, responseExcerpt: excerpt, retryAfter });
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    const timeout = e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(e.code ?? '');
    return done({
      outcome: timeout ? 'timeout' : 'network_error',
      statusCode: null,
      error: `${e.code ?? e.name ?? 'Error'}: ${e.message ?? String(err)}`.slice(0, 500),
      responseExcerpt: null,
      retryAfter: undefined,
    });
  }
}
