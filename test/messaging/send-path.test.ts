// The send path's shortcuts must not change what a client sees: a kept key principal or template
// never outlives a change to it (revocation, cancellation, a template no longer approved), also
// when another process changes the same SQLite file; sends written together still fail alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/db/index.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { OTHER_CONNECTIONS_CHECK_MS } from '../../src/db/change-tracker.ts';
import { SendBatcher } from '../../src/messaging/send-batcher.ts';
import { insertMessage } from '../../src/messaging/messages.ts';
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

  it('sends written together in one batch each see their own recipient (unreachable, blocking, in the window or not) and are all stored', async () => {
    c = await t.tenant();
    const users = { unreachable: '4915100000001', blocked: '4915100000002', wrote: '4915100000003', fresh: '4915100000004' };
    const key = { 'D360-API-KEY': c.channel_api_key };
    expect((await t.post(`/sandbox/v1/users/${users.unreachable}`, { headers: key, json: { unreachable: true } })).status).toBe(200);
    expect((await t.post(`/sandbox/v1/users/${users.blocked}`, { headers: key, json: { blocked: true } })).status).toBe(200);
    expect((await t.post('/sandbox/v1/inbound', { headers: key, json: { from: users.wrote, name: 'W', type: 'text', text: { body: 'hi' } } })).status).toBe(200);
    const text = (to: string) => ({ messaging_product: 'whatsapp', to, type: 'text', text: { body: 'hello' } });
    // Issued at once: written in shared transactions (on PostgreSQL, the recipients read and the rows inserted per batch).
    const order = [users.unreachable, users.blocked, users.wrote, users.fresh, users.wrote, users.unreachable, users.fresh, users.blocked];
    const answers = await Promise.all(order.map((to) => t.post('/messages', { headers: key, json: text(to) })));
    expect(answers.map((a) => a.status)).toEqual(order.map(() => 200));
    const ids = answers.map((a) => a.body.messages[0].id as string);
    const rows = await t.deps.db.kysely.selectFrom('messages').select(['id', 'wa_id', 'status_plan']).where('id', 'in', ids).execute();
    expect(rows).toHaveLength(order.length);
    const firstStep = (id: string) => JSON.parse(rows.find((r) => r.id === id)!.status_plan!)[0] as { status: string; error?: { code: number; details: string } };
    const outcome = (id: string) => {
      const s = firstStep(id);
      if (!s.error) return s.status;
      return `${s.status}:${s.error.code}${s.error.details.includes('blocked') ? ':blocks' : ''}`;
    };
    const expected: Record<string, string> = { [users.unreachable]: 'failed:131026', [users.blocked]: 'failed:131026:blocks', [users.wrote]: 'sent', [users.fresh]: 'failed:131047' };
    expect(ids.map(outcome)).toEqual(order.map((to) => expected[to]));
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

  it('a message row at fault (a duplicate id) fails alone, also where a batch writes its rows in one INSERT (PostgreSQL)', () =>
    withBatcher(async (batcher, db) => {
      const channel = { id: 'CH1', partner_id: 'PA1', client_id: 'CL1' };
      const put = (id: string) =>
        batcher.write((tx) => insertMessage(tx, { id, channel, direction: 'outbound', waId: '4915100000009', type: 'text', content: { body: id }, status: 'accepted', category: 'service', at: new Date().toISOString() }));
      const results = await Promise.allSettled([put('m-a'), put('m-b'), put('m-a'), put('m-c')]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      const rows = await db.kysely.selectFrom('messages').select(['id', 'content']).orderBy('id').execute();
      expect(rows.map((r) => [r.id, JSON.parse(r.content).text.body])).toEqual([['m-a', 'm-a'], ['m-b', 'm-b'], ['m-c', 'm-c']]);
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
