// Meta's calls and group webhooks (fields `calls`, group_lifecycle_update, group_participants_update,
// group_settings_update, group_status_update) reach the channel of the number they name, in the
// Cloud format Meta sent them, through the same path as its messages; a group message keeps its
// group_id and does not open the user's 24-hour window.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { ACCESS_TOKEN, META_ENV, epoch, notification, post, wamid } from './meta-webhook-fixtures.ts';

const NUMBER = '106540352277001';
const SILENT_NUMBER = '106540352277002';
const WABA = '102290129340398';
const USER = '4917600000077';
const GROUP = Buffer.from('capi_group:15550783881:120363404694283820').toString('base64url');

/** One change about NUMBER, with Meta's envelope (entry id, time) around it. */
function change(field: string, value: Record<string, unknown>, phoneNumberId = NUMBER) {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: WABA, time: 1735000000, changes: [{ field, value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId }, ...value } }] }],
  };
}

describeEachDb('Meta calls and group webhooks to the channel', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let silent: BootstrapResult;
  const callRow = (id: string) =>
    t.deps.db.kysely.selectFrom('calls').select(['channel_id', 'wa_id', 'direction', 'state', 'created_at', 'start_time', 'end_time']).where('id', '=', id).executeTakeFirst();
  const events = async (channelId: string) =>
    (await t.deps.db.kysely.selectFrom('webhook_events').select(['event_type', 'body']).where('target_id', '=', channelId).orderBy('id').execute()).map((e) => ({
      type: e.event_type,
      body: JSON.parse(e.body),
    }));
  /** Posts a notification signed as Meta does and answers the events it added to the channel's outbox. */
  const deliver = async (body: unknown, channelId = p.channel_id) => {
    const before = (await events(channelId)).length;
    const res = await post(t, body);
    expect(res.status, res.text).toBe(200);
    return (await events(channelId)).slice(before);
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { env: META_ENV });
    p = await t.tenant();
    silent = await t.tenant();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: NUMBER, wabaId: WABA, accessToken: ACCESS_TOKEN });
    await attachMetaChannel(t.deps, silent.channel_id, { phoneNumberId: SILENT_NUMBER, wabaId: WABA, accessToken: ACCESS_TOKEN });
    // No dispatcher runs: events stay in the outbox, where the test reads them.
    const res = await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: 'https://receiver.example.com/hook' } });
    expect(res.status, res.text).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("calls: a connect, a call's statuses and its terminate reach the channel's webhook as Meta sent them", async () => {
    const callId = 'wacid.HBgLMTYzMTU1NTEyMzQVAgASGCA3' + Date.now();
    const connect = change('calls', {
      contacts: [{ profile: { name: 'Jane' }, wa_id: USER }],
      calls: [{ id: callId, to: '15550783881', from: USER, event: 'connect', timestamp: epoch(3), direction: 'USER_INITIATED', session: { sdp_type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } }],
    });
    const statuses = change('calls', { statuses: [{ id: callId, timestamp: epoch(2), type: 'call', status: 'RINGING', recipient_id: USER }, { id: callId, timestamp: epoch(1), type: 'call', status: 'ACCEPTED', recipient_id: USER }] });
    const terminate = change('calls', {
      calls: [{ id: callId, to: '15550783881', from: USER, event: 'terminate', direction: 'USER_INITIATED', timestamp: epoch(0), status: 'COMPLETED', start_time: epoch(1), end_time: epoch(0), duration: 1 }],
    });
    const got = [...(await deliver(connect)), ...(await deliver(statuses)), ...(await deliver(terminate))];
    expect(got).toEqual([
      { type: 'message', body: connect },
      { type: 'status', body: statuses },
      { type: 'message', body: terminate },
    ]);
    // Written down in openwaba's calls too, in the same transaction: the user's call, answered, ended.
    const iso = (e: string) => new Date(Number(e) * 1000).toISOString();
    const [c0, t0] = [(connect.entry[0]!.changes[0]!.value as any).calls as any[], (terminate.entry[0]!.changes[0]!.value as any).calls as any[]];
    expect(await callRow(callId)).toEqual({ channel_id: p.channel_id, wa_id: USER, direction: 'USER_INITIATED', state: 'ended', created_at: iso(c0[0].timestamp), start_time: iso(t0[0].start_time), end_time: iso(t0[0].end_time) });
  });

  it("calls are recorded by Meta's call id, moving only forward; a number without a webhook records them too; 100 connected a day refuse the next", async () => {
    const iso = (e: string) => new Date(Number(e) * 1000).toISOString();
    // Times fixed once: a second boundary passed mid-test changes nothing.
    const now = Number(epoch());
    const at = (ago: number) => String(now - ago);
    // A business call: RINGING, then a late RINGING after ACCEPTED changes nothing, then its terminate.
    const biz = 'wacid.biz' + Date.now();
    const to = (s: string, ago: number) => ({ id: biz, timestamp: at(ago), type: 'call', status: s, recipient_id: USER, biz_opaque_callback_data: 'ord-1' });
    await deliver(change('calls', { statuses: [to('RINGING', 50)] }));
    expect(await callRow(biz)).toMatchObject({ direction: 'BUSINESS_INITIATED', state: 'ringing', start_time: null });
    await deliver(change('calls', { statuses: [to('ACCEPTED', 40), to('RINGING', 50)] }));
    expect(await callRow(biz)).toMatchObject({ state: 'accepted', start_time: iso(at(40)) });
    const end = { id: biz, to: USER, from: '15550783881', event: 'terminate', direction: 'BUSINESS_INITIATED', timestamp: at(10), status: 'COMPLETED', start_time: at(40), end_time: at(10), duration: 30 };
    await deliver(change('calls', { calls: [end] }));
    await deliver(change('calls', { statuses: [to('ACCEPTED', 40)] }));
    expect(await callRow(biz)).toEqual({ channel_id: p.channel_id, wa_id: USER, direction: 'BUSINESS_INITIATED', state: 'ended', created_at: iso(at(50)), start_time: iso(at(40)), end_time: iso(at(10)) });
    // A declined one: REJECTED, then FAILED; never connected.
    const declined = 'wacid.declined' + Date.now();
    await deliver(change('calls', { statuses: [{ id: declined, timestamp: at(5), type: 'call', status: 'REJECTED', recipient_id: USER }] }));
    await deliver(change('calls', { calls: [{ id: declined, to: USER, from: '15550783881', event: 'terminate', direction: 'BUSINESS_INITIATED', timestamp: at(4), status: 'FAILED' }] }));
    expect(await callRow(declined)).toMatchObject({ state: 'rejected', start_time: null, end_time: iso(at(5)) });
    // The number without a webhook: nothing forwarded, the call recorded all the same.
    const quiet = 'wacid.quiet' + Date.now();
    const ring = change('calls', { calls: [{ id: quiet, to: '15550783882', from: USER, event: 'connect', timestamp: at(3), direction: 'USER_INITIATED', session: { sdp_type: 'offer', sdp: 'v=0\r\n' } }] }, SILENT_NUMBER);
    expect(await deliver(ring, silent.channel_id)).toEqual([]);
    expect(await callRow(quiet)).toMatchObject({ channel_id: silent.channel_id, state: 'ringing', direction: 'USER_INITIATED' });
    // The same call id named by the other number does not touch this number's row.
    await deliver(change('calls', { calls: [{ id: quiet, to: '15550783881', from: USER, event: 'terminate', direction: 'USER_INITIATED', timestamp: at(1), status: 'FAILED' }] }));
    expect(await callRow(quiet)).toMatchObject({ channel_id: silent.channel_id, state: 'ringing', end_time: null });
    // Items that cannot be read are skipped, the notification still answered 200.
    const junk = change('calls', { calls: [{ id: 42, event: 'connect' }, { id: 'wacid.nodir', event: 'terminate' }, 'x'], statuses: [{ id: 'wacid.nots', type: 'call', status: 'ACCEPTED' }] });
    expect(await deliver(junk)).toHaveLength(1);
    expect(await callRow('wacid.nodir')).toBeUndefined();
    expect(await callRow('wacid.nots')).toBeUndefined();
    // The recorded calls count toward Meta's 100 connected business calls a day: 99 more answered
    // ones make 100, and the next connect is refused here (138012) before it goes to Meta.
    const many = Array.from({ length: 99 }, (_, i) => ({ id: `wacid.many${i}x${now}`, timestamp: at(20), type: 'call', status: 'ACCEPTED', recipient_id: USER }));
    await deliver(change('calls', { statuses: many }));
    const refused = await t.post('/calling/calls', {
      headers: { 'D360-API-KEY': p.channel_api_key },
      json: { messaging_product: 'whatsapp', to: USER, action: 'connect', session: { sdp_type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n' } },
    });
    expect(refused.status, refused.text).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 138012 });
  });

  it('the four group fields reach the webhook as Meta sent them (event type group)', async () => {
    const bodies = [
      change('group_lifecycle_update', { groups: [{ timestamp: epoch(4), group_id: GROUP, type: 'group_create', request_id: 'req1', subject: 'Team', invite_link: 'https://chat.whatsapp.com/AbC123' }] }),
      change('group_participants_update', { groups: [{ timestamp: epoch(3), group_id: GROUP, type: 'group_participants_add', reason: 'invite_link', added_participants: [{ wa_id: USER }] }] }),
      change('group_settings_update', { groups: [{ timestamp: epoch(2), group_id: GROUP, type: 'group_settings_update', request_id: 'req2', group_subject: { text: 'New name', update_successful: true } }] }),
      change('group_status_update', { groups: [{ timestamp: epoch(1), group_id: GROUP, type: 'group_suspend' }] }),
    ];
    const got = [];
    for (const b of bodies) got.push(...(await deliver(b)));
    expect(got).toEqual(bodies.map((body) => ({ type: 'group', body })));
  });

  it('several changes in one notification: each to its own webhook, in order, beside messages', async () => {
    const text = { from: USER, id: wamid(), timestamp: epoch(1), type: 'text', text: { body: 'hi' } };
    const a = change('group_status_update', { groups: [{ timestamp: epoch(1), group_id: GROUP, type: 'group_suspend_cleared' }] });
    const b = notification(NUMBER, { contacts: [{ profile: { name: 'Jane' }, wa_id: USER }], messages: [text] }, WABA) as ReturnType<typeof change>;
    const body = { object: 'whatsapp_business_account', entry: [{ ...a.entry[0]!, changes: [...a.entry[0]!.changes, ...b.entry[0]!.changes] }] };
    const got = await deliver(body);
    expect(got.map((e) => e.type).sort()).toEqual(['group', 'message']);
    expect(got.find((e) => e.type === 'group')!.body.entry[0].changes[0]).toEqual(a.entry[0]!.changes[0]);
    expect(got.find((e) => e.type === 'message')!.body.entry[0].changes[0].value.messages[0]).toMatchObject({ id: text.id, text: { body: 'hi' } });
  });

  it("a group message keeps its group_id and does not open the user's 24-hour window", async () => {
    const user = '4917600000078';
    const msg = { from: user, group_id: GROUP, id: wamid(), timestamp: epoch(1), type: 'text', text: { body: 'hello group' } };
    const got = await deliver(notification(NUMBER, { contacts: [{ profile: { name: 'Gus' }, wa_id: user }], messages: [msg] }, WABA));
    expect(got).toHaveLength(1);
    expect(got[0]!.type).toBe('message');
    expect(got[0]!.body.entry[0].changes[0].value.messages).toEqual([msg]);
    const row = await t.deps.db.kysely.selectFrom('messages').select(['id', 'wa_id']).where('id', '=', msg.id).executeTakeFirst();
    expect(row).toEqual({ id: msg.id, wa_id: user });
    const u = await t.deps.db.kysely.selectFrom('sandbox_users').select(['last_inbound_at']).where('channel_id', '=', p.channel_id).where('wa_id', '=', user).executeTakeFirstOrThrow();
    expect(u.last_inbound_at).toBeNull();
    // A group_id that is no id is skipped (named in the log), the rest taken: 200, nothing stored.
    const bad = { ...msg, id: wamid(), group_id: { not: 'an id' } };
    expect(await deliver(notification(NUMBER, { messages: [bad] }, WABA))).toEqual([]);
    expect(await t.deps.db.kysely.selectFrom('messages').select('id').where('id', '=', bad.id).executeTakeFirst()).toBeUndefined();
  });

  it('an unknown number, a change without metadata, a channel without a webhook: 200, nothing forwarded', async () => {
    // A time of its own: the same change as an earlier test's (same body, same second) would be a retry, passed on once.
    const group = (pnid: string) => change('group_status_update', { groups: [{ timestamp: epoch(86_400), group_id: GROUP, type: 'group_suspend' }] }, pnid);
    expect(await deliver(group('106540352299999'))).toEqual([]);
    const noMeta = { object: 'whatsapp_business_account', entry: [{ id: WABA, changes: [{ field: 'calls', value: { calls: [{ id: 'wacid.x', event: 'connect' }] } }] }] };
    expect(await deliver(noMeta)).toEqual([]);
    const notObj = { object: 'whatsapp_business_account', entry: [{ id: WABA, changes: [{ field: 'group_lifecycle_update', value: 'nope' }] }] };
    expect(await deliver(notObj)).toEqual([]);
    expect(await deliver(group(SILENT_NUMBER), silent.channel_id)).toEqual([]);
    // The same change about the number with a webhook does go (the refusals above are not vacuous).
    const ours = group(NUMBER);
    expect(await deliver(ours)).toEqual([{ type: 'group', body: ours }]);
  });
});
