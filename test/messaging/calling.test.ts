// The Calling API on the sandbox network over real HTTP, on both databases: settings, call
// permissions, business-initiated calls (the simulated user answers, or cannot be reached) and
// user-initiated calls, with their webhooks (field `calls`) at a local receiver; bad bodies and
// On-Premise numbers are refused with Meta's error body.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const ADMIN = 'd'.repeat(32);
const SDP = (setup: string) => ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', `a=setup:${setup}`, 'a=rtpmap:111 opus/48000/2', ''].join('\r\n');
const offer = { sdp_type: 'offer', sdp: SDP('actpass') };
const answer = { sdp_type: 'answer', sdp: SDP('active') };

describeEachDb('Calling API', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let onpremKey: Record<string, string>;
  let pnid: string;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const calls = (json: unknown) => t.post('/calling/calls', { headers: key(), json });
  const settings = (calling: unknown) => t.post('/calling/settings', { headers: key(), json: { calling } });
  const values = () => receiver.bodies().filter((b) => b.entry?.[0]?.changes?.[0]?.field === 'calls').map((b) => b.entry[0].changes[0].value);
  /** The call webhooks (value.calls[] and value.statuses[]) for a call id, once `done` holds for them. */
  const eventsOf = (id: string, done: (events: any[]) => boolean) =>
    receiver.waitForBody(`call events of ${id}`, () => {
      const events = values().flatMap((v) => [...(v.calls ?? []), ...(v.statuses ?? [])]).filter((e: any) => e.id === id);
      return done(events) ? events : undefined;
    });
  const grant = async (from: string, reply: Record<string, unknown> = { response: 'accept' }) => {
    const res = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from, type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: reply } } });
    expect(res.status, res.text).toBe(200);
  };
  const expectGraphError = (res: { status: number; body: any; text: string }, code: number, details: RegExp) => {
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ code, type: expect.any(String), fbtrace_id: expect.any(String) });
    expect(res.body.error.error_data.details).toMatch(details);
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    p = await t.tenant();
    expect((await t.post('/configs/webhook', { headers: key(), json: { url: `${receiver.url}/cloud` } })).status).toBe(200);
    pnid = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id!;
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930123450009', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    onpremKey = { 'D360-API-KEY': k.body.api_key };
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('settings: Meta defaults, then a round trip on 360dialog and Graph paths; only the parts named change', async () => {
    const before = await t.get('/calling/settings', { headers: key() });
    expect(before.status, before.text).toBe(200);
    expect(before.body.calling).toMatchObject({ status: 'DISABLED', call_icon_visibility: 'DEFAULT', callback_permission_status: 'DISABLED', sip: { status: 'DISABLED' } });
    const hours = { status: 'ENABLED', timezone_id: 'America/Manaus', weekly_operating_hours: [{ day_of_week: 'MONDAY', open_time: '0400', close_time: '1020' }], holiday_schedule: [{ date: '2026-01-01', start_time: '0000', end_time: '2359' }] };
    const set = await settings({ status: 'ENABLED', call_icon_visibility: 'DISABLE_ALL', call_hours: hours });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toEqual({ success: true });
    const viaGraph = await t.post(`/v21.0/${pnid}/settings`, { headers: { authorization: `Bearer ${p.channel_api_key}` }, json: { calling: { callback_permission_status: 'ENABLED' } } });
    expect(viaGraph.status, viaGraph.text).toBe(200);
    const after = await t.get(`/v21.0/${pnid}/settings`, { headers: { authorization: `Bearer ${p.channel_api_key}` } });
    expect(after.status, after.text).toBe(200);
    expect(after.body.calling).toEqual({ status: 'ENABLED', call_icon_visibility: 'DISABLE_ALL', call_hours: hours, callback_permission_status: 'ENABLED', sip: { status: 'DISABLED' } });
    expect((await t.get('/calling/settings', { headers: key() })).body).toEqual(after.body);
  });

  it('bad settings bodies answer 400 naming the field, and change nothing', async () => {
    const before = (await t.get('/calling/settings', { headers: key() })).body;
    for (const [body, details] of [
      [{}, /calling: is required/],
      [{ calling: { status: 'ON' } }, /calling\.status/],
      [{ calling: { call_hours: { status: 'ENABLED', weekly_operating_hours: [{ day_of_week: 'MONDAY', open_time: '0900', close_time: '1700' }] } } }, /timezone_id: is required/],
      [{ calling: { call_hours: { status: 'ENABLED', timezone_id: 'Mars/Base', weekly_operating_hours: [] } } }, /timezone_id/],
      [{ calling: { call_hours: { status: 'DISABLED', weekly_operating_hours: [{ day_of_week: 'MONDAY', open_time: '1700', close_time: '0900' }] } } }, /close_time: must be after open_time/],
      [{ calling: { sip: { status: 'ENABLED' } } }, /sip\.servers: is required/],
      [{ calling: { colour: 'red' } }, /colour/],
      [{ calling: {} }, /names nothing to change/],
    ] as const) {
      const res = await t.post('/calling/settings', { headers: key(), json: body });
      expectGraphError(res, 100, details);
    }
    expect((await t.get('/calling/settings', { headers: key() })).body).toEqual(before);
  });

  it('a business call needs calling ENABLED and the user\'s permission (138006); the permission state says so', async () => {
    const wa = '4917600001001';
    expectGraphError(await settings({ status: 'DISABLED' }).then(() => calls({ messaging_product: 'whatsapp', to: wa, action: 'connect', session: offer })), 100, /Calling is not enabled/);
    expect((await settings({ status: 'ENABLED' })).status).toBe(200);
    const refused = await calls({ messaging_product: 'whatsapp', to: wa, action: 'connect', session: offer });
    expectGraphError(refused, 138006, /permission to call/);
    const state = await t.get(`/calling/permissions/${wa}`, { headers: key() });
    expect(state.status, state.text).toBe(200);
    expect(state.body).toMatchObject({ messaging_product: 'whatsapp', permission: { status: 'no_permission' } });
    expect(state.body.actions.find((a: any) => a.action_name === 'start_call').can_perform_action).toBe(false);
    // A rejected request leaves no permission either.
    await grant(wa, { response: 'reject' });
    expectGraphError(await calls({ messaging_product: 'whatsapp', to: wa, action: 'connect', session: offer }), 138006, /permission/);
    expect(await t.deps.db.kysely.selectFrom('calls').select('id').where('channel_id', '=', p.channel_id).where('wa_id', '=', wa).execute()).toEqual([]);
  });

  it('100 connected business calls to a user in 24 hours: the next connect is refused (138012); older ones and unanswered ones do not count', async () => {
    const wa = '4917600001009';
    expect((await settings({ status: 'ENABLED' })).status).toBe(200);
    await grant(wa);
    const now = Date.now();
    const row = (i: number, startedMsAgo: number | null, direction: 'BUSINESS_INITIATED' | 'USER_INITIATED' = 'BUSINESS_INITIATED') => {
      const created = new Date(now - (startedMsAgo ?? 3_600_000) - 5_000).toISOString();
      const start = startedMsAgo === null ? null : new Date(now - startedMsAgo).toISOString();
      return { id: `wacid.limit${kind}${i}`, channel_id: p.channel_id, wa_id: wa, direction, state: start ? 'ended' : 'rejected', biz_opaque_callback_data: null, created_at: created, start_time: start, end_time: created, modified_at: created };
    };
    // 99 connected in the last hours, one connected 25 hours ago, one declined, one the user made.
    const rows = [...Array.from({ length: 99 }, (_, i) => row(i, 60_000 * (i + 1))), row(99, 25 * 3_600_000), row(100, null), row(101, 60_000, 'USER_INITIATED')];
    await t.deps.db.kysely.insertInto('calls').values(rows).execute();
    const usage = async () => (await t.get(`/calling/permissions/${wa}`, { headers: key() })).body.actions.find((a: any) => a.action_name === 'start_call');
    expect(await usage()).toMatchObject({ can_perform_action: true, limits: [{ time_period: 'PT24H', max_allowed: 100, current_usage: 99 }] });
    await t.deps.db.kysely.insertInto('calls').values(row(102, 30_000)).execute();
    expect(await usage()).toMatchObject({ can_perform_action: false, limits: [{ max_allowed: 100, current_usage: 100 }] });
    const refused = await calls({ messaging_product: 'whatsapp', to: wa, action: 'connect', session: offer });
    expectGraphError(refused, 138012, /100 business-initiated calls .* connected in the last 24 hours.*next call is allowed at \d{4}-/);
    expect(refused.body.error.message).toMatch(/Business Initiated Calls Limit Hit/);
    const stored = await t.deps.db.kysely.selectFrom('calls').select('id').where('channel_id', '=', p.channel_id).where('wa_id', '=', wa).execute();
    expect(stored).toHaveLength(rows.length + 1);
    // Another user of the same number is not held back by this user's calls.
    const other = '4917600001010';
    await grant(other);
    expect((await usage()).limits[0].current_usage).toBe(100);
    expect((await t.get(`/calling/permissions/${other}`, { headers: key() })).body.actions.find((a: any) => a.action_name === 'start_call')).toMatchObject({ can_perform_action: true });
  });

  it('permission granted by a call_permission_reply → connect → RINGING, connect (SDP answer), ACCEPTED → terminate with duration', async () => {
    const wa = '4917600001002';
    expect((await settings({ status: 'ENABLED' })).status).toBe(200);
    await grant(wa);
    const state = await t.get(`/call_permissions`, { headers: key(), query: { user_wa_id: wa } });
    expect(state.status, state.text).toBe(200);
    expect(state.body.permission).toEqual({ status: 'granted', expiration_time: expect.any(Number) });
    expect(state.body.actions.find((a: any) => a.action_name === 'start_call')).toMatchObject({ can_perform_action: true, limits: [{ time_period: 'PT24H', max_allowed: 100, current_usage: 0 }] });

    const res = await calls({ messaging_product: 'whatsapp', to: wa, action: 'connect', session: offer, biz_opaque_callback_data: 'order-7' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ messaging_product: 'whatsapp', calls: [{ id: expect.stringMatching(/^wacid\./) }] });
    const id = res.body.calls[0].id as string;
    const events = await eventsOf(id, (es) => es.some((e) => e.status === 'ACCEPTED'));
    expect(events.map((e) => e.event ?? e.status)).toEqual(['RINGING', 'connect', 'ACCEPTED']);
    expect(events[0]).toMatchObject({ type: 'call', status: 'RINGING', recipient_id: wa, biz_opaque_callback_data: 'order-7', timestamp: expect.stringMatching(/^\d+$/) });
    expect(events[1]).toMatchObject({ event: 'connect', direction: 'BUSINESS_INITIATED', to: wa, from: p.phone_number, session: { sdp_type: 'answer', sdp: expect.stringMatching(/^v=0\r\n[\s\S]*m=audio /) } });
    const envelope = receiver.bodies().find((b) => b.entry?.[0]?.changes?.[0]?.value?.calls?.[0]?.id === id);
    expect(envelope).toMatchObject({ object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'calls', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: pnid } } }] }] });

    // Only terminate applies to the business's own call.
    expectGraphError(await calls({ messaging_product: 'whatsapp', call_id: id, action: 'accept', session: answer }), 100, /business's own call/);
    const end = await calls({ messaging_product: 'whatsapp', call_id: id, action: 'terminate' });
    expect(end.status, end.text).toBe(200);
    expect(end.body).toEqual({ success: true });
    const [terminated] = (await eventsOf(id, (es) => es.some((e) => e.event === 'terminate'))).filter((e) => e.event === 'terminate');
    expect(terminated).toMatchObject({ event: 'terminate', status: 'COMPLETED', direction: 'BUSINESS_INITIATED', start_time: expect.stringMatching(/^\d+$/), end_time: expect.stringMatching(/^\d+$/), duration: expect.any(Number) });
    expect(terminated.duration).toBe(Number(terminated.end_time) - Number(terminated.start_time));
    const row = await t.deps.db.kysely.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ channel_id: p.channel_id, wa_id: wa, direction: 'BUSINESS_INITIATED', state: 'ended' });
    expectGraphError(await calls({ messaging_product: 'whatsapp', call_id: id, action: 'terminate' }), 100, /has ended/);
    expectGraphError(await calls({ messaging_product: 'whatsapp', call_id: 'wacid.nothing', action: 'terminate' }), 100, /no call wacid\.nothing/);
  });

  it('an unreachable user: REJECTED, then a FAILED terminate', async () => {
    const wa = '4917600001003';
    expect((await settings({ status: 'ENABLED' })).status).toBe(200);
    await grant(wa);
    expect((await t.post(`/sandbox/v1/users/${wa}`, { headers: key(), json: { unreachable: true } })).status).toBe(200);
    const res = await calls({ messaging_product: 'whatsapp', to: wa, action: 'connect', session: offer });
    expect(res.status, res.text).toBe(200);
    const events = await eventsOf(res.body.calls[0].id, (es) => es.some((e) => e.event === 'terminate'));
    expect(events.map((e) => e.event ?? e.status)).toEqual(['REJECTED', 'terminate']);
    expect(events[1]).toMatchObject({ status: 'FAILED' });
    expect(events[1].duration).toBeUndefined();
  });

  it('a user calls: connect with an SDP offer → pre_accept → accept → terminate; another is rejected; the call grants callback permission', async () => {
    const wa = '4917600001004';
    expect((await settings({ status: 'ENABLED', callback_permission_status: 'ENABLED' })).status).toBe(200);
    const rang = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: wa, type: 'call' } });
    expect(rang.status, rang.text).toBe(200);
    const id = rang.body.calls[0].id as string;
    expect(id).toMatch(/^wacid\./);
    const [connect] = await eventsOf(id, (es) => es.length > 0);
    expect(connect).toMatchObject({ event: 'connect', direction: 'USER_INITIATED', from: wa, session: { sdp_type: 'offer', sdp: expect.stringMatching(/^v=0\r\n/) } });
    expectGraphError(await calls({ messaging_product: 'whatsapp', call_id: id, action: 'accept' }), 100, /session: is required/);
    for (const action of ['pre_accept', 'accept']) {
      const r = await calls({ messaging_product: 'whatsapp', call_id: id, action, session: answer });
      expect(r.status, `${action}: ${r.text}`).toBe(200);
      expect(r.body).toEqual({ success: true });
    }
    expectGraphError(await calls({ messaging_product: 'whatsapp', call_id: id, action: 'reject' }), 100, /terminate/);
    expect((await calls({ messaging_product: 'whatsapp', call_id: id, action: 'terminate' })).status).toBe(200);
    const ended = (await eventsOf(id, (es) => es.some((e) => e.event === 'terminate'))).find((e) => e.event === 'terminate');
    expect(ended).toMatchObject({ status: 'COMPLETED', direction: 'USER_INITIATED', from: wa, duration: expect.any(Number) });
    expectGraphError(await calls({ messaging_product: 'whatsapp', call_id: id, action: 'accept', session: answer }), 100, /has ended/);

    const again = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: wa, type: 'call' } });
    const second = again.body.calls[0].id as string;
    // Meta's path, as a client written for the Cloud API calls it.
    const rejected = await t.post(`/v21.0/${pnid}/calls`, { headers: { authorization: `Bearer ${p.channel_api_key}` }, json: { messaging_product: 'whatsapp', call_id: second, action: 'reject' } });
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.body).toEqual({ success: true });
    expect((await eventsOf(second, (es) => es.some((e) => e.event === 'terminate'))).find((e) => e.event === 'terminate')).toMatchObject({ status: 'FAILED' });
    // The user's calls granted a temporary permission (callback_permission_status ENABLED).
    expect((await t.get(`/calling/permissions/${wa}`, { headers: key() })).body.permission).toMatchObject({ status: 'granted', expiration_time: expect.any(Number) });
  });

  it("calls are the channel's own: another channel's key cannot act on them", async () => {
    expect((await settings({ status: 'ENABLED' })).status).toBe(200);
    const rang = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: '4917600001005', type: 'call' } });
    const other = await t.tenant();
    await t.post('/calling/settings', { headers: { 'D360-API-KEY': other.channel_api_key }, json: { calling: { status: 'ENABLED' } } });
    const res = await t.post('/calling/calls', { headers: { 'D360-API-KEY': other.channel_api_key }, json: { messaging_product: 'whatsapp', call_id: rang.body.calls[0].id, action: 'terminate' } });
    expectGraphError(res, 100, /no call/);
  });

  it('bad call bodies answer 400 with Meta\'s error body', async () => {
    expect((await settings({ status: 'ENABLED' })).status).toBe(200);
    const wa = '4917600001006';
    for (const [body, details] of [
      ['not json object', /body/],
      [{ to: wa, action: 'connect', session: offer }, /messaging_product/],
      [{ messaging_product: 'whatsapp', to: wa, action: 'ring', session: offer }, /action/],
      [{ messaging_product: 'whatsapp', to: wa, action: 'connect' }, /session: is required/],
      [{ messaging_product: 'whatsapp', to: wa, action: 'connect', session: answer }, /sdp_type: must be "offer"/],
      [{ messaging_product: 'whatsapp', to: wa, action: 'connect', session: { sdp_type: 'offer', sdp: 'hello' } }, /RFC 8866/],
      [{ messaging_product: 'whatsapp', action: 'connect', session: offer }, /to/],
      [{ messaging_product: 'whatsapp', action: 'terminate' }, /call_id/],
      [{ messaging_product: 'whatsapp', action: 'terminate', call_id: 'wacid.x', session: offer }, /session: is not taken/],
      [{ messaging_product: 'whatsapp', to: wa, action: 'connect', session: offer, extra: 1 }, /extra/],
    ] as const) {
      const res = await t.post('/calling/calls', { headers: key(), json: body });
      expectGraphError(res, 100, details);
    }
  });

  it('On-Premise numbers have no Calling API: 400 on every calling path and for a simulated call', async () => {
    for (const [method, path, json] of [
      ['GET', '/calling/settings', undefined],
      ['POST', '/calling/settings', { calling: { status: 'ENABLED' } }],
      ['POST', '/calling/calls', { messaging_product: 'whatsapp', to: '4917600001007', action: 'connect', session: offer }],
      ['GET', '/calling/permissions/4917600001007', undefined],
    ] as const) {
      const res = await t.request(method, path, { headers: onpremKey, ...(json ? { json } : {}) });
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(400);
      expect(res.body.error.error_data.details).toMatch(/On-Premise/);
    }
    const rang = await t.post('/sandbox/v1/inbound', { headers: onpremKey, json: { from: '4917600001007', type: 'call' } });
    expect(rang.status).toBe(400);
    expect(JSON.stringify(rang.body)).toMatch(/On-Premise/);
  });
});
