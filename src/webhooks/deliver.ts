// One HTTP attempt: POST the stored body with undici, never following redirects.
import { Agent, type Dispatcher } from 'undici';
import type { DeliveryTarget } from './targets.ts';
import { sign360, standardWebhookSignature } from './signing.ts';
import { HUB_SIGNATURE_HEADER, asciiJson, hubSignature } from './hub-signature.ts';
import { isPrivateAddress, publicOnlyLookup } from './private-address.ts';
import { RESERVED_WEBHOOK_HEADERS } from '../services/webhook-target-checks.ts';

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

/** A target's own headers (less those it may not replace), content type and user agent: made once per resolved target. */
const baseHeadersOf = new WeakMap<DeliveryTarget, Record<string, string>>();
function baseHeaders(target: DeliveryTarget, userAgent: string): Record<string, string> {
  let h = baseHeadersOf.get(target);
  if (!h) {
    h = {};
    // Refused when set; headers stored before that rule are still left out here.
    for (const [k, v] of Object.entries(target.headers)) if (!RESERVED_WEBHOOK_HEADERS.has(k.toLowerCase())) h[k] = v;
    h['content-type'] = 'application/json';
    h['user-agent'] ??= userAgent;
    baseHeadersOf.set(target, h);
  }
  return h;
}

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
 * One answer being read: its status, the two headers we read, and the first EXCERPT_BYTES of its
 * body (read up to MAX_READ_BYTES). A class, so that its methods are made once, not per request.
 */
class AnswerReader implements Dispatcher.DispatchHandler {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private read = 0;
  private status = 0;
  private retryAfter: string | undefined;
  private location: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly started: number,
    private readonly resolve: (a: Answer) => void,
    private readonly reject: (err: Error) => void,
  ) {}

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    const c = this.chunks;
    const excerpt = (c.length === 1 ? c[0]! : Buffer.concat(c)).subarray(0, EXCERPT_BYTES).toString('utf8');
    this.resolve({ status: this.status, retryAfter: this.retryAfter, location: this.location, excerpt });
  }

  onRequestStart(): void {}

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = statusCode;
    if (statusCode === 429 || statusCode === 503) this.retryAfter = header(headers, 'retry-after');
    if (statusCode >= 300 && statusCode < 400) this.location = header(headers, 'location');
    // The attempt's time runs out while reading the body: what was read is the excerpt.
    const left = Math.max(1, this.timeoutMs - (performance.now() - this.started));
    this.timer = setTimeout(() => {
      this.finish();
      controller.abort(new Error('timeout reading the response body'));
    }, left);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.kept < EXCERPT_BYTES) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
    }
    this.read += chunk.length;
    if (this.read > MAX_READ_BYTES) {
      this.finish();
      controller.abort(new Error('response body larger than we read'));
    }
  }

  onResponseEnd(): void {
    this.finish();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.settled) return;
    // After the answer's status (its body cut off), the attempt is judged by its status.
    if (this.status !== 0) return this.finish();
    this.settled = true;
    clearTimeout(this.timer);
    this.reject(err);
  }
}

/**
 * One POST through the agent's dispatch handler interface (undici's own `request()` sits on the
 * same interface and adds a Readable stream, an async resource and a promise per answer, which
 * at thousands of deliveries a second cost more than our bookkeeping). Redirects are never
 * followed (the agent has no redirect interceptor). The whole attempt is bounded: connect
 * timeout (agent), headers timeout, then a timer that ends reading the body when time is up.
 */
function post(agent: Agent, url: URL, body: string, headers: Record<string, string>, timeoutMs: number, started: number): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    agent.dispatch(
      { origin: url.origin, path: url.pathname + url.search, method: 'POST', body, headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
      new AnswerReader(timeoutMs, started, resolve, reject),
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
  const url = parseUrl(target.url);
  if (opts.publicOnly && isPrivateAddress(url.hostname)) {
    return done({ outcome: 'network_error', statusCode: null, error: `EPRIVATEADDRESS: ${url.hostname} is a private or reserved address (OPENWABA_WEBHOOK_URL_POLICY=strict)`, responseExcerpt: null, retryAfter: undefined });
  }
  const headers: Record<string, string> = { ...baseHeaders(target, opts.userAgent) };
  if (target.secret) {
    headers['webhook-id'] = event.id;
    headers['webhook-timestamp'] = String(opts.nowSeconds);
    headers['webhook-signature'] = standardWebhookSignature(target.secret, event.id, opts.nowSeconds, event.body);
    if (target.sign360) headers['x-360dialog-signature'] = sign360(target.secret, event.body);
  }
  let body = event.body;
  if (target.hubSecret) {
    // Meta's signature, over the bytes posted: the body as Meta writes it (ASCII-only JSON, the
    // same value: hub-signature.ts asciiJson). A custom header of the same name gives way to it.
    body = asciiJson(body);
    for (const k of Object.keys(headers)) if (k.toLowerCase() === HUB_SIGNATURE_HEADER) delete headers[k];
    headers[HUB_SIGNATURE_HEADER] = hubSignature(target.hubSecret, body);
  }
  try {
    const { status, excerpt, retryAfter, location } = await post(agent, url, body, headers, opts.timeoutMs, started);
    if (status >= 200 && status < 300) return done({ outcome: 'delivered', statusCode: status, error: null, responseExcerpt: excerpt, retryAfter });
    if (status >= 300 && status < 400) {
      return done({ outcome: 'redirect', statusCode: status, error: `redirect to ${location ?? '?'} not followed`, responseExcerpt: excerpt, retryAfter });
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
