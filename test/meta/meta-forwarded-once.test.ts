// Meta retries a notification it got no 200 for (our 200 lost after the commit): the changes openwaba
// passes on as they came (a number's calls and group fields, a WABA's template and account fields)
// reach the channel's webhook once, also when two deliveries of one notification run at once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { ACCESS_TOKEN, META_ENV, epoch, post } from './meta-webhook-fixtures.ts';

const NUMBER = '106540352278001';
const WABA = '102290129378001';
const USER = '4917600000091';
const GROUP = Buffer.from('capi_group:15550783891:120363404694283891').toString('base64url');

/** One change about NUMBER, with Meta's envelope (entry id, time) around it. */
function change(field: string, value: Record<string, unknown>, time = 1735000000) {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: WABA, time, changes: [{ field, value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550783891', phone_number_id: NUMBER }, ...value } }] }],
  };
}

/** A template's status change of WABA. */
function templateStatus(event: string, templateId = 594425479261001) {
  const value = { event, message_template_id: templateId, message_template_name: 'order_update', message_template_language: 'en_US', reason: 'NONE' };
  return { object: 'whatsapp_business_account', entry: [{ id: WABA, time: 1733486400, changes: [{ field: 'message_template_status_update', value }] }] };
}

describeEachDb("Meta's retried notifications are passed on once", (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  const events = async () =>
    (await t.deps.db.kysely.selectFrom('webhook_events').select(['event_type', 'body']).where('target_id', '=', p.channel_id).orderBy('id').execute()).map((e) => ({
      type: e.event_type,
      body: JSON.parse(e.body),
    }));
  /** Posts each body (all at once when `parallel`), expects 200s, answers the events they added to the channel's outbox. */
  const deliver = async (bodies: unknown[], parallel = false) => {
    const before = (await events()).length;
    const answers = parallel ? await Promise.all(bodies.map((b) => post(t, b))) : [];
    if (!parallel) for (const b of bodies) answers.push(await post(t, b));
    for (const res of answers) expect(res.status, res.text).toBe(200);
    return (await events()).slice(before);
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { env: META_ENV });
    p = await t.tenant();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: NUMBER, wabaId: WABA, accessToken: ACCESS_TOKEN });
    // No dispatcher runs: events stay in the outbox, where the test reads them.
    const res = await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: 'https://receiver.example.com/hook' } });
    expect(res.status, res.text).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('the same calls, group and template-status notification posted twice: one webhook event each', async () => {
    const call = change('calls', { calls: [{ id: 'wacid.once' + Date.now(), to: '15550783891', from: USER, event: 'connect', timestamp: epoch(3), direction: 'USER_INITIATED', session: { sdp_type: 'offer', sdp: 'v=0\r\n' } }] });
    const group = change('group_status_update', { groups: [{ timestamp: epoch(2), group_id: GROUP, type: 'group_suspend' }] });
    const template = templateStatus('APPROVED');
    expect(await deliver([call, call])).toEqual([{ type: 'message', body: call }]);
    expect(await deliver([group, group])).toEqual([{ type: 'group', body: group }]);
    expect(await deliver([template, template])).toEqual([{ type: 'template_status', body: template }]);
    // A retry whose JSON lists the keys in another order is the same change.
    const reordered = { entry: [{ changes: [{ value: Object.fromEntries(Object.entries(call.entry[0]!.changes[0]!.value).reverse()), field: 'calls' }], time: call.entry[0]!.time, id: WABA }], object: 'whatsapp_business_account' };
    expect(await deliver([reordered])).toEqual([]);
  });

  it('different changes each go: another event, another template status, the same value at another entry time', async () => {
    const a = change('group_status_update', { groups: [{ timestamp: epoch(5), group_id: GROUP, type: 'group_suspend_cleared' }] });
    const b = change('group_status_update', { groups: [{ timestamp: epoch(4), group_id: GROUP, type: 'group_suspend' }] });
    const laterA = change('group_status_update', (a.entry[0]!.changes[0]!.value as Record<string, unknown>), 1735000060);
    expect(await deliver([a, b, a, laterA])).toEqual([
      { type: 'group', body: a },
      { type: 'group', body: b },
      { type: 'group', body: laterA },
    ]);
    const paused = templateStatus('PAUSED');
    const other = templateStatus('PAUSED', 594425479261002);
    expect(await deliver([paused, other, paused])).toEqual([
      { type: 'template_status', body: paused },
      { type: 'template_status', body: other },
    ]);
  });

  it('deliveries of one notification at the same moment: only one passes each change on', async () => {
    const bodies = [
      change('calls', { statuses: [{ id: 'wacid.par' + Date.now(), timestamp: epoch(1), type: 'call', status: 'RINGING', recipient_id: USER }] }),
      change('group_lifecycle_update', { groups: [{ timestamp: epoch(1), group_id: GROUP, type: 'group_create', request_id: 'req-par', subject: 'Team' }] }),
      templateStatus('REJECTED', 594425479261003),
    ];
    const got = await deliver(bodies.flatMap((b) => [b, b, b]), true);
    expect(got.map((e) => e.body).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual(
      [...bodies].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    );
    expect(await t.deps.db.kysely.selectFrom('meta_forwarded_changes').select('target').where('field', '=', 'group_lifecycle_update').execute()).toEqual([{ target: p.channel_id }]);
  });
});
