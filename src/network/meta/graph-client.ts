// Requests to Meta's Graph API (`{metaGraphUrl}/{metaGraphVersion}/…`) for a channel on Meta's
// network. One undici Agent of its own, so that Meta's latency never holds up webhook deliveries
// (which have theirs), with connect, header and body timeouts from OPENWABA_META_TIMEOUT and one
// deadline over the whole exchange. Redirects are never followed (undici's request() follows
// none): a 3xx is a bad answer. The access token goes in the Authorization header only: it is
// never logged, and no error made here names it.
//
// The same agent downloads media from Meta's CDN (`{metaMediaUrl}/whatsapp_business/attachments/
// ?mid=…`, also with the bearer token): the file is handed on as a stream, never held whole.
import { pipeline, Transform, type Readable } from 'node:stream';
import { Agent, request, type FormData } from 'undici';
import type { Config } from '../../config.ts';
import { ApiError } from '../../errors.ts';
import { badAnswer, graphUnreachable, mediaDownloadError } from './graph-errors.ts';
import { graphOperation, outcomeOf, type GraphMetrics, type GraphOutcome } from './graph-metrics.ts';

/**
 * Meta's answer with the token taken out wherever it appears: Meta repeats a malformed token in
 * its error message ("Malformed access token EAAG…"), and Meta's errors are passed on to clients
 * (another tenant's, when one system-user token serves several) and may reach the logs. Also its
 * JSON-escaped form, should a token hold a character JSON escapes.
 */
const SCRUB_MAX_CHARS = 256 * 1024;

function withoutToken(text: string, token: string): string {
  if (token.length < 8) return text;
  let out = text.split(token).join('[access token]');
  const escaped = JSON.stringify(token).slice(1, -1);
  if (escaped !== token) out = out.split(escaped).join('[access token]');
  return out;
}

/** Graph answers are small JSON objects; more than this is not one (and is not read further). */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** An error page of the media CDN is read this far (to find a Graph API error in it), no further. */
const MAX_ERROR_BYTES = 64 * 1024;

export interface GraphAnswer {
  status: number;
  /** The parsed JSON body; undefined when the body was empty or not JSON. */
  body: unknown;
}

/**
 * A JSON body, a multipart form, or bytes streamed through as they arrive (a Resumable Upload
 * chunk: never held whole), with the headers that describe them (content-length, file_offset, …).
 */
export type GraphBody = { json: unknown } | { form: FormData } | { stream: Readable; headers: Record<string, string> };

/** A file coming from Meta's media CDN: what to tell the client about it, and its bytes. */
export interface MediaDownload {
  contentType: string | undefined;
  contentLength: number | undefined;
  contentDisposition: string | undefined;
  /** The bytes as they arrive; fails (and stops the transfer) past the size cap. */
  body: Readable;
}

export class GraphClient {
  private readonly agent: Agent;
  private readonly base: string;
  private readonly mediaBase: string;
  private readonly timeoutMs: number;

  constructor(
    config: Pick<Config, 'metaGraphUrl' | 'metaGraphVersion' | 'metaMediaUrl' | 'metaTimeoutMs'>,
    private readonly metrics?: GraphMetrics,
  ) {
    this.timeoutMs = config.metaTimeoutMs;
    this.base = `${config.metaGraphUrl}/${config.metaGraphVersion}/`;
    this.mediaBase = config.metaMediaUrl;
    this.agent = new Agent({
      connect: { timeout: config.metaTimeoutMs },
      headersTimeout: config.metaTimeoutMs,
      bodyTimeout: config.metaTimeoutMs,
      keepAliveTimeout: 30_000,
    });
  }

  /**
   * One request to `{graph}/{version}/{path}` as the holder of `token`. Resolves with any HTTP
   * answer (the caller reads Meta's errors); rejects with a 502/504 ApiError when Meta could not
   * be reached, did not answer in time, or answered something that is no Graph API answer.
   */
  /** opts.deadlineMs: the whole exchange's deadline, the timeout unless given (an upload's grows with its size). */
  /** opts.authScheme: `OAuth` where Meta's reference writes it so (the Resumable Upload API's sessions); Bearer otherwise. */
  async call(
    method: 'POST' | 'GET' | 'DELETE',
    path: string,
    token: string,
    body?: GraphBody,
    opts: { maxBytes?: number; deadlineMs?: number; authScheme?: 'Bearer' | 'OAuth' } = {},
  ): Promise<GraphAnswer> {
    const maxBytes = opts.maxBytes ?? MAX_ANSWER_BYTES;
    const headers: Record<string, string> = { authorization: `${opts.authScheme ?? 'Bearer'} ${token}`, accept: 'application/json', 'user-agent': 'openwaba/0.1' };
    let payload: string | FormData | Readable | undefined;
    if (body && 'stream' in body) {
      // The caller's headers never replace ours (the token, the answer's type).
      for (const [k, v] of Object.entries(body.headers)) if (!(k.toLowerCase() in headers)) headers[k.toLowerCase()] = v;
      payload = body.stream;
    } else if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      // undici sets the multipart content type with its boundary.
      payload = body.form;
    }
    const deadlineMs = opts.deadlineMs ?? this.timeoutMs;
    const signal = AbortSignal.timeout(deadlineMs);
    const started = performance.now();
    let outcome: GraphOutcome = 'unreachable';
    try {
      const res = await request(this.base + path, { dispatcher: this.agent, method, headers, body: payload, signal });
      outcome = outcomeOf(res.statusCode);
      const raw = await readCapped(res.body, maxBytes);
      if (raw === undefined) throw badAnswer(`an answer over ${maxBytes} bytes (HTTP ${res.statusCode})`);
      // Meta repeats a token in errors, which are small; a large page of data (a template list of
      // many MB) is not searched: a needle with a long run of one character searches slowly.
      const text = res.statusCode >= 300 || raw.length <= SCRUB_MAX_CHARS ? withoutToken(raw, token) : raw;
      if (res.statusCode >= 300 && res.statusCode < 400) {
        throw badAnswer(`a redirect (HTTP ${res.statusCode}), which is not followed`);
      }
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: res.statusCode, body: parsed };
    } catch (err) {
      const failure = graphUnreachable(err, deadlineMs);
      // A redirect keeps its 3xx; other answers we could not use are bad answers.
      outcome = failure.status === 504 ? 'timeout' : err instanceof ApiError ? (outcome === '3xx' ? '3xx' : 'bad_answer') : 'unreachable';
      throw failure;
    } finally {
      this.metrics?.observe(graphOperation(method, path), outcome, (performance.now() - started) / 1000);
    }
  }

  /**
   * A file from Meta's media CDN, `{metaMediaUrl}{pathAndQuery}` (pathAndQuery starts with `/`),
   * as the holder of `token`. Resolves once the headers are in, with the body as a stream that
   * fails past `maxBytes` (a file announced larger is refused before a byte is passed on); a
   * deadline of the timeout runs until the headers, then the agent's body timeout between chunks
   * (a large file may take longer than one timeout in all). Rejects with the API error to answer
   * when the CDN refuses (mediaDownloadError), redirects (not followed), or cannot be reached.
   */
  async download(pathAndQuery: string, token: string, maxBytes: number): Promise<MediaDownload> {
    // Only ever the configured CDN: the token goes nowhere else, whatever path a caller passes.
    if (!pathAndQuery.startsWith('/') || pathAndQuery.startsWith('//') || pathAndQuery.includes('\\') || new URL(this.mediaBase + pathAndQuery).origin !== new URL(this.mediaBase).origin) {
      throw badAnswer('a media URL outside Meta\'s CDN');
    }
    const headers = { authorization: `Bearer ${token}`, accept: '*/*', 'user-agent': 'openwaba/0.1' };
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('The operation timed out', 'TimeoutError')), this.timeoutMs);
    let res;
    // Timed to the answer's headers: the file's transfer is the client's pace.
    const started = performance.now();
    try {
      res = await request(this.mediaBase + pathAndQuery, { dispatcher: this.agent, method: 'GET', headers, signal: deadline.signal });
    } catch (err) {
      const failure = graphUnreachable(err, this.timeoutMs);
      this.metrics?.observe('get_cdn_download', failure.status === 504 ? 'timeout' : 'unreachable', (performance.now() - started) / 1000);
      throw failure;
    } finally {
      clearTimeout(timer);
    }
    this.metrics?.observe('get_cdn_download', outcomeOf(res.statusCode), (performance.now() - started) / 1000);
    const one = (name: string) => {
      const v = res.headers[name];
      return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
    };
    if (res.statusCode < 200 || res.statusCode >= 300) {
      let text: string | undefined;
      try {
        const raw = await readCapped(res.body, MAX_ERROR_BYTES);
        text = raw === undefined ? undefined : withoutToken(raw, token);
      } catch (err) {
        throw graphUnreachable(err, this.timeoutMs);
      }
      if (res.statusCode >= 300 && res.statusCode < 400) throw badAnswer(`a redirect (HTTP ${res.statusCode}), which is not followed`);
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      throw mediaDownloadError({ status: res.statusCode, body: parsed });
    }
    const announced = one('content-length');
    const contentLength = announced !== undefined && /^\d{1,15}$/.test(announced) ? Number(announced) : undefined;
    if (contentLength !== undefined && contentLength > maxBytes) {
      res.body.destroy();
      throw badAnswer(`a file of ${contentLength} bytes, more than the ${maxBytes} bytes passed on`);
    }
    let seen = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > maxBytes) done(new Error(`media download over ${maxBytes} bytes: cut off`));
        else done(null, chunk);
      },
    });
    // Either side failing ends both: a client gone stops the download from Meta, and Meta's
    // connection failing (or the cap) ends the answer to the client.
    const body = pipeline(res.body, cap, () => {});
    return { contentType: one('content-type'), contentLength, contentDisposition: one('content-disposition'), body };
  }

  /** Closes the agent's connections (the app's onClose). */
  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** The body as text, or undefined (and the rest left unread) when it is longer than `max` bytes. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, max: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
