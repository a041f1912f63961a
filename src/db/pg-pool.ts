// The pool Kysely gets on PostgreSQL: pg's, with two things done on every client it hands out.
//
// 1. Named statements. PostgreSQL plans every unnamed statement anew: on a busy send path that
//    planning cost more than running the queries (pg_stat_statements during bench:send on
//    PostgreSQL: the key lookup spent 190 µs planning against 28 µs executing, and planning was
//    ~45 % of the server's statement time). The hot queries built once with prepared()
//    (db/prepared.ts) are therefore sent as named statements: node-postgres parses each once per
//    connection, and PostgreSQL keeps its plan (a generic one once it is not worse than the custom
//    ones). Every other statement stays unnamed, so dynamic SQL (IN lists, VALUES of any length)
//    never piles up server-side statements.
// 2. This process's writes are told to the change tracker (pg-change-tracker.ts) at once: noted
//    before they run and again once committed (other instances hear of them by the triggers'
//    NOTIFY, migration 0015).
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import { writtenTables } from './change-tracker.ts';
import type { PgChangeTracker } from './pg-change-tracker.ts';

/** SQL texts of prepared() queries (a fixed, small set: one per call site and dialect). */
const hot = new Set<string>();

export function markHotStatement(sql: string): void {
  hot.add(sql);
}

const names = new Map<string, string>();
function nameOf(sql: string, generation: number): string {
  let base = names.get(sql);
  if (!base) names.set(sql, (base = `ow_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`));
  return generation === 0 ? base : `${base}_${generation}`;
}

/**
 * A statement prepared before a migration changed a table it reads with `*` fails with "cached
 * plan must not change result type" (SQLSTATE 0A000), as a newer instance migrates during a
 * rolling deploy: that connection then names its statements anew. Outside a transaction the call
 * is simply made again; inside one the transaction is already aborted, so the error goes to its
 * caller (a send batch is then written again send by send, each planned afresh). The new names
 * are the whole pool's: the other connections do not each fail once more.
 */
const STALE_PLAN = '0A000';
const TX_START = /^\s*(begin|start transaction)\b/i;
const TX_COMMIT = /^\s*(commit|end)\s*$/i;
const TX_ROLLBACK = /^\s*(rollback|abort)\s*$/i;

/** Which tables a statement writes, per SQL text (the same few texts come again and again). */
const writesOf = new Map<string, string[] | 'all' | null>();
function writes(sql: string): string[] | 'all' | null {
  let w = writesOf.get(sql);
  if (w === undefined) {
    w = writtenTables(sql);
    if (writesOf.size > 5_000) writesOf.clear();
    writesOf.set(sql, w);
  }
  return w;
}

type Query = (...args: unknown[]) => Promise<unknown>;

export function trackedPool(pool: pg.Pool, tracker: PgChangeTracker): PostgresPool {
  // One generation for the whole pool: the first connection to find a stale statement moves every
  // connection to new names at once (per connection, each would abort one transaction of its own).
  let generation = 0;
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      const query = client.query.bind(client) as unknown as Query;
      let inTransaction = false;
      /** Tables this transaction wrote. */
      let written: Set<string> | 'all' | undefined;

      const run = (text: string, values: unknown[] | undefined): Promise<unknown> => {
        if (!hot.has(text)) return query(text, values);
        const used = generation;
        const named = () => query({ name: nameOf(text, generation), text, values });
        return named().catch((err: unknown) => {
          if ((err as { code?: string }).code !== STALE_PLAN) throw err;
          if (generation === used) generation++;
          if (inTransaction) throw err;
          return named();
        });
      };

      const wrapped = {
        query(sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>) {
          // A cursor (Kysely's stream()) is handed back as pg returns it, synchronously.
          if (typeof sqlOrCursor !== 'string') return (client.query as (c: unknown) => unknown)(sqlOrCursor);
          return statement(sqlOrCursor, parameters as unknown[] | undefined);
        },
        release() {
          client.release();
        },
      };

      async function statement(text: string, values: unknown[] | undefined): Promise<unknown> {
        if (TX_START.test(text)) {
          inTransaction = true;
          written = undefined;
          return query(text, values);
        }
        const commit = TX_COMMIT.test(text);
        if (commit || TX_ROLLBACK.test(text)) {
          const tables = written;
          inTransaction = false;
          written = undefined;
          const result = await query(text, values);
          if (commit && tables) tracker.note(tables === 'all' ? 'all' : [...tables]);
          return result;
        }
        const w = writes(text);
        if (w === null) return run(text, values);
        tracker.note(w);
        if (inTransaction) {
          // Noted again at COMMIT: a read on another connection may keep the old rows meanwhile.
          written = w === 'all' || written === 'all' ? 'all' : new Set([...(written ?? []), ...w]);
          return run(text, values);
        }
        const result = await run(text, values);
        tracker.note(w);
        return result;
      }
      return wrapped as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
