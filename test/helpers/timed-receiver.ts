// A webhook receiver for load and crash tests: answers 200 (after an optional delay) and records,
// for every request, its `webhook-id`, its body and the interval [arrival, response sent], so that
// a test can count distinct events and duplicates and check that no event was being delivered
// twice at once.
import type http from 'node:http';
import { LocalServer } from './local-server.ts';

export interface TimedRequest {
  /** The `webhook-id` header (the outbox event id). */
  id: string;
  body: string;
  /** Wall clock (ms since the epoch, sub-ms precision) when the request's headers arrived. */
  arrivedAt: number;
  /** performance.now() when the headers arrived, and when the response was handed to the socket (NaN until then). */
  start: number;
  end: number;
}

export interface TimedReceiverOptions {
  /** Delay before answering, in ms: a number, or a function drawing one per request. */
  delayMs?: number | (() => number);
  /** Keep bodies (crash test checks them); off for large runs to save memory. */
  keepBodies?: boolean;
}

export class TimedReceiver extends LocalServer {
  readonly requests: TimedRequest[] = [];
  /** First arrival per webhook-id. */
  readonly firstSeen = new Map<string, number>();

  constructor(private readonly opts: TimedReceiverOptions = {}) {
    super();
    this.server.keepAliveTimeout = 60_000;
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const start = performance.now();
    const rec: TimedRequest = {
      id: String(req.headers['webhook-id'] ?? ''),
      body: '',
      arrivedAt: performance.timeOrigin + start,
      start,
      end: Number.NaN,
    };
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      if (this.opts.keepBodies) chunks.push(c);
    });
    req.on('end', () => {
      if (this.opts.keepBodies) rec.body = Buffer.concat(chunks).toString('utf8');
      this.requests.push(rec);
      if (!this.firstSeen.has(rec.id)) {
        this.firstSeen.set(rec.id, rec.arrivedAt);
        this.arrived();
      }
      const send = () => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
        res.end('ok', () => {
          rec.end = performance.now();
        });
      };
      const d = typeof this.opts.delayMs === 'function' ? this.opts.delayMs() : (this.opts.delayMs ?? 0);
      if (d > 0) setTimeout(send, d);
      else send();
    });
  }

  /** Distinct webhook-ids seen. */
  get distinct(): number {
    return this.firstSeen.size;
  }

  /** Requests beyond the first per webhook-id. */
  get duplicates(): number {
    return this.requests.length - this.firstSeen.size;
  }

  /** Resolves once n distinct webhook-ids have arrived; rejects after timeoutMs. */
  waitForDistinct(n: number, timeoutMs: number): Promise<void> {
    return this.waitForCount(() => this.firstSeen.size, n, timeoutMs, () => `receiver: ${this.firstSeen.size}/${n} distinct events after ${timeoutMs} ms`);
  }

  /**
   * Pairs of requests for one webhook-id whose intervals [arrival, response] overlap: the same
   * event being delivered twice at once. An unanswered request counts as lasting forever.
   */
  overlaps(): { id: string; a: TimedRequest; b: TimedRequest }[] {
    const byId = new Map<string, TimedRequest[]>();
    for (const r of this.requests) {
      const list = byId.get(r.id);
      if (list) list.push(r);
      else byId.set(r.id, [r]);
    }
    const out: { id: string; a: TimedRequest; b: TimedRequest }[] = [];
    for (const [id, list] of byId) {
      if (list.length < 2) continue;
      list.sort((x, y) => x.start - y.start);
      // The request that ends last so far: any later arrival before its end overlaps it.
      let open = list[0]!;
      const endOf = (r: TimedRequest) => (Number.isNaN(r.end) ? Infinity : r.end);
      for (const r of list.slice(1)) {
        if (r.start < endOf(open)) out.push({ id, a: open, b: r });
        if (endOf(r) > endOf(open)) open = r;
      }
    }
    return out;
  }
}
