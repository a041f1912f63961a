// The send path's shortcuts must not change what a client sees: a kept key principal or template
// never outlives a change to it (revocation, cancellation, a template no longer approved), also
// when another process changes the same SQLite file; sends written together still fail alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/index.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { OTHER_CONNECTIONS_CHECK_MS } from '../../src/db/change-tracker.ts';
import { SendBatcher } from '../../src/messaging/send-batcher.ts';
import { systemClock } from '../../src/clock.ts';
import { loadConfig } from '../../src/config.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createTestDatabase, describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { sleep } from '../helpers/wait.ts';

const hello = (to: string) => ({
  messaging_product: 'whatsapp',
  to,
  type: 'template',
  template: { name: 'hello_world', language: { code: 'en_US' } },
});

describeEachDb('send path: kept principals and templates follow every change', (kind) => {
  let t: TestApp;
  let c: BootstrapResult;
  const send = (key = c.channel_api_key, to = '4915112345678') => t.post('/messages', { headers: { 'D360-API-KEY': key }, json: hello(to) });

  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(() => t.close());

  it('a revoked key is refused with the very next request', async () => {
    c = await t.tenant();
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    const revoked = await t.delete(`/api/v2/partners/${c.partner_id}/channels/${c.channel_id}/api_keys`, { headers: partnerKey(c.partner_api_key) });
    expect(revoked.status).toBe(200);
    const res = await send();
    expect(res.status).toBe(401);
  });

  it('a cancelled channel is blocked with the very next request', async () => {
    c = await t.tenant();
    expect((await send()).status).toBe(200);
    await t.deps.db.kysely.updateTable('channels').set({ terminated_at: new Date().toISOString() }).where('id', '=', c.channel_id).execute();
    expect((await send()).status).toBe(403);
  });

  it('a template that is no longer approved is refused with the very next send, and sendable again once approved', async () => {
    c = await t.tenant();
    expect((await send()).status).toBe(200);
    const setStatus = (status: string) =>
      t.deps.db.kysely.updateTable('templates').set({ status }).where('waba_account_id', '=', c.waba_account_id).where('name', '=', 'hello_world').execute();
    await setStatus('PAUSED');
    const res = await send();
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(132001);
    await setStatus('APPROVED');
    expect((await send()).status).toBe(200);
  });

  it("a channel's new settings apply to the very next send (throughput)", async () => {
    c = await t.tenant();
    expect((await send()).status).toBe(200);
    await t.deps.db.kysely.updateTable('channels').set({ throughput_mps: 1 }).where('id', '=', c.channel_id).execute();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await send(c.channel_api_key, `49151000000${i}`)).status);
    expect(statuses).toContain(429);
  });
});

describe('send path on SQLite: changes by another process on the same file', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(() => t.close());

  it('a key revoked by another connection is refused soon after', async () => {
    const c = await t.tenant();
    const send = () => t.post('/messages', { headers: { 'D360-API-KEY': c.channel_api_key }, json: hello('4915112345678') });
    // Twice: the first use also records the key's last use (a write of this process).
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    const other = openDb(t.deps.config.databaseUrl);
    try {
      await other.kysely.updateTable('channel_api_keys').set({ revoked_at: new Date().toISOString() }).where('channel_id', '=', c.channel_id).execute();
    } finally {
      await other.close();
    }
    await sleep(OTHER_CONNECTIONS_CHECK_MS + 20);
    expect((await send()).status).toBe(401);
  });
});

describeEachDb('send batches', (kind) => {
  /** A fresh database and a batcher on it, for one test. */
  async function withBatcher(fn: (batcher: SendBatcher, db: Db) => Promise<void>): Promise<void> {
    const database = await createTestDatabase(kind);
    const db = openDb(database.url);
    try {
      await migrateToLatest(db);
      await fn(new SendBatcher({ config: loadConfig({ DATABASE_URL: database.url }), db, clock: systemClock }), db);
    } finally {
      await db.close();
      await database.drop();
    }
  }

  it('a failing send fails alone; the others of its batch are written', () =>
    withBatcher(async (batcher, db) => {
      const put = (key: string) => batcher.write(async (tx) => void (await tx.insertInto('instance_settings').values({ key, value: 'x' }).execute()));
      // Issued in one turn of the event loop: written in one transaction, which the duplicate breaks.
      const results = await Promise.allSettled([put('a'), put('b'), put('a'), put('c')]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      const keys = (await db.kysely.selectFrom('instance_settings').select('key').where('key', 'in', ['a', 'b', 'c']).orderBy('key').execute()).map((r) => r.key);
      expect(keys).toEqual(['a', 'b', 'c']);
    }));

  it('sends issued together share transactions (one per batch, several at once on PostgreSQL); each is answered only once committed', () =>
    withBatcher(async (batcher, db) => {
      const txs = new Set<unknown>();
      let open = 0;
      let most = 0;
      const put = (key: string) =>
        batcher.write(async (tx) => {
          if (!txs.has(tx)) {
            txs.add(tx);
            most = Math.max(most, ++open);
            setTimeout(() => open--, 30);
          }
          await tx.insertInto('instance_settings').values({ key, value: 'x' }).execute();
          if (kind === 'postgres') await new Promise((r) => setTimeout(r, 5)); // a slow statement: later sends queue meanwhile
        });
      const keys = Array.from({ length: 200 }, (_, i) => `batch-${String(i).padStart(3, '0')}`);
      const done = await Promise.all(
        keys.map(async (k) => {
          await put(k);
          // Answered only once committed: a fresh connection sees the row.
          return (await db.kysely.selectFrom('instance_settings').select('key').where('key', '=', k).executeTakeFirst())?.key;
        }),
      );
      expect(done).toEqual(keys);
      // 200 sends in far fewer transactions (at most 64 a batch).
      expect(txs.size).toBeGreaterThanOrEqual(4);
      expect(txs.size).toBeLessThan(50);
      // PostgreSQL: the first batches (64 sends of ~5 ms statements each) are written side by side.
      if (kind === 'postgres') expect(most).toBeGreaterThan(1);
    }));
});
