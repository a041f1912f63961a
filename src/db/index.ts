// The database: Kysely over better-sqlite3 (default, a file under ./data) or pg.
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDialectConfig, type Transaction } from 'kysely';
import { sqliteFile } from '../config.ts';
import { makeDirectory } from '../make-directory.ts';
import type { Database } from './schema.ts';
import { SqliteChangeTracker, writtenTables, type ChangeTracker } from './change-tracker.ts';
import { startCheckpointer } from './sqlite-checkpointer.ts';
import { trackedPool } from './pg-pool.ts';
import { PgChangeTracker } from './pg-change-tracker.ts';

export type DialectKind = 'sqlite' | 'postgres';

/** PostgreSQL: how long a connection may take to open, and a query to answer. */
const PG_CONNECT_TIMEOUT_MS = 10_000;
const PG_QUERY_TIMEOUT_MS = 60_000;

export interface Db {
  kysely: Kysely<Database>;
  kind: DialectKind;
  /** SQLite: tells whether tables changed since a mark, so that rows read on every request can be kept. */
  changes?: ChangeTracker;
  /** SQLite: synchronous statements for the hottest paths (see SqliteAccess). */
  sqlite?: SqliteAccess;
  close(): Promise<void>;
}

/**
 * Runs synchronous better-sqlite3 statements while holding Kysely's connection, so they never
 * land inside another caller's open transaction (never call it from inside a transaction: the
 * connection is already held there). Statements come from the same cache as Kysely's (prepared
 * once, every write seen by the change tracker). For loops that run a few small statements
 * thousands of times a second (the webhook dispatcher's claims and outcomes), where building,
 * compiling and awaiting each query through Kysely costs more than running it.
 */
export interface SqliteAccess {
  /** The database file (resolved), or ':memory:'. */
  file: string;
  run<T>(fn: (prepare: (sql: string) => SqliteDatabase.Statement, transaction: <R>(body: () => R) => R) => T): Promise<T>;
}

export type Executor = Kysely<Database> | Transaction<Database>;

export interface OpenDbOptions {
  /** PostgreSQL: connections in the pool. */
  poolSize?: number;
  /** SQLite file: checkpoint the WAL in a worker thread, not on the event loop (the server does). */
  backgroundCheckpoints?: boolean;
}

export function openDb(databaseUrl: string, opts: OpenDbOptions = {}): Db {
  const file = sqliteFile(databaseUrl);
  if (file !== undefined) {
    if (file !== ':memory:') makeDirectory(path.dirname(file));
    const sqlite = new SqliteDatabase(file);
    // WAL lets the CLI and the server use one file at once; busy_timeout waits for the writer.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    const changes = new SqliteChangeTracker(sqlite);
    const cached = withStatementCache(sqlite, changes);
    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: cached as unknown as SqliteDialectConfig['database'] }) });
    // BEGIN IMMEDIATE: a transaction that reads and then writes takes the write lock first (a
    // deferred one could fail to upgrade with SQLITE_BUSY when another connection wrote between).
    const transaction = <R>(body: () => R): R => sqlite.transaction(body).immediate();
    const access: SqliteAccess = {
      file: file === ':memory:' ? file : path.resolve(file),
      run: (fn) => kysely.connection().execute(async () => fn(cached.prepare, transaction)),
    };
    const checkpointer = opts.backgroundCheckpoints && file !== ':memory:' ? startCheckpointer(sqlite, file) : undefined;
    return {
      kysely,
      kind: 'sqlite',
      changes,
      sqlite: access,
      close: async () => {
        await checkpointer?.stop();
        await kysely.destroy();
      },
    };
  }
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.poolSize ?? 10,
    // A database that accepts the connection and then never answers (a stopped server, a dead
    // link behind a proxy) must fail requests, start-up and shutdown with an error, not hang them.
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    query_timeout: PG_QUERY_TIMEOUT_MS,
    statement_timeout: PG_QUERY_TIMEOUT_MS,
    // COUNT(*) is int8: read it as a number (our counts stay far below 2^53).
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => {});
  // Rows read on every request are kept while no instance has written their tables since.
  const changes = new PgChangeTracker(databaseUrl);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: trackedPool(pool, changes) }) });
  return {
    kysely,
    kind: 'postgres',
    changes,
    close: async () => {
      await changes.stop();
      await kysely.destroy();
    },
  };
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running a small
 * query. Prepared statements are kept by SQL text (most recently used first, bounded) and reused.
 * A statement still iterating (a stream) is never handed out twice: a busy one gets a fresh twin.
 * Every statement is about to run when it is asked for: the change tracker learns of each write here.
 */
function withStatementCache(sqlite: SqliteDatabase.Database, tracker: SqliteChangeTracker, max = 500): { close(): void; prepare(sql: string): SqliteDatabase.Statement } {
  const cache = new Map<string, { stmt: SqliteDatabase.Statement; writes: string[] | 'all' | null }>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      // Kysely opens its transactions with a deferred BEGIN. One that reads, then writes, fails at
      // once with SQLITE_BUSY when another connection to the file (the CLI, another process)
      // wrote in between: busy_timeout cannot help an upgrade. BEGIN IMMEDIATE takes the write
      // lock first, waiting for it as busy_timeout allows (as SqliteAccess's transactions do).
      if (sql === 'begin') sql = 'begin immediate';
      const hit = cache.get(sql);
      if (hit) {
        tracker.noteStatement(hit.writes);
        if (hit.stmt.busy) return sqlite.prepare(sql);
        // Move to the most recent end.
        cache.delete(sql);
        cache.set(sql, hit);
        return hit.stmt;
      }
      const writes = writtenTables(sql);
      tracker.noteStatement(writes);
      const stmt = sqlite.prepare(sql);
      cache.set(sql, { stmt, writes });
      if (cache.size > max) cache.delete(cache.keys().next().value!);
      return stmt;
    },
  };
}

/** SQLite reports a unique violation as SQLITE_CONSTRAINT_UNIQUE, PostgreSQL as 23505. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === '23505';
}
