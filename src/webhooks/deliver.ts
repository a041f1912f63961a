// One HTTP attempt: POST the stored body with undici, never following redirects.
import { Agent, request } from 'undici';
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

async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(err?: Error): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < EXCERPT_BYTES) chunks.push(chunk);
    size += chunk.length;
    if (size > MAX_READ_BYTES) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
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
  // The total timeout without an AbortSignal (AbortSignal.timeout, or even a controller per
  // request, costs more than the rest of our bookkeeping at thousands of deliveries a second):
  // the connect timeout (agent), the wait for the answer's headers (headersTimeout) and then a
  // timer that ends reading the body when the whole attempt's time is up.
  let timer: NodeJS.Timeout | undefined;
  try {
    const res = await request(target.url, {
      method: 'POST',
      body: event.body,
      headers,
      dispatcher: agent,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    const left = Math.max(1, opts.timeoutMs - (performance.now() - started));
    timer = setTimeout(() => res.body.destroy(new Error('timeout reading the response body')), left);
    const excerpt = await readExcerpt(res.body).catch(() => '');
    const status = res.statusCode;
    const retryAfter = status === 429 || status === 503 ? (res.headers['retry-after'] as string | undefined) : undefined;
    if (status >= 200 && status < 300) return done({ outcome: 'delivered', statusCode: status, error: null, responseExcerpt: excerpt, retryAfter });
    if (status >= 300 && status < 400) {
      return done({ outcome: 'redirect', statusCode: status, error: `redirect to ${String(res.headers.location ?? '?')} not followed`, responseExcerpt: excerpt, retryAfter });
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
  } finally {
    clearTimeout(timer);
  }
}
