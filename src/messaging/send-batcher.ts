// Group commit of sends on SQLite. There, every write goes through one connection, one
// transaction after another, and a commit costs more than the few rows a send writes (each
// dirty page goes to the WAL with its own write). Sends that reach their write in the same turn
// of the event loop (or while a batch is being written) are written together: each send's rows
// and its network's follow-up work still commit in one transaction, and nobody is answered
// before that commit. If a batch fails, its sends are written again one by one, so that only the
// send at fault fails. On PostgreSQL, where the pool runs transactions side by side, every send
// has its own transaction, as before.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { transact } from '../webhooks/outbox.ts';

type Write = (tx: Transaction<Database>) => Promise<void>;

interface Pending {
  write: Write;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Sends written in one transaction at most. */
const MAX_BATCH = 64;

export class SendBatcher {
  private queue: Pending[] = [];
  private draining = false;
  private scheduled = false;

  constructor(private readonly deps: Deps) {}

  /** Runs write in a transaction (shared with other sends on SQLite); resolves once committed. */
  write(write: Write): Promise<void> {
    if (this.deps.db.kind !== 'sqlite') return transact(this.deps, write);
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.draining && !this.scheduled) {
        // Requests read in this turn of the event loop reach this point one after another, each
        // within its own callback: wait for the end of the turn to write them together.
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          void this.drain();
        });
      }
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        if (batch.length === 1) {
          await this.alone(batch[0]!);
          continue;
        }
        try {
          await transact(this.deps, async (tx) => {
            for (const p of batch) await p.write(tx);
          });
        } catch (err) {
          // The database is locked by another process (past busy_timeout): so it would be for each.
          if (String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY')) for (const p of batch) p.reject(err);
          else for (const p of batch) await this.alone(p);
          continue;
        }
        for (const p of batch) p.resolve();
      }
    } finally {
      this.draining = false;
    }
  }

  private async alone(p: Pending): Promise<void> {
    try {
      await transact(this.deps, p.write);
      p.resolve();
    } catch (err) {
      p.reject(err);
    }
  }
}
