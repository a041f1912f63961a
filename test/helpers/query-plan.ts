// How the database would run a query: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL's EXPLAIN
// text, as lines joined into one string (test/list-index.test.ts reads PostgreSQL's JSON form instead).
import { CompiledQuery, type Compilable } from 'kysely';
import type { TestApp } from './app.ts';

/**
 * preferIndexes (PostgreSQL): plan with sequential scans off, so that a test's small tables show
 * which index the query can use (SQLite plans an index on any size of table).
 */
export async function planOf(t: TestApp, query: Compilable, opts: { preferIndexes?: boolean } = {}): Promise<string> {
  const c = query.compile();
  if (t.deps.db.kind === 'sqlite') {
    const res = await t.deps.db.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${c.sql}`, [...c.parameters]));
    return res.rows.map((r) => r.detail).join('\n');
  }
  return t.deps.db.kysely.transaction().execute(async (tx) => {
    if (opts.preferIndexes) await tx.executeQuery(CompiledQuery.raw('SET LOCAL enable_seqscan = off'));
    const res = await tx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${c.sql}`, [...c.parameters]));
    return res.rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}
