// After a migration makes a named statement's plan stale, the first connection to hit 0A000 moves
// the whole pool to new names: another pooled connection does not fail once more inside its
// transaction (the send batch's retry, send by send, may land on any connection).
import { describe, expect, it } from 'vitest';
import pg from 'pg';
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
  describe('stale named statements on PostgreSQL', () => {
    it('after one connection met 0A000, a retry in a transaction on another connection still fails', async () => {
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
