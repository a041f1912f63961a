// Meta took the message but openwaba cannot store it: the client still gets Meta's wamid (an
// error would make it send again, and the user would get the message twice); the failure is logged.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph, fakeWamid } from '../helpers/fake-graph.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';

const TO = '4915123456789';

describeEachDb('a send Meta took that cannot be stored', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, { env: { OPENWABA_SECRET_KEY: 'a'.repeat(64), OPENWABA_META_GRAPH_URL: graph.url } });
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });

  it("answers Meta's wamid and logs the lost row", async () => {
    const p = await t.tenant();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: '106540352299901', wabaId: '102290129340398', accessToken: 'EAAG' + 'k'.repeat(40) });
    const db = t.deps.db.kysely;
    // Every insert into messages fails from now on, as on a full disk.
    if (kind === 'sqlite') {
      await sql`create trigger messages_refused before insert on messages begin select raise(abort, 'database or disk is full'); end`.execute(db);
    } else {
      await sql`create function messages_refused() returns trigger language plpgsql as $$ begin raise exception 'could not extend file: No space left on device'; end $$`.execute(db);
      await sql`create trigger messages_refused before insert on messages for each row execute function messages_refused()`.execute(db);
    }
    const wamid = fakeWamid();
    graph.respond({ status: 200, json: { messaging_product: 'whatsapp', contacts: [{ input: TO, wa_id: TO }], messages: [{ id: wamid }] } });
    const res = await t.post('/messages', { headers: { 'd360-api-key': p.channel_api_key }, json: { messaging_product: 'whatsapp', to: TO, type: 'text', text: { body: 'hi' } } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.messages).toEqual([{ id: wamid }]);
    expect(graph.requests).toHaveLength(1);
    expect(await db.selectFrom('messages').select('id').where('id', '=', wamid).executeTakeFirst()).toBeUndefined();
    expect(t.logs.some((l) => l.includes('message sent through Meta but not stored') && l.includes(wamid))).toBe(true);
  });
});
