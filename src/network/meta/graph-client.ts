// Requests to Meta's Graph API (`{metaGraphUrl}/{metaGraphVersion}/…`) for a channel on Meta's
// network. One undici Agent of its own, so that Meta's latency never holds up webhook deliveries
// (which have theirs), with connect, header and body timeouts from OPENWABA_META_TIMEOUT and one
// deadline over the whole exchange. Redirects are never followed (undici's request() follows
// none): a 3xx is a bad answer. The access token goes in the Authorization header only: it is
// never logged, and no error made here names it.
import { Agent, request, type FormData } from 'undici';
import type { Config } from '../../config.ts';
import { badAnswer, graphUnreachable } from './graph-errors.ts';

/** Graph answers are small JSON objects; more than this is not one (and is not read further). */
const MAX_ANSWER_BYTES = 1024 * 1024;

export interface GraphAnswer {
  status: number;
  /** The parsed JSON body; undefined when the body was empty or not JSON. */
  body: unknown;
}

export type GraphBody = { json: unknown } | { form: FormData };

export class GraphClient {
  private readonly agent: Agent;
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(config: Pick<Config, 'metaGraphUrl' | 'metaGraphVersion' | 'metaTimeoutMs'>) {
    this.timeoutMs = config.metaTimeoutMs;
    this.base = `${config.metaGraphUrl}/${config.metaGraphVersion}/`;
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
  async call(method: 'POST' | 'GET' | 'DELETE', path: string, token: string, body?: GraphBody): Promise<GraphAnswer> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json', 'user-agent': 'openwaba/0.1' };
    let payload: string | FormData | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      // undici sets the multipart content type with its boundary.
      payload = body.form;
    }
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const res = await request(this.base + path, { dispatcher: this.agent, method, headers, body: payload, signal });
      const text = await readCapped(res.body, MAX_ANSWER_BYTES);
      if (text === undefined) throw badAnswer(`an answer over ${MAX_ANSWER_BYTES} bytes (HTTP ${res.statusCode})`);
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
      throw graphUnreachable(err, this.timeoutMs);
    }
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
