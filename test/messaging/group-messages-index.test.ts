// A group's messages are read by messages.group_id (migration 0041), not by a LIKE over the
// channel's inbound messages: a participant's group message stores its group in the column (a 1:1
// message none), groupMessages reads by the partial index messages_channel_group, and the
// migration's backfill sets the column of group messages stored before it from their content.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { planOf } from '../helpers/query-plan.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { groupMessages } from '../../src/messaging/groups.ts';
import { backfillGroupIds } from '../../src/db/migrations/0041_message_group_id.ts';

const ANA = '4915550041001';

describeEachDb('group messages by group_id (migration 0041)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stored with its group, read by the partial index, old rows backfilled from their content', async () => {
    const g = await t.post('/groups', { headers: key(), json: { messaging_product: 'whatsapp', subject: 'Index' } });
    expect(g.status, g.text).toBe(200);
    const id = g.body.id as string;
    expect((await t.post('/sandbox/v1/group_join', { headers: key(), json: { from: ANA, group_id: id } })).status).toBe(200);
    const inbound = async (json: Record<string, unknown>) => {
      const res = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: ANA, type: 'text', ...json } });
      expect(res.status, res.text).toBe(200);
      return res.body.messages[0].id as string;
    };
    const inGroup = await inbound({ group_id: id, text: { body: 'to the group' } });
    const direct = await inbound({ text: { body: `one to one, naming "group_id":"${id}"` } });

    const db = t.deps.db.kysely;
    const col = async (mid: string) => (await db.selectFrom('messages').select('group_id').where('id', '=', mid).executeTakeFirstOrThrow()).group_id;
    expect(await col(inGroup)).toBe(id);
    expect(await col(direct)).toBeNull();
    expect((await groupMessages(db, p.channel_id, id)).map((m) => m.id)).toEqual([inGroup]);

    const q = db.selectFrom('messages').select('id').where('channel_id', '=', p.channel_id).where('group_id', '=', id).where(sql<boolean>`group_id is not null`).orderBy('created_at', 'desc').limit(100);
    expect(await planOf(t, q, { preferIndexes: true })).toContain('messages_channel_group');

    // A group message stored before 0041 (no group_id): the backfill sets it; a 1:1 stays null.
    await db.updateTable('messages').set({ group_id: null }).where('id', '=', inGroup).execute();
    expect(await groupMessages(db, p.channel_id, id)).toEqual([]);
    await backfillGroupIds(db);
    expect(await col(inGroup)).toBe(id);
    expect(await col(direct)).toBeNull();
    expect((await groupMessages(db, p.channel_id, id)).map((m) => m.id)).toEqual([inGroup]);
  });
});
