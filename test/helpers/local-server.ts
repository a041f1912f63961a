// The common part of the tests' local HTTP servers (webhook receivers): listening on a random
// port of 127.0.0.1, closing with every open socket destroyed, and waiters that settle as
// requests arrive (no polling).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

interface Waiter {
  /** Settles the waiter if its condition holds now; true when it did. */
  settle(): boolean;
}

export abstract class LocalServer {
  protected readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private waiters: Waiter[] = [];

  constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Answers one request; call arrived() once it is recorded. */
  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): void;

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Settles the waiters whose condition now holds (call after recording an arrival). */
  protected arrived(): void {
    this.waiters = this.waiters.filter((w) => !w.settle());
  }

  /**
   * Resolves with the first truthy value of `check`, tried now and after every arrival; rejects
   * with `failure()` as message after timeoutMs (the waiter is then dropped), or at once with
   * what `check` throws.
   */
  protected waitForArrival<T>(check: () => T, timeoutMs: number, failure: () => string): Promise<NonNullable<T>> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        settle: () => {
          let value: T;
          try {
            value = check();
          } catch (err) {
            clearTimeout(timer);
            reject(err);
            return true;
          }
          if (!value) return false;
          clearTimeout(timer);
          resolve(value as NonNullable<T>);
          return true;
        },
      };
      if (waiter.settle()) return;
      timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(failure()));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Resolves once count() reaches n, checked after every arrival; rejects after timeoutMs. */
  protected waitForCount(count: () => number, n: number, timeoutMs: number, failure: () => string): Promise<void> {
    return this.waitForArrival(() => count() >= n, timeoutMs, failure).then(() => undefined);
  }
}
