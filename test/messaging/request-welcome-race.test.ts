// Two first opens of one chat at the same instant send one request_welcome, on both databases
// (request-welcome.ts: on PostgreSQL the pair number–user is locked for the transaction that
// checks and stores it; SQLite's write transactions run one at a time).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { requestWelcome, REQUEST_WELCOME } from '../../src/messaging/request-welcome.ts';

describeEachDb('request_welcome: concurrent first opens', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    const set = await t.post('/conversational_automation', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { enable_welcome_message: true } });
    expect(set.status, set.text).toBe(200);
  });
  afterAll(() => t?.close());

  it('eight first opens at once: one request_welcome stored, the others answered as an existing chat', async () => {
    const channel = await t.deps.db.kysely.selectFrom('channels').selectAll().where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    const user = { from: '4915199990001', name: 'Race' };
    const results = await Promise.all(Array.from({ length: 8 }, () => requestWelcome(t.deps, channel, user, { firstOnly: true })));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    const rows = await t.deps.db.kysely.selectFrom('messages').select(['id', 'type']).where('channel_id', '=', channel.id).where('wa_id', '=', user.from).execute();
    expect(rows.map((r) => r.type)).toEqual([REQUEST_WELCOME]);
  });
});
