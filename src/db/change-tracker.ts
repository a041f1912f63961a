// What lets a process keep copies of rows it reads on every request (a channel key's principal,
// a template) without serving stale ones: on SQLite every statement this process runs passes
// through one place (the statement cache), so every write to a table is seen before it runs.
// Writes by other processes on the same file (the CLI) show in PRAGMA data_version, read at most
// every OTHER_CONNECTIONS_CHECK_MS: they are seen within that time.
// (PostgreSQL's tracker, pg-change-tracker.ts, hears of other instances' writes by NOTIFY.)
import type SqliteDatabase from 'better-sqlite3';

/** How often writes by other connections are looked for: their changes are seen within this time. */
export const OTHER_CONNECTIONS_CHECK_MS = 50;

export interface ChangeTracker {
  /** A mark to take before reading rows to keep: changedSince(tables, mark) tells if they may have changed. */
  mark(): number;
  /** Whether a write to any of the tables (by this process or another) may have come after the mark. */
  changedSince(tables: readonly string[], mark: number): boolean;
}

const WRITE = /\b(?:insert\s+(?:or\s+\w+\s+)?into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from)\s+["`[]?(\w+)/gi;
const DDL = /\b(?:create|alter|drop)\s+(?:unique\s+)?(?:table|index|view|trigger)\b/i;

/**
 * A key's last-use time (services/last-used.ts: once a minute per key in use): no kept row shows
 * it, so it changes nothing kept. Counted as a write, it made every kept principal be read again.
 */
const LAST_USED_ONLY = /^\s*update\s+["`]?\w+["`]?\s+set\s+["`]?last_used_at["`]?\s*=\s*(?:\?|\$\d+)\s+where\s+["`]?id["`]?\s*=\s*(?:\?|\$\d+)\s*$/i;

/** The tables a statement writes: names, 'all' for schema changes, or null for a read. */
export function writtenTables(sql: string): string[] | 'all' | null {
  if (DDL.test(sql)) return 'all';
  if (LAST_USED_ONLY.test(sql)) return null;
  const names = [...sql.matchAll(WRITE)].map((m) => m[1]!.toLowerCase());
  return names.length ? [...new Set(names)] : null;
}

export class SqliteChangeTracker implements ChangeTracker {
  private seq = 0;
  private readonly lastWrite = new Map<string, number>();
  private lastAll = 0;
  private readonly dataVersion: SqliteDatabase.Statement;
  private seenDataVersion: unknown;
  private checkedAt = -Infinity;

  constructor(sqlite: SqliteDatabase.Database) {
    this.dataVersion = sqlite.prepare('pragma data_version').pluck();
    this.seenDataVersion = this.dataVersion.get();
  }

  /** Called for every statement about to run. */
  noteStatement(written: string[] | 'all' | null): void {
    if (written === null) return;
    const s = ++this.seq;
    if (written === 'all') this.lastAll = s;
    else for (const t of written) this.lastWrite.set(t, s);
  }

  mark(): number {
    this.checkOtherConnections();
    return this.seq;
  }

  changedSince(tables: readonly string[], mark: number): boolean {
    this.checkOtherConnections();
    if (this.lastAll > mark) return true;
    for (const t of tables) if ((this.lastWrite.get(t) ?? 0) > mark) return true;
    return false;
  }

  private checkOtherConnections(): void {
    // Reading data_version takes the WAL read lock (syscalls): at most once per interval.
    const now = performance.now();
    if (now - this.checkedAt < OTHER_CONNECTIONS_CHECK_MS) return;
    this.checkedAt = now;
    const v = this.dataVersion.get();
    if (v !== this.seenDataVersion) {
      this.seenDataVersion = v;
      this.lastAll = ++this.seq;
    }
  }
}
