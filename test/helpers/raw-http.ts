// HTTP by hand over one TCP connection (node:net): for bytes no HTTP client would send
// (malformed requests) and for watching what happens to a keep-alive connection.
import net from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/** Splits one HTTP/1.1 response with a Content-Length off `text` (latin1); undefined until all of it has arrived. */
export function parseResponse(text: string): { response: RawResponse; rest: string } | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine!);
  if (!status) throw new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  // `text` is latin1: one character per byte.
  const bodyStart = end + 4;
  if (text.length - bodyStart < length) return undefined;
  const body = Buffer.from(text.slice(bodyStart, bodyStart + length), 'latin1').toString('utf8');
  return { response: { status: Number(status[1]), headers, body }, rest: text.slice(bodyStart + length) };
}

/** A client connection: what it received, and whether (and how) it ended. */
export class RawConnection {
  received = '';
  error: string | undefined;
  closed = false;
  readonly done: Promise<void>;
  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (this.received += d));
    socket.on('error', (e: NodeJS.ErrnoException) => (this.error = e.code ?? e.message));
    this.done = new Promise((resolve) => socket.once('close', () => ((this.closed = true), resolve())));
  }

  static async open(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    const socket = net.connect(port, host);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawConnection(socket);
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next complete response (bounded); it is removed from `received`. */
  async response(timeoutMs = 5_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.received);
      if (parsed) {
        this.received = parsed.rest;
        return parsed.response;
      }
      if (this.closed) throw new Error(`the connection closed (${this.error ?? 'no error'}) before a full response: ${JSON.stringify(this.received)}`);
      if (Date.now() > deadline) throw new Error(`no full response in ${timeoutMs} ms: ${JSON.stringify(this.received)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Resolves true once the server has closed the connection, false after timeoutMs. */
  closedWithin(timeoutMs: number): Promise<boolean> {
    return Promise.race([this.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Sends `data` on a new connection and returns the one response the server answers with. */
export async function sendRaw(port: number, data: string | Buffer): Promise<RawResponse & { closed: boolean }> {
  const conn = await RawConnection.open(port);
  try {
    conn.send(data);
    const response = await conn.response();
    return { ...response, closed: await conn.closedWithin(3_000) };
  } finally {
    conn.destroy();
  }
}
