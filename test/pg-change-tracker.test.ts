// PostgreSQL: instances keep rows read on every request (a key's principal, a template) and forget
// them when anyone writes their tables: this instance at once, others by the triggers' NOTIFY.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { sql } from 'kysely';
import { openDb, type Db } from '../src/db/index.ts';
import { keptTables } from '../src/db/pg-change-tracker.ts';
import { CHANGE_NOTIFY_TABLES } from '../src/db/migrations/0015_pg_change_notify.ts';
import { dbKinds } from './helpers/db.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

const hello = (to: string) => ({ messaging_product: 'whatsapp', to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });

/** Polls until `ok`, for at most `ms`; returns how long it took. */
async function within(ms: number, ok: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

if (dbKinds().includes('postgres')) {
  describe('kept rows on PostgreSQL follow every writer', () => {
    let t: TestApp;
    let other: Db;
    let raw: pg.Client;
    beforeAll(async () => {
      t = await startTestApp('postgres');
      other = openDb(t.deps.config.databaseUrl);
      raw = new pg.Client({ connectionString: t.deps.config.databaseUrl });
      await raw.connect();
    });
    afterAll(async () => {
      await raw?.end();
      await other?.close();
      await t?.close();
    });

    const sendWith = (c: BootstrapResult) => t.post('/messages', { headers: { 'D360-API-KEY': c.channel_api_key }, json: hello('4915112345678') });
    const kept = async (c: BootstrapResult) => {
      // Twice: the first use also records the key's last use.
      expect((await sendWith(c)).status).toBe(200);
      expect((await sendWith(c)).status).toBe(200);
    };

    it('every table whose rows are kept has the trigger that tells the other instances', async () => {
      expect([...keptTables].sort()).toEqual([...CHANGE_NOTIFY_TABLES].sort());
      const triggers = await sql<{ table: string }>`select c.relname as "table" from pg_trigger tg join pg_class c on c.oid = tg.tgrelid where tg.tgname like 'openwaba_notify_%'`.execute(t.deps.db.kysely);
      expect(triggers.rows.map((r) => r.table).sort()).toEqual([...CHANGE_NOTIFY_TABLES].sort());
    });

    it('a kept principal is used while nothing tells of a change (a write with triggers off goes unseen until the row’s lifetime ends)', async () => {
      const c = await t.tenant();
      await kept(c);
      // psql with session_replication_role = replica fires no trigger: the instance cannot know.
      await raw.query('set session_replication_role = replica');
      await raw.query('update channel_api_keys set revoked_at = $1 where channel_id = $2', [new Date().toISOString(), c.channel_id]);
      await raw.query('set session_replication_role = default');
      expect((await sendWith(c)).status).toBe(200);
    });

    it("another instance's revocation is refused within milliseconds", async () => {
      const c = await t.tenant();
      await kept(c);
      await other.kysely.updateTable('channel_api_keys').set({ revoked_at: new Date().toISOString() }).where('channel_id', '=', c.channel_id).execute();
      const ms = await within(1_000, async () => (await sendWith(c)).status === 401);
      expect(ms).toBeLessThan(1_000);
    });

    it('a change made with psql (another channel setting) applies within milliseconds', async () => {
      const c = await t.tenant();
      await kept(c);
      await raw.query('update channels set terminated_at = $1 where id = $2', [new Date().toISOString(), c.channel_id]);
      await within(1_000, async () => (await sendWith(c)).status === 403);
    });

    it("a key's last-use time tells nobody; any other change to the key does", async () => {
      const c = await t.tenant();
      const heard: string[] = [];
      const listener = new pg.Client({ connectionString: t.deps.config.databaseUrl });
      await listener.connect();
      try {
        listener.on('notification', (n) => heard.push(n.payload ?? ''));
        await listener.query('listen openwaba_changes');
        await raw.query('update channel_api_keys set last_used_at = $1 where channel_id = $2', [new Date().toISOString(), c.channel_id]);
        await raw.query('update templates set status = status where id = (select id from templates limit 1)');
        await within(1_000, async () => heard.includes('templates'));
        expect(heard).not.toContain('channel_api_keys');
        await raw.query('update channel_api_keys set revoked_at = null where channel_id = $1', [c.channel_id]);
        await within(1_000, async () => heard.includes('channel_api_keys'));
      } finally {
        await listener.end();
      }
    });
  });
}
