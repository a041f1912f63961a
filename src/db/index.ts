// The database: Kysely over better-sqlite3 (default, a file under ./data) or pg.
import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, type Transaction } from 'kysely';
import { sqliteFile } from '../config.ts';
import type { Database } from './schema.ts';

export type DialectKind = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  kind: DialectKind;
  close(): Promise<void>;
}

export type Executor = Kysely<Database> | Transaction<Database>;

export function openDb(databaseUrl: string, opts: { poolSize?: number } = {}): Db {
  const file = sqliteFile(databaseUrl);
  if (file !== undefined) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    const sqlite = new SqliteDatabase(file);
    // WAL lets the CLI and the server use one file at once; busy_timeout waits for the writer.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    return {
      kysely,
      kind: 'sqlite',
      close: async () => {
        await kysely.destroy();
      },
    };
  }
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.poolSize ?? 10,
    // COUNT(*) is int8: read it as a number (our counts stay far below 2^53).
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => {});
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    kysely,
    kind: 'postgres',
    close: async () => {
      await kysely.destroy();
    },
  };
}

/** SQLite reports a unique violation as SQLITE_CONSTRAINT_UNIQUE, PostgreSQL as 23505. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === '23505';
}
