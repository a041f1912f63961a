// PostgreSQL: queries built with prepared() are sent as named statements (parsed and planned once
// per connection); a statement left stale by a migration fails once inside a transaction, then the
// whole pool takes new names (the send batch's retry, send by send, may land on any connection).
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { sql } from 'kysely';
import { openDb } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { prepared } from '../src/db/prepared.ts';
import { createTestDatabase, dbKinds } from './helpers/db.ts';

const byKey = prepared((db, p) => db.selectFrom('instance_settings').selectAll().where('key', '=', p<string>(0)));

/** Runs n transactions at once (so each holds its own pooled connection), each reading byKey. */
async function concurrentTx(db: ReturnType<typeof openDb>, n: number) {
  let arrived = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return Promise.allSettled(
    Array.from({ length: n }, () =>
      db.kysely.transaction().execute(async (tx) => {
        // Hold the connection until all n have one.
        await tx.selectNoFrom((eb) => eb.lit(1).as('x')).execute();
        if (++arrived === n) release();
        await gate;
        return (await byKey(tx, ['k'])).rows;
      }),
    ),
  );
}

if (dbKinds().includes('postgres')) {
  describe('named statements on PostgreSQL', () => {
    it('a prepared() query is a named statement of its connection; a migration that changes its result is survived', async () => {
      const database = await createTestDatabase('postgres');
      const db = openDb(database.url, { poolSize: 1 });
      try {
        await migrateToLatest(db);
        await db.kysely.insertInto('instance_settings').values({ key: 'k', value: 'v' }).execute();
        expect((await byKey(db.kysely, ['k'])).rows).toEqual([{ key: 'k', value: 'v' }]);
        expect((await byKey(db.kysely, ['k'])).rows).toHaveLength(1);
        const named = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(db.kysely);
        expect(named.rows.filter((r) => r.name.startsWith('ow_')).map((r) => r.statement)).toEqual([expect.stringContaining('from "instance_settings"')]);

        // Another connection (a newer instance's migration) adds a column to the table the statement reads with *.
        const other = new pg.Client({ connectionString: database.url });
        await other.connect();
        await other.query('alter table instance_settings add column extra text');
        await other.end();
        // Outside a transaction the stale statement is named anew and the call made again.
        expect((await byKey(db.kysely, ['k'])).rows).toEqual([{ key: 'k', value: 'v', extra: null }]);
        await sql`alter table instance_settings add column more text`.execute(db.kysely);
        // Inside one the transaction is aborted: the error reaches the caller once, and the next transaction works.
        const inTx = await db.kysely
          .transaction()
          .execute((tx) => byKey(tx, ['k']))
          .then(
            () => 'ok',
            (err: { code?: string }) => err.code,
          );
        expect(inTx).toBe('0A000');
        expect((await db.kysely.transaction().execute((tx) => byKey(tx, ['k']))).rows).toEqual([{ key: 'k', value: 'v', extra: null, more: null }]);
      } finally {
        await db.close();
        await database.drop();
      }
    });

    it('after one connection met a stale statement, a transaction on another connection does not fail too (the whole pool takes new names)', async () => {
      const database = await createTestDatabase('postgres');
      const db = openDb(database.url, { poolSize: 2 });
      try {
        await migrateToLatest(db);
        await db.kysely.insertInto('instance_settings').values({ key: 'k', value: 'v' }).execute();
        // Both connections prepare the statement.
        const warm = await concurrentTx(db, 2);
        expect(warm.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);

        const other = new pg.Client({ connectionString: database.url });
        await other.connect();
        await other.query('alter table instance_settings add column extra text');
        await other.end();

        // First failure inside a transaction: expected by design (the transaction is aborted).
        const first = await db.kysely.transaction().execute(async (tx) => (await byKey(tx, ['k'])).rows).then(
          () => 'ok',
          (e: { code?: string }) => e.code,
        );
        expect(first).toBe('0A000');
        // The design's retry ("each planned afresh"): two transactions, one on each connection.
        const retry = await concurrentTx(db, 2);
        const codes = retry.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code?: string }).code));
        expect(codes).toEqual(['ok', 'ok']);
      } finally {
        await db.close();
        await database.drop();
      }
    });
  });
}
