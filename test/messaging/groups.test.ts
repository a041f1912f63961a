// Meta's Groups API on a sandbox number (src/messaging/groups.ts, routes/groups.ts): a created group
// sends its invite link in a group_lifecycle_update webhook; a simulated user joins through the link
// (POST /sandbox/v1/group_join) and the number gets group_participants_update; a text sent to the
// group (recipient_type "group") gets sent/delivered/read statuses naming the group. Listing pages
// with Graph cursors; update, invite link reset, participant removal, join requests, delete; another
// number's key sees nothing; the Graph paths (/{version}/{pnid}/groups, /{version}/{group-id}) are the
// same API; bad bodies are Meta's 400s; On-Premise numbers are refused.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { REPLAY_ENV } from '../helpers/client-replay.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createChannel } from '../../src/services/channels.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';

const ANA = '4915550008001';
const BEN = '4915550008002';

describeEachDb('Groups API (sandbox)', (kind) => {
  let t: TestApp;
  let receiver: Receiver;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let onPremKey: string;
  const key = (q: BootstrapResult = p) => ({ 'D360-API-KEY': q.channel_api_key });
  const create = (json: unknown, q = p) => t.post('/groups', { headers: key(q), json });
  const join = (json: unknown, q = p) => t.post('/sandbox/v1/group_join', { headers: key(q), json });
  const groupHooks = (field: string) => receiver.bodies('/hook').filter((b) => b.entry?.[0]?.changes?.[0]?.field === field).map((b) => b.entry[0].changes[0].value.groups[0]);
  const expectMetaError = (res: { status: number; body: any; text: string }, status: number, code: number, details?: RegExp) => {
    expect(res.status, res.text).toBe(status);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatchObject({ code, fbtrace_id: expect.any(String) });
    if (details) expect(res.body.error.error_data.details).toMatch(details);
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: REPLAY_ENV });
    p = await t.tenant();
    other = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: `${receiver.url}/hook` } })).status).toBe(200);
    const ch = await createChannel(t.deps, { partnerId: p.partner_id, clientId: p.client_id, phoneNumber: '4930555000222', phoneName: 'On-Prem line', wabaAccountId: p.waba_account_id, hostingType: 'onpremise' });
    onPremKey = (await createChannelApiKey(t.deps, ch)).api_key;
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('create → invite link webhook → user joins → participants webhook → text to the group → statuses', async () => {
    const res = await create({ messaging_product: 'whatsapp', subject: '  Purchase inquiry  ', description: 'New car options' });
    expect(res.status, res.text).toBe(200);
    const id = res.body.id as string;
    expect(id).toMatch(/^Y2FwaV9ncm91cDo/);
    expect(res.body).toEqual({ messaging_product: 'whatsapp', id, request_id: expect.any(String) });

    const created = await receiver.waitForBody('group_create', () => groupHooks('group_lifecycle_update').find((g) => g.group_id === id));
    expect(created).toEqual({
      timestamp: expect.stringMatching(/^\d+$/),
      group_id: id,
      type: 'group_create',
      request_id: res.body.request_id,
      subject: 'Purchase inquiry',
      description: 'New car options',
      invite_link: expect.stringMatching(/^https:\/\/chat\.whatsapp\.com\/[A-Za-z0-9]{22}$/),
      join_approval_mode: 'auto_approve',
    });
    const envelope = receiver.bodies('/hook').find((b) => b.entry[0].changes[0].value.groups?.[0]?.type === 'group_create');
    expect(envelope.object).toBe('whatsapp_business_account');
    expect(envelope.entry[0].changes[0].value.metadata.phone_number_id).toEqual(expect.any(String));

    // Nobody in the group yet: a send is refused.
    const early = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', recipient_type: 'group', to: id, type: 'text', text: { body: 'Hi all' } } });
    expectMetaError(early, 400, 131009, /no participants/);

    const joined = await join({ from: ANA, invite_link: created.invite_link });
    expect(joined.status, joined.text).toBe(200);
    expect(joined.body).toEqual({ group_id: id, wa_id: ANA, state: 'member' });
    const added = await receiver.waitForBody('participants add', () => groupHooks('group_participants_update').find((g) => g.group_id === id && g.type === 'group_participants_add'));
    expect(added).toMatchObject({ group_id: id, type: 'group_participants_add', reason: 'invite_link', added_participants: [{ wa_id: ANA }] });
    expectMetaError(await join({ from: ANA, group_id: id }), 409, 131009, /already/);

    const info = await t.get(`/groups/${id}`, { headers: key() });
    expect(info.status, info.text).toBe(200);
    expect(info.body).toMatchObject({ id, subject: 'Purchase inquiry', description: 'New car options', suspended: false, total_participant_count: 1, participants: [{ wa_id: ANA }], join_approval_mode: 'auto_approve' });
    const some = await t.get(`/groups/${id}`, { headers: key(), query: { fields: 'subject,total_participant_count' } });
    expect(some.body).toEqual({ id, subject: 'Purchase inquiry', total_participant_count: 1 });

    const sent = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', recipient_type: 'group', to: id, type: 'text', text: { body: 'Hi all' } } });
    expect(sent.status, sent.text).toBe(200);
    expect(sent.body.contacts).toEqual([{ input: id, wa_id: id }]);
    const wamid = sent.body.messages[0].id as string;
    const statusesOf = () =>
      receiver
        .bodies('/hook')
        .filter((b) => b.entry[0].changes[0].field === 'messages')
        .flatMap((b) => b.entry[0].changes[0].value.statuses ?? [])
        .filter((s: any) => s.id === wamid);
    await receiver.waitForBody('read status', () => statusesOf().find((s: any) => s.status === 'read'));
    const statuses = statusesOf();
    expect(statuses.map((s: any) => s.status)).toEqual(['sent', 'delivered', 'read']);
    for (const s of statuses) expect(s).toMatchObject({ recipient_id: id, recipient_type: 'group' });

    // Interactive messages are not sent to groups; a group id with "individual" is no phone number.
    expectMetaError(
      await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', recipient_type: 'group', to: id, type: 'reaction', reaction: { message_id: wamid, emoji: '👍' } } }),
      400,
      100,
      /cannot be sent to a group/,
    );
    expectMetaError(await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', recipient_type: 'group', to: '4915550008001', type: 'text', text: { body: 'x' } } }), 400, 100, /group id/);
  });

  it('lists with paging, updates, resets the invite link, removes a participant, deletes', async () => {
    const ids: string[] = [];
    for (const subject of ['A', 'B', 'C']) ids.push((await create({ messaging_product: 'whatsapp', subject }, other)).body.id);
    const first = await t.get('/groups', { headers: key(other), query: { limit: '2' } });
    expect(first.status, first.text).toBe(200);
    expect(first.body.data.groups).toHaveLength(2);
    expect(first.body.data.groups[0]).toEqual({ id: expect.any(String), subject: expect.any(String), created_at: expect.any(Number) });
    expect(first.body.paging.next).toEqual(expect.stringContaining('after='));
    const second = await t.get('/groups', { headers: key(other), query: { limit: '2', after: first.body.paging.cursors.after } });
    expect(second.body.data.groups).toHaveLength(1);
    expect(second.body.paging.next).toBeUndefined();
    expect([...first.body.data.groups, ...second.body.data.groups].map((g: any) => g.id).sort()).toEqual([...ids].sort());
    const back = await t.get('/groups', { headers: key(other), query: { limit: '2', before: second.body.paging.cursors.before } });
    expect(back.body.data.groups.map((g: any) => g.id)).toEqual(first.body.data.groups.map((g: any) => g.id));
    expectMetaError(await t.get('/groups', { headers: key(other), query: { after: 'not-a-cursor' } }), 400, 100);

    // Another number's key sees none of them, at the root or on Graph's paths.
    const mine = (await t.get('/groups', { headers: key() })).body.data.groups.map((g: any) => g.id);
    for (const id of ids) expect(mine).not.toContain(id);
    expectMetaError(await t.get(`/groups/${ids[0]}`, { headers: key() }), 400, 100);
    expectMetaError(await t.delete(`/groups/${ids[0]}`, { headers: key() }), 400, 100);
    expectMetaError(await t.get(`/v21.0/${ids[0]}`, { headers: { Authorization: `Bearer ${p.channel_api_key}` } }), 400, 100);
    expectMetaError(await join({ from: BEN, group_id: ids[0] }), 400, 131009);

    const id = ids[0]!;
    const upd = await t.post(`/groups/${id}`, { headers: key(other), json: { messaging_product: 'whatsapp', subject: 'Renamed', description: 'Now described' } });
    expect(upd.status, upd.text).toBe(200);
    expect(upd.body).toEqual({ success: true });
    // The Graph node path is the same group.
    const node = await t.get(`/v21.0/${id}`, { headers: { Authorization: `Bearer ${other.channel_api_key}` }, query: { fields: 'subject,description' } });
    expect(node.status, node.text).toBe(200);
    expect(node.body).toEqual({ id, subject: 'Renamed', description: 'Now described' });

    const link1 = (await t.get(`/groups/${id}/invite_link`, { headers: key(other) })).body.invite_link as string;
    const reset = await t.post(`/v21.0/${id}/invite_link`, { headers: { Authorization: `Bearer ${other.channel_api_key}` } });
    expect(reset.status, reset.text).toBe(200);
    expect(reset.body.invite_link).not.toBe(link1);
    expectMetaError(await join({ from: ANA, invite_link: link1 }, other), 400, 131009, /reset/);
    expect((await join({ from: ANA, invite_link: reset.body.invite_link }, other)).status).toBe(200);
    expect((await join({ from: BEN, group_id: id }, other)).status).toBe(200);

    expectMetaError(await t.delete(`/groups/${id}/participants`, { headers: key(other), json: { messaging_product: 'whatsapp', participants: [{ user: '4915550008999' }] } }), 400, 131009, /not a participant/);
    const removed = await t.delete(`/groups/${id}/participants`, { headers: key(other), json: { messaging_product: 'whatsapp', participants: [{ user: `+${ANA}` }] } });
    expect(removed.status, removed.text).toBe(200);
    expect((await t.get(`/groups/${id}`, { headers: key(other), query: { fields: 'participants' } })).body.participants).toEqual([{ wa_id: BEN }]);

    const del = await t.delete(`/groups/${id}`, { headers: key(other) });
    expect(del.status, del.text).toBe(200);
    expectMetaError(await t.get(`/groups/${id}`, { headers: key(other) }), 400, 100);
    expect((await t.get('/groups', { headers: key(other) })).body.data.groups.map((g: any) => g.id)).not.toContain(id);
  });

  it('a group that requires approval: join request webhook, list, approve, reject; at most 8 participants', async () => {
    const id = (await create({ messaging_product: 'whatsapp', subject: 'Approved only', join_approval_mode: 'approval_required' })).body.id as string;
    const asked = await join({ from: ANA, group_id: id });
    expect(asked.status, asked.text).toBe(200);
    expect(asked.body).toMatchObject({ state: 'requested', join_request_id: expect.any(String) });
    const hook = await receiver.waitForBody('join request', () => groupHooks('group_participants_update').find((g) => g.group_id === id && g.type === 'group_join_request_created'));
    expect(hook).toMatchObject({ join_request_id: asked.body.join_request_id, wa_id: ANA });
    const open = await t.get(`/groups/${id}/join_requests`, { headers: key() });
    expect(open.body.data).toEqual([{ join_request_id: asked.body.join_request_id, wa_id: ANA, creation_timestamp: expect.any(Number) }]);
    const ok = await t.post(`/groups/${id}/join_requests`, { headers: key(), json: { messaging_product: 'whatsapp', join_requests: [asked.body.join_request_id] } });
    expect(ok.status, ok.text).toBe(200);
    expect((await t.get(`/groups/${id}`, { headers: key(), query: { fields: 'participants' } })).body.participants).toEqual([{ wa_id: ANA }]);
    const ben = (await join({ from: BEN, group_id: id })).body.join_request_id;
    const no = await t.delete(`/groups/${id}/join_requests`, { headers: key(), json: { messaging_product: 'whatsapp', join_requests: [ben] } });
    expect(no.status, no.text).toBe(200);
    expect((await t.get(`/groups/${id}/join_requests`, { headers: key() })).body.data).toEqual([]);

    const full = (await create({ messaging_product: 'whatsapp', subject: 'Full' })).body.id as string;
    for (let i = 0; i < 8; i++) expect((await join({ from: `49155500090${i}0`, group_id: full })).status).toBe(200);
    expectMetaError(await join({ from: '4915550009999', group_id: full }), 400, 131009, /8 participants/);
  });

  it('bad bodies are Meta’s 400s; Graph’s /{version}/{pnid}/groups is the same API; On-Premise numbers are refused', async () => {
    expectMetaError(await create({ subject: 'x' }), 400, 100, /messaging_product/);
    expectMetaError(await create({ messaging_product: 'whatsapp' }), 400, 100, /subject/);
    expectMetaError(await create({ messaging_product: 'whatsapp', subject: '   ' }), 400, 100, /subject/);
    expectMetaError(await create({ messaging_product: 'whatsapp', subject: 'x'.repeat(129) }), 400, 100, /128/);
    expectMetaError(await create({ messaging_product: 'whatsapp', subject: 'x', description: 'd'.repeat(2049) }), 400, 100, /2048/);
    expectMetaError(await create({ messaging_product: 'whatsapp', subject: 'x', join_approval_mode: 'sometimes' }), 400, 100, /join_approval_mode/);
    expectMetaError(await create({ messaging_product: 'whatsapp', subject: 'x', extra: 1 }), 400, 100);
    expectMetaError(await create([1, 2]), 400, 100);
    const id = (await create({ messaging_product: 'whatsapp', subject: 'Bodies' })).body.id as string;
    expectMetaError(await t.post(`/groups/${id}`, { headers: key(), json: { messaging_product: 'whatsapp' } }), 400, 100, /nothing to update/);
    expectMetaError(await t.delete(`/groups/${id}/participants`, { headers: key(), json: { messaging_product: 'whatsapp', participants: [] } }), 400, 100);
    expectMetaError(await t.post(`/groups/${id}/join_requests`, { headers: key(), json: { messaging_product: 'whatsapp', join_requests: ['nope'] } }), 400, 131009);
    expectMetaError(await t.get(`/groups/${id}`, { headers: key(), query: { fields: 'owner' } }), 400, 100);
    expectMetaError(await join({ from: ANA, invite_link: 'https://example.com/x y' }), 400, 131009);

    const graph = await t.post(`/v21.0/${p.channel_id}/groups`, { headers: { Authorization: `Bearer ${p.channel_api_key}` }, json: { messaging_product: 'whatsapp', subject: 'Via Graph' } });
    expect(graph.status, graph.text).toBe(200);
    const listed = await t.get(`/v21.0/${p.channel_id}/groups`, { headers: { Authorization: `Bearer ${p.channel_api_key}` }, query: { limit: '100' } });
    expect(listed.body.data.groups.map((g: any) => g.id)).toContain(graph.body.id);

    expectMetaError(await t.get('/groups', { headers: { 'D360-API-KEY': onPremKey } }), 400, 100, /On-Premise/);
    expectMetaError(await t.post('/groups', { headers: { 'D360-API-KEY': onPremKey }, json: { messaging_product: 'whatsapp', subject: 'x' } }), 400, 100, /On-Premise/);
  });
});
