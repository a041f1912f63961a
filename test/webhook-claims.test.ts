// Claims that take events in the order they fell due, without holding back other targets:
// - SQLite claims walk the due events from a cursor past those this process holds
//   (src/webhooks/sqlite-claims.ts); an event that comes to lie before the cursor unheld (handed
//   back, or settled without its outcome written) is still found: by a claim that does not fill
//   up from the cursor, at once after a hand-back, and by any claim once the cursor is a second old.
// - A target with a long backlog behind a slow receiver does not delay another target's event
//   (both databases).
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock, type Clock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { openDb, type Db } from '../src/db/index.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { Deps } from '../src/deps.ts';
import { createPartner } from '../src/services/partners.ts';
import { claimDueEvents, handBackEvents, settleClaims, type ClaimRequest } from '../src/webhooks/claims.ts';
import { Dispatcher } from '../src/webhooks/dispatcher.ts';
import { enqueueEvent, transact } from '../src/webhooks/outbox.ts';
import { createTestDatabase, dbKinds } from './helpers/db.ts';
import { TimedReceiver } from './helpers/timed-receiver.ts';
import { sleep } from './helpers/wait.ts';

let cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  const list = cleanups.reverse();
  cleanups = [];
  for (const c of list) await c().catch(() => {});
});

async function openTestDeps(kind: 'sqlite' | 'postgres', clock: Clock): Promise<Deps> {
  const tdb = await createTestDatabase(kind);
  cleanups.push(() => tdb.drop());
  const db: Db = openDb(tdb.url);
  cleanups.push(() => db.close());
  await migrateToLatest(db);
  return { config: loadConfig({ DATABASE_URL: tdb.url, OPENWABA_DEMO: 'false', LOG_LEVEL: 'silent' }), db, clock };
}

describe('SQLite claims from a cursor', () => {
  const claim = (deps: Deps, limit: number): Promise<string[]> => {
    const r: ClaimRequest = { owner: 'test', now: deps.clock.now(), leaseMs: 60_000, limit, scan: 1_000, perTarget: 1_000, caps: new Map(), exclude: [] };
    return claimDueEvents(deps.db, r).then((rows) => rows.map((row) => row.id).sort());
  };

  /** n events, each due 1 ms after the one before; their ids in the order they fell due. */
  async function seed(n: number): Promise<{ deps: Deps; ids: string[] }> {
    const clock = new ManualClock(new Date('2026-06-01T00:00:00.000Z'));
    const deps = await openTestDeps('sqlite', clock);
    const partner = await createPartner(deps, { brand_name: 'Claims' });
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(await enqueueEvent(deps, deps.db.kysely, { partnerId: partner.id, targetType: 'partner', targetId: partner.id, eventType: 'test', body: `{"i":${i}}` }));
      clock.advance(1);
    }
    return { deps, ids };
  }

  it('takes the oldest due events, then the next ones, never one it holds', async () => {
    const { deps, ids } = await seed(20);
    expect(await claim(deps, 5)).toEqual(ids.slice(0, 5).sort());
    expect(await claim(deps, 5)).toEqual(ids.slice(5, 10).sort());
    // Settled with their outcome written (here: delivered), they are no longer due.
    await deps.db.kysely.updateTable('webhook_events').set({ status: 'delivered' }).where('id', 'in', ids.slice(0, 10)).execute();
    settleClaims(deps.db, ids.slice(0, 10));
    expect(await claim(deps, 100)).toEqual(ids.slice(10).sort());
    expect(await claim(deps, 100)).toEqual([]);
  });

  it('finds handed-back events before the cursor at once', async () => {
    const { deps, ids } = await seed(20);
    await claim(deps, 10);
    await handBackEvents(deps.db, 'test', ids.slice(0, 3), deps.clock.now());
    expect(await claim(deps, 3)).toEqual(ids.slice(0, 3).sort());
  });

  it('finds an event settled without its outcome by a claim that does not fill up from the cursor', async () => {
    const { deps, ids } = await seed(20);
    await claim(deps, 10);
    // Its outcome could not be written: still due where it was, before the cursor.
    settleClaims(deps.db, [ids[0]!]);
    expect(await claim(deps, 100)).toEqual([ids[0]!, ...ids.slice(10)].sort());
  });

  it('a claim that fills up from the cursor finds such an event once the cursor is a second old', async () => {
    const { deps, ids } = await seed(20);
    await claim(deps, 10);
    settleClaims(deps.db, [ids[0]!]);
    expect(await claim(deps, 2)).toEqual(ids.slice(10, 12).sort());
    await sleep(1_100);
    expect(await claim(deps, 1)).toEqual([ids[0]!]);
  });
});

describe.each(dbKinds())('a backlog behind a slow receiver does not hold back another target [%s]', (kind) => {
  it('the other target gets its event within a second while the backlog still waits', async () => {
    const deps = await openTestDeps(kind, systemClock);
    const slow = await new TimedReceiver({ delayMs: 100 }).start();
    cleanups.push(() => slow.close());
    const fast = await new TimedReceiver().start();
    cleanups.push(() => fast.close());
    const a = await createPartner(deps, { brand_name: 'Backlogged' });
    const b = await createPartner(deps, { brand_name: 'Other' });
    await deps.db.kysely.updateTable('partners').set({ webhook_url: `${slow.url}/hook` }).where('id', '=', a.id).execute();
    await deps.db.kysely.updateTable('partners').set({ webhook_url: `${fast.url}/hook` }).where('id', '=', b.id).execute();
    const event = (p: string) => ({ partnerId: p, targetType: 'partner' as const, targetId: p, eventType: 'test', body: '{}' });
    // 2,000 events for the slow receiver (32 at a time, 100 ms each: about 6 s), then one for the other.
    await transact(deps, async (tx) => {
      for (let i = 0; i < 2_000; i++) await enqueueEvent(deps, tx, event(a.id));
    });
    const dispatcher = new Dispatcher(deps, { registry: new Registry() });
    cleanups.push(() => dispatcher.stop(100));
    await dispatcher.start();
    await sleep(300);
    const other = await enqueueEvent(deps, deps.db.kysely, event(b.id));
    const enqueuedAt = performance.timeOrigin + performance.now();
    await fast.waitForDistinct(1, 5_000);
    expect(fast.firstSeen.has(other)).toBe(true);
    expect(fast.firstSeen.get(other)! - enqueuedAt).toBeLessThan(1_000);
    expect(slow.distinct).toBeLessThan(1_000);
  });
});
