// Meta sends a message's statuses in separate POSTs, often milliseconds apart: handled at the same
// time (on PostgreSQL, in parallel transactions), none may be lost.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { ACCESS_TOKEN, META_ENV, post, sentThroughMeta, statusOf, textFrom } from './meta-webhook-fixtures.ts';

const NUMBER = '106540352277701';

describeEachDb('Meta statuses arriving together', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { env: META_ENV });
  });
  afterAll(() => t?.close());

  it('sent, delivered and read of 30 messages, posted at once, all land', async () => {
    const p = await t.tenant();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: NUMBER, wabaId: '102290129340398', accessToken: ACCESS_TOKEN });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await sentThroughMeta(t, p));
    // Each status in its own POST, all in flight together; read may overtake the others.
    const answers = await Promise.all(ids.flatMap((id) => ['sent', 'delivered', 'read'].map((status) => post(t, statusOf(NUMBER, id, status)))));
    expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
    const rows = await t.deps.db.kysely.selectFrom('messages').select(['id', 'status', 'read_at']).where('id', 'in', ids).execute();
    expect(rows).toHaveLength(30);
    expect(rows.filter((r) => r.status !== 'read' || !r.read_at).map((r) => r.status)).toEqual([]);
  });
});

describeEachDb('one Meta message delivered twice at once', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { env: META_ENV });
  });
  afterAll(() => t?.close());

  it('five copies of a notification posted together: every one 200, the message stored and sent on once', async () => {
    const p = await t.tenant();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: '106540352277702', wabaId: '102290129340398', accessToken: ACCESS_TOKEN });
    await t.deps.db.kysely.updateTable('channels').set({ webhook_url: 'http://127.0.0.1:9/hook' }).where('id', '=', p.channel_id).execute();
    for (let round = 0; round < 5; round++) {
      const { id, body } = textFrom('106540352277702', '4917600000009', `twice ${round}`);
      const answers = await Promise.all(Array.from({ length: 5 }, () => post(t, body)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect(await t.deps.db.kysely.selectFrom('messages').select('id').where('id', '=', id).execute()).toHaveLength(1);
      const events = await t.deps.db.kysely.selectFrom('webhook_events').select('body').where('target_id', '=', p.channel_id).where('event_type', '=', 'message').execute();
      expect(events.filter((e) => e.body.includes(id))).toHaveLength(1);
    }
  });
});
