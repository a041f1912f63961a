// A stand-in for Meta's Graph API: records every request (method, path, headers, body) and
// answers as scripted. Start it, point the app at it (OPENWABA_META_GRAPH_URL = graph.url), and
// read graph.requests. Without a script it answers like Meta:
// - POST /{version}/{phone_number_id}/messages → 200 {messaging_product, contacts:[{input, wa_id}],
//   messages:[{id: "wamid.…"}]} (a mark-as-read → 200 {success: true});
// - POST /{version}/{phone_number_id}/media → 200 {id} (a fresh numeric media id);
// - GET /{version}/oauth/access_token?…&code=… → 200 {access_token, token_type} once per code (then
//   Meta's "This authorization code has been used"); POST /{version}/{phone_number_id}/register
//   {messaging_product, pin} → 200 {success: true} (Embedded Signup);
// - anything else → 400 with a Graph API error (code 100, "Unsupported post request").
// It also stands in for Meta's media CDN (OPENWABA_META_MEDIA_URL = graph.url): a test answers
// its downloads with a handler (`body` may be bytes, `write` streams an answer by hand).
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { LocalServer } from './local-server.ts';

export interface GraphRequest {
  method: string;
  /** The request path with its query, e.g. /v23.0/106540352242922/messages. */
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  /** The body parsed as JSON; undefined when it is not JSON (a multipart upload). */
  json: any;
  at: number;
}

/** What to do with one request. */
export type GraphAnswer =
  | { status: number; json?: unknown; body?: string | Buffer; headers?: Record<string, string>; delayMs?: number }
  | { write: (res: http.ServerResponse) => void }
  | { reset: true }
  | { hang: true };

export type GraphHandler = (req: GraphRequest) => GraphAnswer | undefined;

/** A Graph API error body as Meta writes it. */
export function graphErrorBody(code: number, message: string, opts: { details?: string; subcode?: number; type?: string } = {}) {
  return {
    error: {
      message: `(#${code}) ${message}`,
      type: opts.type ?? 'OAuthException',
      code,
      ...(opts.subcode !== undefined ? { error_subcode: opts.subcode } : {}),
      ...(opts.details !== undefined ? { error_data: { messaging_product: 'whatsapp', details: opts.details } } : {}),
      fbtrace_id: 'A' + randomBytes(12).toString('base64url'),
    },
  };
}

export const fakeWamid = () => `wamid.HBgL${randomBytes(24).toString('base64url')}`;

export class FakeGraph extends LocalServer {
  readonly requests: GraphRequest[] = [];
  private script: GraphAnswer[] = [];
  private handlers: GraphHandler[] = [];
  /** Numbers asked about (GET {pnid}?fields=display_phone_number…): the WABA's numbers by default. */
  private readonly numbersSeen = new Set<string>();
  private mediaSeq = 0;
  /** Embedded Signup: access tokens issued for codes (GET /{version}/oauth/access_token), by code; a code works once. */
  readonly tokensIssued = new Map<string, string>();

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let json: unknown;
      if (String(req.headers['content-type'] ?? '').startsWith('application/json')) {
        try {
          json = JSON.parse(raw.toString('utf8'));
        } catch {
          json = undefined;
        }
      }
      const recorded: GraphRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, json, at: Date.now() };
      this.requests.push(recorded);
      this.arrived();
      const answer = this.script.shift() ?? this.handlers.reduce<GraphAnswer | undefined>((a, h) => a ?? h(recorded), undefined) ?? this.meta(recorded);
      if ('reset' in answer) {
        req.socket.destroy();
        return;
      }
      if ('hang' in answer) return;
      if ('write' in answer) {
        answer.write(res);
        return;
      }
      const send = () => {
        const body = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.body ?? '');
        res.writeHead(answer.status, { 'content-type': answer.json !== undefined ? 'application/json' : 'text/plain', 'content-length': String(Buffer.byteLength(body)), ...(answer.headers ?? {}) });
        res.end(body);
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  }

  /** Meta's answers to a send, a mark-as-read and an upload. */
  private meta(req: GraphRequest): GraphAnswer {
    if (req.method === 'POST' && /^\/v\d+\.\d+\/\d+\/messages$/.test(req.path)) {
      const b = (req.json ?? {}) as { status?: string; to?: string };
      if (b.status === 'read') return { status: 200, json: { success: true } };
      return { status: 200, json: { messaging_product: 'whatsapp', contacts: [{ input: b.to, wa_id: b.to }], messages: [{ id: fakeWamid() }] } };
    }
    // The number's facts, asked when a number is attached (network/meta/number-check.ts).
    const number = /^\/v\d+\.\d+\/(\d+)\?fields=display_phone_number/.exec(req.path);
    if (req.method === 'POST' && /^\/v\d+\.\d+\/\d+\/subscribed_apps$/.test(req.path)) return { status: 200, json: { success: true } };
    // A WABA's numbers: every number asked about so far (so an attach finds its own).
    if (req.method === 'GET' && /^\/v\d+\.\d+\/\d+\/phone_numbers\?/.test(req.path)) {
      return { status: 200, json: { data: [...this.numbersSeen].map((id) => ({ id })), paging: { cursors: { before: 'A', after: 'B' } } } };
    }
    if (req.method === 'GET' && number) {
      this.numbersSeen.add(number[1]!);
      return { status: 200, json: { id: number[1], display_phone_number: '+1 555-010-' + number[1]!.slice(-4), verified_name: 'Fake Graph Business', quality_rating: 'GREEN', messaging_limit_tier: 'TIER_10K' } };
    }
    // Embedded Signup's code exchange: a code gets a fresh token once; again, Meta's "has been used".
    if (req.method === 'GET' && /^\/v\d+\.\d+\/oauth\/access_token\?/.test(req.path)) {
      const code = new URL(req.path, 'http://graph.invalid').searchParams.get('code') ?? '';
      if (!code) return { status: 400, json: graphErrorBody(100, 'Missing code parameter.') };
      if (this.tokensIssued.has(code)) return { status: 400, json: graphErrorBody(100, 'This authorization code has been used.', { subcode: 36009 }) };
      const token = 'EAAGes' + randomBytes(48).toString('base64url');
      this.tokensIssued.set(code, token);
      return { status: 200, json: { access_token: token, token_type: 'bearer' } };
    }
    // A number's registration for the Cloud API (Embedded Signup's last step).
    if (req.method === 'POST' && /^\/v\d+\.\d+\/\d+\/register$/.test(req.path)) {
      const b = (req.json ?? {}) as { messaging_product?: string; pin?: string };
      if (b.messaging_product !== 'whatsapp' || typeof b.pin !== 'string' || !/^\d{6}$/.test(b.pin)) return { status: 400, json: graphErrorBody(100, 'Invalid parameter') };
      return { status: 200, json: { success: true } };
    }
    if (req.method === 'POST' && /^\/v\d+\.\d+\/\d+\/media$/.test(req.path)) {
      return { status: 200, json: { id: String(1_000_000_000_000_000 + ++this.mediaSeq) } };
    }
    return { status: 400, json: graphErrorBody(100, 'Unsupported post request', { subcode: 33 }) };
  }

  /** The next requests get these answers, in order, whatever they ask; then the handlers and Meta's defaults again. */
  respond(...answers: GraphAnswer[]): this {
    this.script.push(...answers);
    return this;
  }

  /** A handler asked before the defaults (first one to answer wins); returns a function that removes it. */
  on(handler: GraphHandler): () => void {
    this.handlers.push(handler);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  /** Forgets the requests, the script and the handlers. */
  reset(): void {
    this.requests.length = 0;
    this.script = [];
    this.handlers = [];
  }

  /** The multipart form of an upload, parsed. */
  static async form(req: GraphRequest): Promise<FormData> {
    return new Response(req.raw, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
  }

  /** Resolves once n requests in total have arrived (or rejects after timeoutMs). */
  waitFor(n: number, timeoutMs = 10_000): Promise<void> {
    return this.waitForCount(() => this.requests.length, n, timeoutMs, () => `fake graph: ${this.requests.length}/${n} requests after ${timeoutMs} ms`);
  }
}
