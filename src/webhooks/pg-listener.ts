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
  /**
   * Check the connection by heartbeat every this many ms: a NOTIFY of its own, which must come back
   * within three heartbeats, or the connection counts as gone (onDeaf) and is opened again. A
   * connection that silently stopped carrying data (a NAT or proxy dropping an idle flow) reports
   * no error: without this, notifications would be missed for good.
   */
  heartbeatMs?: number;
}

/** The payload of a listener's own heartbeat (never passed to onNotify). */
const HEARTBEAT = 'openwaba-heartbeat';

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
  private heartbeat: NodeJS.Timeout | undefined;
  /** When the current connection last showed it carries data (a notification, a heartbeat back). */
  private heardAt = 0;

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
    const client = new pg.Client({ connectionString: this.url, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    client.on('notification', (n) => {
      if (this.client === client) this.heardAt = performance.now();
      if (n.payload !== HEARTBEAT) this.hooks.onNotify(n.payload ?? '');
    });
    client.on('error', (err) => {
      this.hooks.onError(err);
      // A client already replaced by a newer one: only end it.
      if (this.client !== undefined && this.client !== client) {
        client.end().catch(() => {});
        return;
      }
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
      this.heardAt = performance.now();
      this.startHeartbeat(client);
      this.hooks.onListening?.();
    } catch (err) {
      this.hooks.onError(err);
      this.scheduleReconnect(client);
    }
  }

  /** Whether the current connection showed it carries data within the last three heartbeats (always true without heartbeats). */
  carriesData(): boolean {
    const every = this.hooks.heartbeatMs;
    return !every || (this.client !== undefined && performance.now() - this.heardAt <= 3 * every);
  }

  private startHeartbeat(client: pg.Client): void {
    const every = this.hooks.heartbeatMs;
    if (!every) return;
    clearInterval(this.heartbeat);
    let sending = false;
    this.heartbeat = setInterval(() => {
      if (this.client !== client) return;
      if (performance.now() - this.heardAt > 3 * every) {
        this.hooks.onError(new Error(`no heartbeat back on LISTEN ${this.channel} for ${3 * every} ms: connecting again`));
        this.scheduleReconnect(client);
        return;
      }
      // One at a time: on a connection that stopped carrying data they would queue up.
      if (sending) return;
      sending = true;
      client
        .query(`select pg_notify('${this.channel}', '${HEARTBEAT}')`)
        .catch(() => {})
        .finally(() => (sending = false));
    }, every);
    this.heartbeat.unref();
  }

  private scheduleReconnect(client: pg.Client): void {
    client.end().catch(() => {});
    if (this.client === client) {
      this.client = undefined;
      clearInterval(this.heartbeat);
    }
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
    clearInterval(this.heartbeat);
    await this.client?.end().catch(() => {});
  }
}
