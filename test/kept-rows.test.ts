// KeptRows: copies kept per database, used only while their tables are unwritten and young.
import { afterEach, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { openDb, type Db } from '../src/db/index.ts';
import { KeptRows } from '../src/db/kept-rows.ts';

let db: Db | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await db?.close();
  db = undefined;
});

async function sqlite(): Promise<Db> {
  db = openDb('sqlite::memory:');
  await sql`create table a (x integer)`.execute(db.kysely);
  await sql`create table b (x integer)`.execute(db.kysely);
  return db;
}

it('keeps a value until a table it was read from is written', async () => {
  const d = await sqlite();
  const kept = new KeptRows<string>(['a'], { ttlMs: 60_000, max: 10 });
  kept.set(d, 'k', 'v', kept.mark(d));
  expect(kept.get(d, 'k')).toBe('v');
  await sql`insert into b values (1)`.execute(d.kysely); // another table: still kept
  expect(kept.get(d, 'k')).toBe('v');
  await sql`insert into a values (1)`.execute(d.kysely);
  expect(kept.get(d, 'k')).toBeUndefined();
});

it('does not keep a value read across a write (the mark is older than the write)', async () => {
  const d = await sqlite();
  const kept = new KeptRows<string>(['a'], { ttlMs: 60_000, max: 10 });
  const mark = kept.mark(d);
  await sql`update a set x = 2`.execute(d.kysely);
  kept.set(d, 'k', 'read before the write', mark);
  expect(kept.get(d, 'k')).toBeUndefined();
});

it('forgets a value after its time, and starts over when full', async () => {
  const d = await sqlite();
  vi.useFakeTimers({ toFake: ['performance'] });
  const kept = new KeptRows<number>(['a'], { ttlMs: 1_000, max: 2 });
  kept.set(d, 'one', 1, kept.mark(d));
  vi.advanceTimersByTime(999);
  expect(kept.get(d, 'one')).toBe(1);
  vi.advanceTimersByTime(2);
  expect(kept.get(d, 'one')).toBeUndefined();
  kept.set(d, 'one', 1, kept.mark(d));
  kept.set(d, 'two', 2, kept.mark(d));
  kept.set(d, 'three', 3, kept.mark(d));
  expect([kept.get(d, 'one'), kept.get(d, 'two'), kept.get(d, 'three')]).toEqual([undefined, undefined, 3]);
  kept.delete(d, 'three');
  expect(kept.get(d, 'three')).toBeUndefined();
});

it('keeps nothing where the database does not track changes', () => {
  const untracked = { kind: 'postgres' } as unknown as Db;
  const kept = new KeptRows<string>(['a'], { ttlMs: 60_000, max: 10 });
  kept.set(untracked, 'k', 'v', kept.mark(untracked));
  expect(kept.get(untracked, 'k')).toBeUndefined();
});
