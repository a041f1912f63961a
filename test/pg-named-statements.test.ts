// PostgreSQL: queries built with prepared() are sent as named statements (parsed and planned once
// per connection); a statement left stale by a migration fails once on its connection, then works.
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { sql } from 'kysely';
import { openDb } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { prepared } from '../src/db/prepared.ts';
import { createTestDatabase, dbKinds } from './helpers/db.ts';

const byKey = prepared((db, p) => db.selectFrom('instance_settings').selectAll().where('key', '=', p<string>(0)));

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
  });
}
