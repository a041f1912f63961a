// Queries on the hottest paths (a send, a status), compiled once. Building and compiling a Kysely
// query costs more than running it on SQLite; a prepared query is built once per dialect with
// placeholders, and each call only binds new values into the compiled query's parameters.
//
//   const byId = prepared((db, p) => db.selectFrom('messages').selectAll().where('id', '=', p<string>(0)));
//   const rows = (await byId(tx, [messageId])).rows;
//
// A placeholder may stand only where Kysely makes a parameter (values compared or written, not
// identifiers or SQL keywords); anything else is refused when the query is first compiled.
import { createQueryId, type Compilable, type CompiledQuery, type QueryResult } from 'kysely';
import type { Executor } from './index.ts';
import { markHotStatement } from './pg-pool.ts';

const MARK = '\u0000openwaba-placeholder:';

/** Stands for the call's i-th value in a prepared query's builder. */
export type Placeholder = <T>(index: number) => T;

interface Template {
  compiled: CompiledQuery;
  /** For each parameter: the index of the call's value, or -1 to keep the compiled constant. */
  slots: number[];
}

export type PreparedQuery<R> = (exec: Executor, values: readonly unknown[]) => Promise<QueryResult<R>>;

export function prepared<R>(build: (db: Executor, p: Placeholder) => Compilable<R>): PreparedQuery<R> {
  // Keyed by the executor's adapter: one per dialect (a transaction shares its database's).
  const templates = new WeakMap<object, Template>();
  return (exec, values) => {
    const adapter = exec.getExecutor().adapter;
    let t = templates.get(adapter);
    if (!t) {
      t = compileTemplate(build(exec, (i) => `${MARK}${i}` as never));
      templates.set(adapter, t);
    }
    const parameters = t.slots.map((slot, i) => (slot < 0 ? t.compiled.parameters[i] : values[slot]));
    return exec.executeQuery<R>({ query: t.compiled.query, queryId: createQueryId(), sql: t.compiled.sql, parameters });
  };
}

function compileTemplate(query: Compilable<unknown>): Template {
  const compiled = query.compile();
  // On PostgreSQL sent as a named statement: parsed and planned once per connection.
  markHotStatement(compiled.sql);
  if (compiled.sql.includes(MARK)) throw new Error(`prepared query: a placeholder stands outside a parameter in ${compiled.sql}`);
  const slots = compiled.parameters.map((v) => (typeof v === 'string' && v.startsWith(MARK) ? Number(v.slice(MARK.length)) : -1));
  return { compiled, slots };
}
