// One POST to a WhatsApp Flow's data endpoint, with the webhook sender's rules (webhooks/deliver.ts):
// the agent is the webhooks' own kind (createDeliveryAgent: under OPENWABA_WEBHOOK_URL_POLICY=strict
// a name resolving to a private or loopback address is refused at connect time, and an address
// literal before any connection), redirects are never followed (undici's request() follows none:
// a 3xx is an answer like any other), the whole exchange has one deadline, and the body is read
// to MAX_ANSWER_BYTES at most.
import { request, type Agent } from 'undici';
import { createDeliveryAgent } from '../../webhooks/deliver.ts';
import { isPrivateAddress } from '../../webhooks/private-address.ts';

/** An encrypted screen is base64 of a JSON object; far more than any screen's data, far less than memory. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export interface EndpointAnswer {
  status: number;
  /** The body as text (at most MAX_ANSWER_BYTES of it). */
  body: string;
  /** The body was longer than MAX_ANSWER_BYTES (and not read further). */
  tooLarge: boolean;
  contentType: string | undefined;
  /** Where a 3xx pointed (not followed). */
  location: string | undefined;
}

/** Why no answer came: a plain sentence naming the cause, for the developer. */
export class EndpointUnreachable extends Error {
  constructor(
    message: string,
    readonly timeout: boolean,
  ) {
    super(message);
  }
}

export interface EndpointConnection {
  agent: Agent;
  close(): Promise<void>;
}

/** An agent for one exchange (a few requests: a retry after 421), closed after it. */
export function endpointConnection(opts: { timeoutMs: number; connectTimeoutMs: number; publicOnly: boolean }): EndpointConnection {
  const agent = createDeliveryAgent({ connectTimeoutMs: Math.min(opts.connectTimeoutMs, opts.timeoutMs), timeoutMs: opts.timeoutMs, perOrigin: 1, publicOnly: opts.publicOnly });
  return { agent, close: () => agent.destroy().catch(() => undefined) };
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

function unreachable(err: unknown, url: URL, timeoutMs: number): EndpointUnreachable {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(code ?? '')) {
    return new EndpointUnreachable(`no answer from ${url.origin} within ${timeoutMs} ms (WhatsApp waits 10 s)`, true);
  }
  if (code === 'EPRIVATEADDRESS') return new EndpointUnreachable(`${url.hostname} ${(e.message ?? e.cause?.message ?? '').replace(/^\S+\s/, '')}`, false);
  if (code === 'ECONNREFUSED') return new EndpointUnreachable(`${url.host} refused the connection (is the endpoint running?)`, false);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new EndpointUnreachable(`${url.hostname} could not be resolved (DNS: ${code})`, false);
  const detail = `${code ?? e.name ?? 'Error'}: ${e.message ?? String(err)}`.slice(0, 300);
  return new EndpointUnreachable(`the request to ${url.origin} failed (${detail})`, false);
}

/**
 * POSTs `body` (JSON text) to `url`; resolves with whatever HTTP answer came, rejects with
 * EndpointUnreachable when none did (refused, unresolvable, a private address under the strict
 * policy, or the deadline passed).
 */
export async function postToEndpoint(
  conn: EndpointConnection,
  url: URL,
  body: string,
  headers: Record<string, string>,
  opts: { timeoutMs: number; publicOnly: boolean },
): Promise<EndpointAnswer> {
  // An address literal is never looked up: refused here, as the webhook sender refuses it.
  if (opts.publicOnly && isPrivateAddress(url.hostname)) {
    throw new EndpointUnreachable(`${url.hostname} is a private or reserved address (OPENWABA_WEBHOOK_URL_POLICY=strict)`, false);
  }
  const signal = AbortSignal.timeout(opts.timeoutMs);
  try {
    const res = await request(url, {
      dispatcher: conn.agent,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'openwaba-flows/0.1', ...headers },
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      signal,
    });
    const chunks: Buffer[] = [];
    let read = 0;
    let tooLarge = false;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      read += chunk.length;
      if (read > MAX_ANSWER_BYTES) {
        tooLarge = true;
        res.body.destroy();
        break;
      }
      chunks.push(chunk);
    }
    return {
      status: res.statusCode,
      body: Buffer.concat(chunks).toString('utf8'),
      tooLarge,
      contentType: one(res.headers['content-type']),
      location: res.statusCode >= 300 && res.statusCode < 400 ? one(res.headers.location) : undefined,
    };
  } catch (err) {
    throw unreachable(err, url, opts.timeoutMs);
  }
}
