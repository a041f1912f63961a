// LISTEN on PostgreSQL for outbox commits made by any instance; reconnects with backoff.
import pg from 'pg';
import { NOTIFY_CHANNEL } from './outbox.ts';

export class PgOutboxListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retryMs = 250;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly onNotify: () => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', () => this.onNotify());
    client.on('error', (err) => {
      this.onError(err);
      this.scheduleReconnect(client);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      if (this.stopped) {
        // stop() came while connecting: it could not end this client.
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
      this.retryMs = 250;
      // Anything committed while we were not listening: look now.
      this.onNotify();
    } catch (err) {
      this.onError(err);
      this.scheduleReconnect(client);
    }
  }

  private scheduleReconnect(client: pg.Client): void {
    client.end().catch(() => {});
    if (this.client === client) this.client = undefined;
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
