// Requests Node's HTTP parser refuses before Fastify sees them (a malformed request line, an
// invalid character in a header, headers over the size limit, headers that never finish
// arriving), answered in the wire format of the API the request was for, as any later error
// would be, instead of Fastify's generic `{"error":"Bad Request","message":"Client Error"}`.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { ApiError } from '../errors.ts';
import { messagingFlavourOfPath, renderMessagingError } from '../messaging/errors.ts';
import { partnerErrorBody } from '../partner-api/errors.ts';

/** The API a request path belongs to: it decides the error body's format. */
export type ApiOfPath = 'partner' | 'onpremise' | 'cloud' | 'page' | 'other';

/** Server-rendered pages: the Hub, the sandbox phone, the onboarding flow (and the demo's landing page), the API docs. */
const PAGE_PREFIXES = ['/hub', '/sandbox/phone', '/dashboard', '/demo', '/assets', '/docs'];
/** Our own JSON endpoints outside every API (checked first: each also looks like Cloud's /{media_id}). */
const OWN_ENDPOINTS = ['/health', '/ready', '/metrics', '/openapi.json'];

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

export function apiOfPath(path: string): ApiOfPath {
  if (under(path, '/api/v2') || under(path, '/admin')) return 'partner';
  if (path === '/' || path === '/favicon.ico' || PAGE_PREFIXES.some((p) => under(path, p))) return 'page';
  if (OWN_ENDPOINTS.includes(path)) return 'other';
  return messagingFlavourOfPath(path) ?? 'other';
}

/** A request line (`METHOD target HTTP/x`) at the start of the chunk or of one of its lines. */
const REQUEST_LINE = /(?:^|\n)[A-Z][A-Z-]* ([^ \r\n]+) HTTP\/\d/g;

/**
 * The path of the request that failed, read from the bytes Node was parsing (`rawPacket`: the
 * chunk read from the socket, which may hold earlier pipelined requests; `bytesParsed`: where in
 * it the parser stopped). Undefined when the chunk holds no request line (a later chunk of an
 * oversized header, a timeout) or the target is not a path.
 */
export function requestPathOf(rawPacket: unknown, bytesParsed?: number): string | undefined {
  if (!Buffer.isBuffer(rawPacket)) return undefined;
  // The failing request is the last one to start at or before the point the parser stopped.
  let target: string | undefined;
  for (const m of rawPacket.toString('latin1').matchAll(REQUEST_LINE)) {
    if (bytesParsed !== undefined && m.index > bytesParsed) break;
    target = m[1];
  }
  if (!target) return undefined;
  // Absolute form (`GET http://host/path HTTP/1.1`), which proxies send.
  const absolute = /^https?:\/\/[^/?#]*/i.exec(target);
  if (absolute) target = target.slice(absolute[0].length) || '/';
  if (!target.startsWith('/')) return undefined;
  return target.replace(/[?#].*$/s, '');
}

interface ClientError extends Error {
  code?: string;
  /** llhttp's words for what is wrong, e.g. "Invalid header value char". */
  reason?: string;
  rawPacket?: unknown;
  bytesParsed?: number;
}

/** The status and message Node's parser error calls for (the statuses Node itself answers with). */
function statusOf(err: ClientError): { status: number; message: string } {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request did not arrive in time' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'The request line and headers are too large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: 'The chunk extensions are too large' };
    default: {
      const reason = typeof err.reason === 'string' && err.reason ? err.reason.slice(0, 200) : (err.code ?? 'unreadable');
      return { status: 400, message: `Malformed HTTP request: ${reason}` };
    }
  }
}

/** The error body of `api` for `e` (pages get a plain JSON error here; see clientErrorResponse). */
export function errorBodyFor(api: ApiOfPath, e: ApiError): unknown {
  if (api === 'partner') return partnerErrorBody(e);
  if (api === 'onpremise' || api === 'cloud') return renderMessagingError(e, api);
  return { error: e.message };
}

/** The whole HTTP response for a client error on `path` (undefined: unknown). */
export function clientErrorResponse(status: number, message: string, path: string | undefined): string {
  const e = new ApiError(status, message);
  const api = path === undefined ? 'other' : apiOfPath(path);
  let type = 'application/json; charset=utf-8';
  let body: string;
  if (api === 'page') {
    type = 'text/plain; charset=utf-8';
    body = `${status} ${STATUS_CODES[status]}: ${message}\n`;
  } else body = JSON.stringify(errorBodyFor(api, e));
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
    `Content-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * After the answer, how long the socket stays half-open before it is destroyed. Closing a socket
 * whose client is still sending (the rest of an oversized header) makes the kernel send a reset,
 * which can reach the client before it has read the answer; Go's server waits 500 ms the same way.
 */
export const LINGER_MS = 500;

/** The response attached to a socket (Node's internal `_httpMessage`, as its own closeIdleConnections reads it). */
interface InFlightResponse {
  writableFinished?: boolean;
  headersSent?: boolean;
  req?: { complete?: boolean };
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

/** Sockets already answered: the parser reports its error again for every chunk that follows. */
const answered = new WeakSet<Socket>();

/** Fastify's `clientErrorHandler` (bound to the instance). Never throws. */
export function answerClientError(this: { log: FastifyBaseLogger }, err: ClientError, socket: Socket): void {
  try {
    // A reset connection is gone; nothing to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    if (answered.has(socket)) return;
    answered.add(socket);
    const { status, message } = statusOf(err);
    this.log.debug({ code: err.code, status }, 'client error');
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const answer = () => {
      if (socket.destroyed || !socket.writable) return;
      socket.end(clientErrorResponse(status, message, requestPathOf(err.rawPacket, err.bytesParsed)));
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    };
    const inProgress = (socket as { _httpMessage?: InFlightResponse | null })._httpMessage;
    if (inProgress && !inProgress.writableFinished) {
      // An earlier pipelined request, read whole, whose (async) handler is still answering: our
      // answer goes after its response, not before it, where the client would take it for that
      // request's answer (a stored message answered 400, then sent again).
      if (inProgress.req?.complete) {
        inProgress.once('finish', answer);
        inProgress.once('close', answer);
        return;
      }
      // The error is in the request being answered itself (its body cut off: a client that hung
      // up mid-upload). As Node's own default: answer unless its response has begun, and end the
      // socket either way, so that its handler sees the request end and cleans up.
      if (inProgress.headersSent) {
        socket.destroy();
        return;
      }
    }
    answer();
  } catch {
    socket.destroy();
  }
}
