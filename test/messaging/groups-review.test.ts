// Review fixes of the Groups API: a join or an approval counts the participants and then adds one,
// so two at once on PostgreSQL (READ COMMITTED) both counted 7 and made 9 or more, and the same
// user joining twice at once hit the primary key (a 500); the group row is now held for the
// transaction (groups.ts lockGroup). And group webhooks of a number without a URL of its own go to
// its WABA's override, as its messages and statuses do (they were dropped).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { REPLAY_ENV } from '../helpers/client-replay.ts';
import { Receiver } from '../helpers/receiver.ts';
import { MAX_PARTICIPANTS } from '../../src/messaging/groups.ts';

describeEachDb('Groups API: concurrent joins and the WABA override', (kind) => {
  let t: TestApp;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: REPLAY_ENV });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const members = async (groupId: string) =>
    Number((await t.deps.db.kysely.selectFrom('group_participants').select((eb) => eb.fn.countAll<number>().as('n')).where('group_id', '=', groupId).where('state', '=', 'member').executeTakeFirstOrThrow()).n);

  it(`concurrent joins never make more than ${MAX_PARTICIPANTS} participants; one user joining twice at once is one join and 409s`, async () => {
    const p = await t.tenant();
    const key = { 'D360-API-KEY': p.channel_api_key };
    const g = await t.post('/groups', { headers: key, json: { messaging_product: 'whatsapp', subject: 'Race' } });
    expect(g.status, g.text).toBe(200);
    const join = (from: string) => t.post('/sandbox/v1/group_join', { headers: key, json: { from, group_id: g.body.id } });
    for (let i = 0; i < MAX_PARTICIPANTS - 1; i++) expect((await join(`49155500091${i}`)).status).toBe(200);
    const racing = await Promise.all([0, 1, 2, 3, 4].map((i) => join(`49155500092${i}`)));
    expect(racing.map((r) => r.status).sort()).toEqual([200, 400, 400, 400, 400]);
    expect(await members(g.body.id)).toBe(MAX_PARTICIPANTS);

    const h = await t.post('/groups', { headers: key, json: { messaging_product: 'whatsapp', subject: 'Twice' } });
    const hJoin = () => t.post('/sandbox/v1/group_join', { headers: key, json: { from: '4915550009300', group_id: h.body.id } });
    const twice = await Promise.all([hJoin(), hJoin(), hJoin()]);
    expect(twice.map((r) => r.status).sort(), twice.map((r) => r.text).join('\n')).toEqual([200, 409, 409]);
    expect(await members(h.body.id)).toBe(1);
  });

  it('concurrent approvals of join requests never make more than the most a group can have', async () => {
    const p = await t.tenant();
    const key = { 'D360-API-KEY': p.channel_api_key };
    const g = await t.post('/groups', { headers: key, json: { messaging_product: 'whatsapp', subject: 'Approvals', join_approval_mode: 'approval_required' } });
    expect(g.status, g.text).toBe(200);
    const ids: string[] = [];
    for (let i = 0; i < MAX_PARTICIPANTS + 2; i++) {
      const r = await t.post('/sandbox/v1/group_join', { headers: key, json: { from: `49155500094${i}`, group_id: g.body.id } });
      expect(r.status, r.text).toBe(200);
      ids.push(r.body.join_request_id);
    }
    // Two approvals of (MAX-1) and 3 requests at once: one must be refused as the group is full.
    const a = ids.slice(0, MAX_PARTICIPANTS - 1);
    const b = ids.slice(MAX_PARTICIPANTS - 1);
    const res = await Promise.all([a, b].map((join_requests) => t.post(`/groups/${g.body.id}/join_requests`, { headers: key, json: { messaging_product: 'whatsapp', join_requests } })));
    expect(res.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(await members(g.body.id)).toBeLessThanOrEqual(MAX_PARTICIPANTS);
  });

  it("sends group webhooks of a number without a URL of its own to its WABA's override", async () => {
    const p = await t.tenant();
    await t.deps.db.kysely.updateTable('waba_accounts').set({ override_callback_uri: `${receiver.url}/waba` }).where('id', '=', p.waba_account_id).execute();
    const g = await t.post('/groups', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { messaging_product: 'whatsapp', subject: 'Override' } });
    expect(g.status, g.text).toBe(200);
    const created = await receiver.waitForBody('group_create at the override', () =>
      receiver.bodies('/waba').find((b) => b.entry?.[0]?.changes?.[0]?.field === 'group_lifecycle_update' && b.entry[0].changes[0].value.groups[0].group_id === g.body.id),
    );
    expect(created.entry[0].changes[0].value.groups[0]).toMatchObject({ type: 'group_create', subject: 'Override' });
  });
});
