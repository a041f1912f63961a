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
    const group = (pnid: string) => change('group_status_update', { groups: [{ timestamp: epoch(1), group_id: GROUP, type: 'group_suspend' }] }, pnid);
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
