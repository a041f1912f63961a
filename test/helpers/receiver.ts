// A local webhook receiver for tests: records every request and answers as scripted.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What to do with one request: answer a status (after a delay), redirect, or reset the socket. */
export type Behaviour =
  | { status: number; delayMs?: number; headers?: Record<string, string>; body?: string }
  | { reset: true }
  | { hang: true };

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private script: Behaviour[] = [];
  private fallback: Behaviour = { status: 200, body: 'ok' };
  private waiters: { n: number; resolve: () => void }[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        this.waiters = this.waiters.filter((w) => (this.requests.length >= w.n ? (w.resolve(), false) : true));
        const b = this.script.shift() ?? this.fallback;
        if ('reset' in b) {
          req.socket.destroy();
          return;
        }
        if ('hang' in b) return;
        const send = () => {
          res.writeHead(b.status, { 'content-type': 'text/plain', ...(b.headers ?? {}) });
          res.end(b.body ?? '');
        };
        if (b.delayMs) setTimeout(send, b.delayMs);
        else send();
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next requests get these answers, in order; after them, the fallback. */
  respond(...behaviours: Behaviour[]): this {
    this.script.push(...behaviours);
    return this;
  }

  always(b: Behaviour): this {
    this.fallback = b;
    return this;
  }

  /** Resolves once n requests in total have arrived (or rejects after timeoutMs). */
  waitFor(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`receiver: ${this.requests.length}/${n} requests after ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
