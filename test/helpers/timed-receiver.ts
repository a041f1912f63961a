// A webhook receiver for load and crash tests: answers 200 (after an optional delay) and records,
// for every request, its `webhook-id`, its body and the interval [arrival, response sent], so that
// a test can count distinct events and duplicates and check that no event was being delivered
// twice at once.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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

export class TimedReceiver {
  readonly requests: TimedRequest[] = [];
  /** First arrival per webhook-id. */
  readonly firstSeen = new Map<string, number>();
  private waiters: { n: number; resolve: () => void }[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly opts: TimedReceiverOptions = {}) {
    this.server = http.createServer((req, res) => {
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
          this.waiters = this.waiters.filter((w) => (this.firstSeen.size >= w.n ? (w.resolve(), false) : true));
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
    });
    this.server.keepAliveTimeout = 60_000;
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
    if (this.firstSeen.size >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`receiver: ${this.firstSeen.size}/${n} distinct events after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.waiters.push({ n, resolve: done });
    });
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

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
