// The participants' side of Meta's Groups API on a sandbox number (src/messaging/group-inbound.ts):
// a participant writes to the group (POST /sandbox/v1/inbound with group_id) and the number's
// webhook gets a messages notification whose message carries group_id, with the participant as
// contact; a non-participant (or one whose join request is open) is refused with Meta's 400 and
// nothing is stored; the message shows in the sandbox's list and opens no one-to-one window. A
// participant leaves (POST /sandbox/v1/group_leave): group_participants_remove initiated_by
// "participant"; one who asked to join withdraws: group_join_request_revoked. The business's
// update of subject/description/picture sends group_settings_update; Meta suspending a group (POST
// /sandbox/v1/group_status) sends group_status_update and stops activity in it until cleared.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { REPLAY_ENV } from '../helpers/client-replay.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const ANA = '4915550018001';
const BEN = '4915550018002';
const CARL = '4915550018003';

describeEachDb('Groups API: the participants’ side (sandbox)', (kind) => {
  let t: TestApp;
  let receiver: Receiver;
  let p: BootstrapResult;
  let other: BootstrapResult;
  const key = (q: BootstrapResult = p) => ({ 'D360-API-KEY': q.channel_api_key });
  const create = async (json: Record<string, unknown>, q = p) => {
    const res = await t.post('/groups', { headers: key(q), json: { messaging_product: 'whatsapp', ...json } });
    expect(res.status, res.text).toBe(200);
    return res.body.id as string;
  };
  const join = async (from: string, group_id: string, q = p) => {
    const res = await t.post('/sandbox/v1/group_join', { headers: key(q), json: { from, group_id } });
    expect(res.status, res.text).toBe(200);
    return res.body;
  };
  const inbound = (json: unknown, q = p) => t.post('/sandbox/v1/inbound', { headers: key(q), json });
  const leave = (json: unknown, q = p) => t.post('/sandbox/v1/group_leave', { headers: key(q), json });
  const changes = (field: string) => receiver.bodies('/hook').filter((b) => b.entry?.[0]?.changes?.[0]?.field === field);
  const groupHooks = (field: string) => changes(field).map((b) => b.entry[0].changes[0].value.groups[0]);
  const expectMetaError = (res: { status: number; body: any; text: string }, status: number, code: number, details?: RegExp) => {
    expect(res.status, res.text).toBe(status);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatchObject({ code, fbtrace_id: expect.any(String) });
    if (details) expect(res.body.error.error_data.details).toMatch(details);
  };
  const storedOf = async (waId: string, q = p) => (await t.get('/sandbox/v1/messages', { headers: key(q), query: { wa_id: waId } })).body.messages as any[];

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: REPLAY_ENV });
    p = await t.tenant();
    other = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: `${receiver.url}/hook` } })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('a participant writes to the group: a messages webhook with group_id and the participant as contact; stored; no one-to-one window', async () => {
    const id = await create({ subject: 'Trip planning' });
    await join(ANA, id);
    const res = await inbound({ from: ANA, name: 'Ana', group_id: id, type: 'text', text: { body: 'Who brings the tent?' } });
    expect(res.status, res.text).toBe(200);
    const wamid = res.body.messages[0].id as string;
    expect(res.body.contacts).toEqual([{ wa_id: ANA }]);

    const value = await receiver.waitForBody('group message', () =>
      changes('messages')
        .map((b) => b.entry[0].changes[0].value)
        .find((v) => v.messages?.[0]?.id === wamid),
    );
    expect(value.contacts).toEqual([expect.objectContaining({ profile: { name: 'Ana' }, wa_id: ANA })]);
    expect(value.messages[0]).toMatchObject({ from: ANA, group_id: id, id: wamid, timestamp: expect.stringMatching(/^\d+$/), type: 'text', text: { body: 'Who brings the tent?' } });

    // Stored like any inbound message, naming the group.
    const stored = (await storedOf(ANA)).find((m) => m.id === wamid);
    expect(stored).toMatchObject({ direction: 'inbound', wa_id: ANA, type: 'text', status: 'received', content: { type: 'text', text: { body: 'Who brings the tent?' }, group_id: id } });

    // The group is not the user's chat with the business: no 24-hour window opened for Ana.
    const ana = (await t.get('/sandbox/v1/users', { headers: key() })).body.users.find((u: any) => u.wa_id === ANA);
    expect(ana).toMatchObject({ name: 'Ana', window_open: false, last_inbound_at: null });

    // A message of her own to the business does open it, and a later group message keeps it where it is.
    expect((await inbound({ from: ANA, text: { body: 'Just to you' } })).status).toBe(200);
    const opened = (await t.get('/sandbox/v1/users', { headers: key() })).body.users.find((u: any) => u.wa_id === ANA).last_inbound_at as string;
    expect(opened).toEqual(expect.any(String));
    const plain = await receiver.waitForBody('one-to-one message', () => changes('messages').map((b) => b.entry[0].changes[0].value.messages?.[0]).find((m) => m?.text?.body === 'Just to you'));
    expect(plain).not.toHaveProperty('group_id');
  });

  it('a non-participant, one whose join request is open, or a group of another number: Meta’s 400, nothing stored or sent', async () => {
    const id = await create({ subject: 'Members only', join_approval_mode: 'approval_required' });
    expectMetaError(await inbound({ from: CARL, group_id: id, text: { body: 'let me in' } }), 400, 131009, /not a participant/);
    await join(BEN, id); // approval required: an open request, not a participant yet
    expectMetaError(await inbound({ from: BEN, group_id: id, text: { body: 'hello?' } }), 400, 131009, /asked to join/);
    // Another number's group is none of this one's.
    const theirs = await create({ subject: 'Theirs' }, other);
    expectMetaError(await inbound({ from: CARL, group_id: theirs, text: { body: 'x' } }), 400, 131009, /no group/);
    // Interactive answers are not group messages; a group_id must be a string.
    expectMetaError(await inbound({ from: BEN, group_id: id, type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'a', title: 'A' } } }), 400, 100, /not sent in groups/);
    expectMetaError(await inbound({ from: BEN, group_id: 42, text: { body: 'x' } }), 400, 100, /group_id/);
    expect(await storedOf(CARL)).toEqual([]);
    expect(await storedOf(BEN)).toEqual([]);
    await new Promise((r) => setTimeout(r, 300));
    expect(changes('messages').filter((b) => [CARL, BEN].includes(b.entry[0].changes[0].value.messages?.[0]?.from))).toEqual([]);
  });

  it('a participant leaves: group_participants_remove initiated by the participant; they write no more; a join request withdrawn: group_join_request_revoked', async () => {
    const id = await create({ subject: 'Leaving soon' });
    await join(ANA, id);
    await join(BEN, id);
    const res = await leave({ from: `+${ANA}`, group_id: id });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ group_id: id, wa_id: ANA, state: 'left' });
    const left = await receiver.waitForBody('participant left', () => groupHooks('group_participants_update').find((g) => g.group_id === id && g.type === 'group_participants_remove'));
    expect(left).toEqual({ timestamp: expect.stringMatching(/^\d+$/), group_id: id, type: 'group_participants_remove', initiated_by: 'participant', removed_participants: [{ wa_id: ANA }] });
    expect((await t.get(`/groups/${id}`, { headers: key(), query: { fields: 'participants' } })).body.participants).toEqual([{ wa_id: BEN }]);
    expectMetaError(await inbound({ from: ANA, group_id: id, text: { body: 'still here?' } }), 400, 131009, /not a participant/);
    expectMetaError(await leave({ from: ANA, group_id: id }), 400, 131009, /not a participant/);

    // The business removing one is initiated by the business (the same webhook field and type).
    expect((await t.delete(`/groups/${id}/participants`, { headers: key(), json: { messaging_product: 'whatsapp', participants: [{ user: BEN }] } })).status).toBe(200);
    const removed = await receiver.waitForBody('business removal', () => groupHooks('group_participants_update').find((g) => g.group_id === id && g.initiated_by === 'business'));
    expect(removed).toMatchObject({ type: 'group_participants_remove', removed_participants: [{ wa_id: BEN }] });

    const approval = await create({ subject: 'Ask first', join_approval_mode: 'approval_required' });
    const asked = await join(CARL, approval);
    const withdrawn = await leave({ from: CARL, group_id: approval, type: 'group_leave' });
    expect(withdrawn.status, withdrawn.text).toBe(200);
    expect(withdrawn.body).toEqual({ group_id: approval, wa_id: CARL, state: 'request_revoked', join_request_id: asked.join_request_id });
    const revoked = await receiver.waitForBody('request revoked', () => groupHooks('group_participants_update').find((g) => g.group_id === approval && g.type === 'group_join_request_revoked'));
    expect(revoked).toEqual({ timestamp: expect.stringMatching(/^\d+$/), group_id: approval, type: 'group_join_request_revoked', join_request_id: asked.join_request_id, wa_id: CARL });
    expect((await t.get(`/groups/${approval}/join_requests`, { headers: key() })).body.data).toEqual([]);

    // Bad bodies and other numbers' groups: Meta's 400s.
    expectMetaError(await leave({ from: CARL }), 400, 100, /group_id/);
    expectMetaError(await leave({ from: 'nobody', group_id: id }), 400, 131009, /from/);
    expectMetaError(await leave({ from: CARL, group_id: id, extra: true }), 400, 100);
    expectMetaError(await leave({ from: CARL, group_id: id, type: 'group_join' }), 400, 100, /type/);
    expectMetaError(await leave([1]), 400, 100);
    const theirs = await create({ subject: 'Not yours' }, other);
    await join(ANA, theirs, other);
    expectMetaError(await leave({ from: ANA, group_id: theirs }), 400, 131009, /no group/);
    expect((await t.get(`/groups/${theirs}`, { headers: key(other), query: { fields: 'participants' } })).body.participants).toEqual([{ wa_id: ANA }]);
  });

  it('the business updates the group: group_settings_update with each setting and update_successful', async () => {
    const id = await create({ subject: 'Before' });
    const upd = await t.post(`/groups/${id}`, { headers: key(), json: { messaging_product: 'whatsapp', subject: 'After', description: 'Now described' } });
    expect(upd.status, upd.text).toBe(200);
    const hook = await receiver.waitForBody('settings update', () => groupHooks('group_settings_update').find((g) => g.group_id === id));
    expect(hook).toEqual({
      timestamp: expect.stringMatching(/^\d+$/),
      group_id: id,
      type: 'group_settings_update',
      request_id: expect.any(String),
      group_subject: { text: 'After', update_successful: true },
      group_description: { text: 'Now described', update_successful: true },
    });
    const envelope = changes('group_settings_update').find((b) => b.entry[0].changes[0].value.groups[0].group_id === id);
    expect(envelope.object).toBe('whatsapp_business_account');
    expect(envelope.entry[0].changes[0].value.metadata.phone_number_id).toEqual(expect.any(String));

    const pic = await t.post(`/groups/${id}`, { headers: key(), json: { messaging_product: 'whatsapp', profile_picture_file: 'group-photo.jpg' } });
    expect(pic.status, pic.text).toBe(200);
    const picHook = await receiver.waitForBody('picture update', () => groupHooks('group_settings_update').find((g) => g.group_id === id && g.profile_picture));
    expect(picHook).toEqual({ timestamp: expect.stringMatching(/^\d+$/), group_id: id, type: 'group_settings_update', request_id: expect.any(String), profile_picture: { update_successful: true } });

    // A refused update sends nothing.
    const count = groupHooks('group_settings_update').filter((g) => g.group_id === id).length;
    expect((await t.post(`/groups/${id}`, { headers: key(), json: { messaging_product: 'whatsapp', subject: ' ' } })).status).toBe(400);
    await new Promise((r) => setTimeout(r, 300));
    expect(groupHooks('group_settings_update').filter((g) => g.group_id === id)).toHaveLength(count);
  });
  it('Meta suspends a group (sandbox): group_status_update; no sends, messages or joins until the suspension is cleared', async () => {
    const id = await create({ subject: 'Under review' });
    await join(ANA, id);
    const status = (json: unknown, q = p) => t.post('/sandbox/v1/group_status', { headers: key(q), json });
    const send = () => t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', recipient_type: 'group', to: id, type: 'text', text: { body: 'Hi all' } } });

    const res = await status({ group_id: id, type: 'group_suspend' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ group_id: id, suspended: true });
    const hook = await receiver.waitForBody('suspended', () => groupHooks('group_status_update').find((g) => g.group_id === id && g.type === 'group_suspend'));
    expect(hook).toEqual({ timestamp: expect.stringMatching(/^\d+$/), type: 'group_suspend', group_id: id });
    expect((await t.get(`/groups/${id}`, { headers: key(), query: { fields: 'suspended' } })).body).toEqual({ id, suspended: true });

    expectMetaError(await send(), 400, 131009, /suspended/);
    expectMetaError(await inbound({ from: ANA, group_id: id, text: { body: 'anyone?' } }), 400, 131009, /suspended/);
    expectMetaError(await t.post('/sandbox/v1/group_join', { headers: key(), json: { from: BEN, group_id: id } }), 400, 131009, /suspended/);
    expectMetaError(await status({ group_id: id, type: 'group_suspend' }), 409, 131009, /already/);

    const cleared = await status({ group_id: id, type: 'group_suspend_cleared' });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body).toEqual({ group_id: id, suspended: false });
    const clearedHook = await receiver.waitForBody('cleared', () => groupHooks('group_status_update').find((g) => g.group_id === id && g.type === 'group_suspend_cleared'));
    expect(clearedHook).toEqual({ timestamp: expect.stringMatching(/^\d+$/), type: 'group_suspend_cleared', group_id: id });
    expect((await t.get(`/groups/${id}`, { headers: key(), query: { fields: 'suspended' } })).body).toEqual({ id, suspended: false });
    expect((await send()).status).toBe(200);
    expect((await inbound({ from: ANA, group_id: id, text: { body: 'back again' } })).status).toBe(200);
    expectMetaError(await status({ group_id: id, type: 'group_suspend_cleared' }), 409, 131009, /not suspended/);

    // Bad bodies, and another number's group.
    expectMetaError(await status({ group_id: id }), 400, 100, /type/);
    expectMetaError(await status({ group_id: id, type: 'suspend' }), 400, 100, /type/);
    expectMetaError(await status({ type: 'group_suspend' }), 400, 100, /group_id/);
    expectMetaError(await status({ group_id: id, type: 'group_suspend', why: 'x' }), 400, 100);
    expectMetaError(await status({ group_id: id, type: 'group_suspend' }, other), 400, 131009, /no group/);
    expect((await t.get(`/groups/${id}`, { headers: key(), query: { fields: 'suspended' } })).body.suspended).toBe(false);
  });
});
