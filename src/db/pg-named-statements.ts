// PostgreSQL plans every unnamed statement anew: on a busy send path that planning cost more than
// running the queries (pg_stat_statements during bench:send on PostgreSQL: the key lookup spent
// 190 µs planning against 28 µs executing, and planning was ~45 % of the server's statement time).
// The hot queries built once with prepared() (db/prepared.ts) are therefore sent as named
// statements: node-postgres parses each once per connection, and PostgreSQL keeps its plan (a
// generic one once it is not worse than the custom ones). Every other statement stays unnamed, so
// dynamic SQL (IN lists, VALUES of any length) never piles up server-side statements.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

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
 * caller (a send batch is then written again send by send, each planned afresh).
 */
const STALE_PLAN = '0A000';
const TX_START = /^\s*(begin|start transaction)\b/i;
const TX_END = /^\s*(commit|rollback|end|abort)\s*$/i;

/** The pool Kysely gets: pg's, with hot statements named on every client it hands out. */
export function namedStatementPool(pool: pg.Pool): PostgresPool {
  const generations = new WeakMap<pg.PoolClient, number>();
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let inTransaction = false;
      const named = (text: string, values: unknown[]) => client.query({ name: nameOf(text, generations.get(client) ?? 0), text, values });
      const wrapped = {
        query(sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>) {
          if (typeof sqlOrCursor !== 'string' || !hot.has(sqlOrCursor)) {
            if (typeof sqlOrCursor === 'string') {
              if (TX_START.test(sqlOrCursor)) inTransaction = true;
              else if (TX_END.test(sqlOrCursor)) inTransaction = false;
            }
            return (client.query as (...a: unknown[]) => unknown)(sqlOrCursor, parameters);
          }
          const text = sqlOrCursor;
          const values = parameters as unknown[];
          return named(text, values).catch((err: unknown) => {
            if ((err as { code?: string }).code !== STALE_PLAN) throw err;
            generations.set(client, (generations.get(client) ?? 0) + 1);
            if (inTransaction) throw err;
            return named(text, values);
          });
        },
        release() {
          client.release();
        },
      };
      return wrapped as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
