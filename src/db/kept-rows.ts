// Copies of rows a process reads on every request or status move (a key's principal, a template,
// a channel's facts), kept per database: a copy is used only while no write to the tables it was
// read from has come since (by this process, or by another on the same SQLite file: see the
// change tracker; on PostgreSQL, by any instance or client: pg-change-tracker.ts), and for a few
// seconds at most.
import type { Db } from './index.ts';
import { registerKeptTables } from './pg-change-tracker.ts';

interface Kept<V> {
  value: V;
  mark: number;
  until: number;
}

export class KeptRows<V> {
  private readonly byDb = new WeakMap<Db, Map<string, Kept<V>>>();

  constructor(
    /** The tables the kept values are read from. */
    private readonly tables: readonly string[],
    private readonly opts: { ttlMs: number; max: number },
  ) {
    // On PostgreSQL writes to these tables are announced to the other instances.
    registerKeptTables(tables);
  }

  /** The kept value of key, if it may still be used. */
  get(db: Db, key: string): V | undefined {
    const changes = db.changes;
    if (!changes) return undefined;
    const hit = this.byDb.get(db)?.get(key);
    if (!hit || hit.until <= performance.now() || changes.changedSince(this.tables, hit.mark)) return undefined;
    return hit.value;
  }

  /** To take before reading the rows to keep: set() keeps them only if nothing wrote the tables since. */
  mark(db: Db): number {
    return db.changes?.mark() ?? 0;
  }

  /** Keeps value for key (taken from rows read after `mark`); a no-op where the database does not track changes. */
  set(db: Db, key: string, value: V, mark: number): void {
    if (!db.changes) return;
    let kept = this.byDb.get(db);
    if (!kept) this.byDb.set(db, (kept = new Map()));
    if (kept.size >= this.opts.max) kept.clear();
    kept.set(key, { value, mark, until: performance.now() + this.opts.ttlMs });
  }

  delete(db: Db, key: string): void {
    this.byDb.get(db)?.delete(key);
  }
}
