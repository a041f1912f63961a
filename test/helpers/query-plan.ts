// How the database would run a query: SQLite's EXPLAIN QUERY PLAN details, or PostgreSQL's EXPLAIN
// text, as lines joined into one string (test/list-index.test.ts reads PostgreSQL's JSON form instead).
import { CompiledQuery, type Compilable } from 'kysely';
import type { TestApp } from './app.ts';

export async function planOf(t: TestApp, query: Compilable): Promise<string> {
  const c = query.compile();
  if (t.deps.db.kind === 'sqlite') {
    const res = await t.deps.db.kysely.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${c.sql}`, [...c.parameters]));
    return res.rows.map((r) => r.detail).join('\n');
  }
  const res = await t.deps.db.kysely.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${c.sql}`, [...c.parameters]));
  return res.rows.map((r) => r['QUERY PLAN']).join('\n');
}
