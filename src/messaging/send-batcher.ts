// Group commit of sends. Sends that reach their write in the same turn of the event loop (or
// while earlier batches are being written) are written together: each send's rows and its
// network's follow-up work still commit in one transaction, and nobody is answered before that
// commit. If a batch fails, its sends are written again one by one, so that only the send at
// fault fails.
// - SQLite: every write goes through one connection, one transaction after another, and a commit
//   costs more than the few rows a send writes (each dirty page goes to the WAL with its own
//   write): one batch at a time.
// - PostgreSQL: a commit waits for its WAL flush and every statement is a round trip; a
//   transaction per send spent its time in BEGIN, COMMIT and the flush (bench:send on PostgreSQL).
//   The pool runs transactions side by side, so several batches are written at once, leaving the
//   rest of the pool to reads, status rounds and the webhook dispatcher.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { transact } from '../webhooks/outbox.ts';
import { primeSandboxUsers } from '../network/sandbox.ts';
import { deferMessageInserts, flushMessageInserts } from './messages.ts';

type Write = (tx: Transaction<Database>) => Promise<void>;

/** What a send's write will read and write, so that a batch can do it for all its sends at once. */
export interface WriteHint {
  /** The sandbox recipient it reads (channel id, wa_id). */
  sandboxUser?: readonly [string, string];
}

interface Pending {
  write: Write;
  hint?: WriteHint;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Sends written in one transaction at most. */
const MAX_BATCH = 64;
/** Batches written at once on PostgreSQL (the pool holds 10 connections by default). */
const PG_BATCHES_IN_FLIGHT = 4;

export class SendBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;

  constructor(private readonly deps: Deps) {
    this.maxInFlight = deps.db.kind === 'sqlite' ? 1 : PG_BATCHES_IN_FLIGHT;
  }

  /** Runs write in a transaction (shared with other sends); resolves once committed. */
  write(write: Write, hint?: WriteHint): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, hint, resolve, reject });
      if (this.inFlight < this.maxInFlight && !this.scheduled) {
        // Requests read in this turn of the event loop reach this point one after another, each
        // within its own callback: wait for the end of the turn to write them together.
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.start();
        });
      }
    });
  }

  /** Starts batches of what is queued while fewer than maxInFlight are being written. */
  private start(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      void this.writeBatch(batch).finally(() => {
        this.inFlight--;
        this.start();
      });
    }
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return this.alone(batch[0]!);
    try {
      await transact(this.deps, async (tx) => {
        if (this.deps.db.kind === 'postgres') {
          // A statement is a round trip: the batch's recipients read at once, its rows written at once.
          await primeSandboxUsers(tx, batch.flatMap((p) => (p.hint?.sandboxUser ? [p.hint.sandboxUser] : [])));
          deferMessageInserts(tx);
        }
        for (const p of batch) await p.write(tx);
        await flushMessageInserts(tx);
      });
    } catch (err) {
      // The database itself failed: so it would for each send, one after another (a batch of 64
      // waiting out 64 connect timeouts). Otherwise one send was at fault: each is written alone.
      if (databaseDown(err)) for (const p of batch) p.reject(err);
      else for (const p of batch) await this.alone(p);
      return;
    }
    for (const p of batch) p.resolve();
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

/**
 * A failure of the database rather than of a send's rows: SQLite locked by another process past
 * busy_timeout; on PostgreSQL a connection failure (SQLSTATE classes 08, 53 resources, 57 operator
 * intervention, 58 system) or node-postgres's own errors for an unreachable or unanswering server.
 */
export function databaseDown(err: unknown): boolean {
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (code.startsWith('SQLITE_BUSY')) return true;
  if (/^(08|53|57|58)[0-9A-Z]{3}$/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  const message = String((err as { message?: unknown } | null)?.message ?? '');
  return /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection is closed|Client has encountered a connection error/i.test(message);
}
