// A local webhook receiver for tests: records every request and answers as scripted.
import type http from 'node:http';
import { LocalServer } from './local-server.ts';

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

export class Receiver extends LocalServer {
  readonly requests: ReceivedRequest[] = [];
  private script: Behaviour[] = [];
  private fallback: Behaviour = { status: 200, body: 'ok' };

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      this.arrived();
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

  /** The bodies received so far, parsed as JSON, in arrival order; only those sent to `path` (the request URL) if given. */
  bodies<T = any>(path?: string): T[] {
    return this.requests.filter((r) => path === undefined || r.url === path).map((r) => JSON.parse(r.body) as T);
  }

  /** Resolves once n requests in total have arrived (or rejects after timeoutMs). */
  waitFor(n: number, timeoutMs = 10_000): Promise<void> {
    return this.waitForCount(() => this.requests.length, n, timeoutMs, () => `receiver: ${this.requests.length}/${n} requests after ${timeoutMs} ms`);
  }

  /**
   * Resolves with the first truthy value `pick` returns for the bodies received so far (as
   * bodies() gives them), tried now and after every arrival; rejects, naming `what`, after timeoutMs.
   */
  waitForBody<T>(what: string, pick: (bodies: any[]) => T, timeoutMs = 10_000): Promise<NonNullable<T>> {
    return this.waitForArrival(
      () => pick(this.bodies()),
      timeoutMs,
      () => `receiver: timed out after ${timeoutMs} ms waiting for ${what} (${this.requests.length} requests received)`,
    );
  }
}
