// Meta sends a message's statuses in separate POSTs, often milliseconds apart: handled at the same
// time (on PostgreSQL, in parallel transactions), none may be lost.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { ACCESS_TOKEN, META_ENV, post, sentThroughMeta, statusOf } from './meta-webhook-fixtures.ts';

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
