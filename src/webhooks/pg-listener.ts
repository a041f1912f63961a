// LISTEN on PostgreSQL for notifications any instance sends at commit (outbox events; writes to
// tables whose rows are kept, db/pg-change-tracker.ts); reconnects with backoff.
import pg from 'pg';
import { NOTIFY_CHANNEL } from './outbox.ts';

export interface PgListenerHooks {
  /** A notification's payload ('' when none). */
  onNotify: (payload: string) => void;
  onError: (err: unknown) => void;
  /** The connection is gone: notifications may be missed until onListening. */
  onDeaf?: () => void;
  /** Listening (again). */
  onListening?: () => void;
}

/** The outbox's listener: any notification on the outbox channel wakes the dispatcher. */
export class PgOutboxListener {
  private readonly listener: PgListener;
  constructor(url: string, onNotify: () => void, onError: (err: unknown) => void) {
    // Anything committed while we were not listening: look at once when listening (again).
    this.listener = new PgListener(url, NOTIFY_CHANNEL, { onNotify: () => onNotify(), onError, onListening: onNotify });
  }
  start(): Promise<void> {
    return this.listener.start();
  }
  stop(): Promise<void> {
    return this.listener.stop();
  }
}

export class PgListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retryMs = 250;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly hooks: PgListenerHooks,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (n) => this.hooks.onNotify(n.payload ?? ''));
    client.on('error', (err) => {
      this.hooks.onError(err);
      this.scheduleReconnect(client);
    });
    client.on('end', () => {
      if (this.client === client) this.scheduleReconnect(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
      if (this.stopped) {
        // stop() came while connecting: it could not end this client.
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
      this.retryMs = 250;
      this.hooks.onListening?.();
    } catch (err) {
      this.hooks.onError(err);
      this.scheduleReconnect(client);
    }
  }

  private scheduleReconnect(client: pg.Client): void {
    client.end().catch(() => {});
    if (this.client === client) this.client = undefined;
    this.hooks.onDeaf?.();
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, this.retryMs);
    this.reconnectTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => {});
  }
}
