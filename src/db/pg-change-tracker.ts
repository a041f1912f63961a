// The change tracker on PostgreSQL (see change-tracker.ts for SQLite's), so that rows read on
// every request (a key's principal, a template) can be kept there too: bench:send on PostgreSQL
// spent two of a send's four statements reading them again.
// - This process's writes pass through its pool (pg-pool.ts): each is noted before it runs and
//   again once committed (a read on another connection may have kept the old row meanwhile).
// - Everyone else's writes (other instances, the CLI, psql): triggers on the tables whose rows are
//   kept send NOTIFY openwaba_changes '<table>' with the commit (migration 0015); every instance
//   LISTENs and forgets what it kept of that table when it arrives, milliseconds after the commit.
// - While the listening connection is down (or not yet up), nothing is kept: every read goes to
//   the database. A connection that stopped carrying data without telling (no error, no end) is
//   found by its heartbeat within 1.5 s (pg-listener.ts) and opened again.
import type { ChangeTracker } from './change-tracker.ts';
import { PgListener } from '../webhooks/pg-listener.ts';

export const CHANGES_CHANNEL = 'openwaba_changes';
/** The listening connection proves it still carries data this often (a half-open one is found within three). */
const HEARTBEAT_MS = 500;

/** Tables whose rows some process keeps (KeptRows registers its tables here): each needs migration 0015's trigger. */
export const keptTables = new Set<string>();
export function registerKeptTables(tables: readonly string[]): void {
  for (const t of tables) keptTables.add(t);
}

export class PgChangeTracker implements ChangeTracker {
  private seq = 0;
  private readonly lastWrite = new Map<string, number>();
  private lastAll = 0;
  private listening = false;
  private readonly listener: PgListener;

  constructor(url: string, onError: (err: unknown) => void = () => {}) {
    this.listener = new PgListener(url, CHANGES_CHANNEL, {
      onNotify: (payload) => this.note(payload === '*' || payload === '' ? 'all' : payload.split(',')),
      onError,
      onDeaf: () => {
        this.listening = false;
        this.note('all');
      },
      onListening: () => {
        // Whatever was kept before may have changed unseen.
        this.note('all');
        this.listening = true;
      },
      heartbeatMs: HEARTBEAT_MS,
    });
    void this.listener.start();
  }

  /** A write (about to run, or just committed) to these tables. */
  note(written: string[] | 'all'): void {
    const s = ++this.seq;
    if (written === 'all') this.lastAll = s;
    else for (const t of written) this.lastWrite.set(t, s);
  }

  mark(): number {
    return this.seq;
  }

  changedSince(tables: readonly string[], mark: number): boolean {
    // Deaf, or a connection that stopped carrying data: whatever was kept may have changed unheard.
    if (!this.listening || !this.listener.carriesData() || this.lastAll > mark) return true;
    for (const t of tables) if ((this.lastWrite.get(t) ?? 0) > mark) return true;
    return false;
  }

  stop(): Promise<void> {
    this.listening = false;
    return this.listener.stop();
  }
}
