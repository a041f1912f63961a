// A WABA ban: Meta's account_update DISABLED_UPDATE by its ban_info.waba_ban_state. DISABLE bans the
// WABA until a REINSTATE: every sandbox send from its numbers is refused with Meta's 131031 (Cloud
// and On-Premise, each in its own error format), GET /health_status (and the phone number node's
// health_status) shows the WABA entity BLOCKED with an error naming the ban, and the Partner API's
// WABA status is account_banned; REINSTATE brings back the status the WABA had and lets sends go.
// SCHEDULE_FOR_DISABLE refuses nothing. The ban is stored (channels.waba_banned_at), so another
// instance on the same database sees it; it touches no other WABA, raises no partner event (the
// reference names none), and a number added to the banned WABA is banned too. For numbers on
// Meta's network, Meta's own DISABLED_UPDATE is stored alike (the Partner API shows it) but
// openwaba refuses none of their sends: Meta does.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph } from '../helpers/fake-graph.ts';
import { ManualClock } from '../../src/clock.ts';
import { buildApp } from '../../src/app.ts';
import { openDb, type Db } from '../../src/db/index.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createChannel } from '../../src/services/channels.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { ACCESS_TOKEN, META_ENV, post as postMeta } from '../meta/meta-webhook-fixtures.ts';

const USER = '4915550003333';
const template = (to = USER) => ({ messaging_product: 'whatsapp', to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
const text = (to = USER) => ({ messaging_product: 'whatsapp', to, type: 'text', text: { body: 'Hello' } });
const disabled = (waba_ban_state: string) => ({ event: 'DISABLED_UPDATE', ban_info: { waba_ban_state } });

describeEachDb('WABA ban (account_update DISABLED_UPDATE) in the sandbox', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let sibling: { id: string; key: string };
  let wabaExternalId: string;
  let approved: string;
  const clock = new ManualClock(new Date('2026-12-07T09:00:00.000Z'));
  const key = (k = p.channel_api_key) => ({ 'D360-API-KEY': k });
  const raise = async (body: unknown, k = p.channel_api_key) => {
    const res = await t.post('/sandbox/v1/account_update', { headers: key(k), json: body });
    expect(res.status, res.text).toBe(200);
    return res.body;
  };
  const partner = (q: BootstrapResult = p) => ({ headers: partnerKey(q.partner_api_key) });
  const wabaStatus = async (q: BootstrapResult = p) => {
    const res = await t.get(`/api/v2/partners/${q.partner_id}/waba_accounts/${q.waba_account_id}`, partner(q));
    expect(res.status, res.text).toBe(200);
    return res.body.status as string;
  };
  /** The WABA status as the channel object (one, and the list) shows it. */
  const channelWabaStatus = async (q: BootstrapResult = p) => {
    const one = await t.get(`/api/v2/partners/${q.partner_id}/channels/${q.channel_id}`, partner(q));
    expect(one.status, one.text).toBe(200);
    const list = await t.get(`/api/v2/partners/${q.partner_id}/channels`, partner(q));
    expect(list.status, list.text).toBe(200);
    return { one: one.body.waba_account.status as string, list: [...new Set(list.body.partner_channels.map((c: { waba_account: { status: string } }) => c.waba_account.status))] };
  };
  const health = async (k = p.channel_api_key) => {
    const res = await t.get('/health_status', { headers: key(k) });
    expect(res.status, res.text).toBe(200);
    const byType = Object.fromEntries(res.body.health_status.entities.map((e: { entity_type: string }) => [e.entity_type, e]));
    return { overall: res.body.health_status.can_send_message as string, waba: byType.WABA, number: byType.PHONE_NUMBER };
  };
  const outbound = async () => Number((await t.deps.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('direction', '=', 'outbound').executeTakeFirstOrThrow()).n);
  const partnerAccountEvents = async () =>
    Number((await t.deps.db.kysely.selectFrom('webhook_events').select((eb) => eb.fn.countAll().as('n')).where('target_type', '=', 'partner').where('event_type', 'like', 'account_%').executeTakeFirstOrThrow()).n);
  const expectLocked = (res: { status: number; body: any; text: string }) => {
    expect(res.status, res.text).toBe(403);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatchObject({ type: 'OAuthException', code: 131031, error_data: { messaging_product: 'whatsapp' } });
    expect(res.body.error.error_data.details).toMatch(/disabled \(banned\).*DISABLED_UPDATE/);
  };
  const expectSends = async (k = p.channel_api_key) => {
    const cloud = await t.post('/messages', { headers: key(k), json: template() });
    expect(cloud.status, cloud.text).toBe(200);
    const onPrem = await t.post('/v1/messages', { headers: key(k), json: { to: USER, type: 'text', text: { body: 'Hello' } } });
    expect(onPrem.status, onPrem.text).toBe(201);
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    p = await t.tenant();
    other = await t.tenant();
    const ch = await createChannel(t.deps, { partnerId: p.partner_id, clientId: p.client_id, phoneNumber: '4930555000777', phoneName: 'Second line', wabaAccountId: p.waba_account_id });
    sibling = { id: ch.id, key: (await createChannelApiKey(t.deps, ch)).api_key };
    wabaExternalId = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', p.waba_account_id).executeTakeFirstOrThrow()).external_id;
    approved = await wabaStatus();
    expect(approved).toBe('approved');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('SCHEDULE_FOR_DISABLE is only reported: nothing refused, the WABA AVAILABLE and approved', async () => {
    const res = await raise(disabled('SCHEDULE_FOR_DISABLE'));
    expect(res.value.ban_info.waba_ban_state).toBe('SCHEDULE_FOR_DISABLE');
    await expectSends();
    expect((await health()).overall).toBe('AVAILABLE');
    expect(await wabaStatus()).toBe(approved);
    expect((await t.get('/sandbox/v1/account_update', { headers: key() })).body).toEqual({ restrictions: [], waba_banned_at: null });
  });

  it('DISABLE: every send of every number of the WABA refused with 131031, Cloud and On-Premise; nothing stored; no partner event', async () => {
    const events = await partnerAccountEvents();
    const res = await raise(disabled('DISABLE'));
    expect(res.partner_event).toBeNull();
    expect(await partnerAccountEvents()).toBe(events);
    const before = await outbound();
    expectLocked(await t.post('/messages', { headers: key(), json: template() }));
    expectLocked(await t.post('/messages', { headers: key(), json: text() }));
    expectLocked(await t.post('/messages', { headers: key(sibling.key), json: text() }));
    const onPrem = await t.post('/v1/messages', { headers: key(), json: { to: USER, type: 'text', text: { body: 'Hello' } } });
    expect(onPrem.status, onPrem.text).toBe(403);
    expect(onPrem.body.errors[0]).toMatchObject({ code: 131031 });
    expect(onPrem.body.errors[0].details).toMatch(/banned/);
    expect(await outbound()).toBe(before);
    expect((await t.get('/sandbox/v1/account_update', { headers: key(sibling.key) })).body).toEqual({ restrictions: [], waba_banned_at: '2026-12-07T09:00:00.000Z' });
    // Templates are still there to read.
    expect((await t.get('/v1/configs/templates', { headers: key() })).status).toBe(200);
  });

  it('DISABLE: health_status shows the WABA entity BLOCKED with an error naming the ban; the Partner API shows account_banned', async () => {
    for (const k of [p.channel_api_key, sibling.key]) {
      const h = await health(k);
      expect(h.overall).toBe('BLOCKED');
      expect(h.number.can_send_message).toBe('AVAILABLE');
      expect(h.waba).toEqual({
        entity_type: 'WABA',
        id: wabaExternalId,
        can_send_message: 'BLOCKED',
        errors: [{ error_code: 131031, error_description: expect.stringMatching(/banned.*2026-12-07T09:00:00\.000Z.*DISABLE/), possible_solution: expect.stringMatching(/review/) }],
      });
    }
    // The phone number node's health_status field says the same.
    const phoneId = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id;
    const node = await t.get(`/v21.0/${phoneId}`, { headers: bearer(p.channel_api_key), query: { fields: 'health_status' } });
    expect(node.status, node.text).toBe(200);
    expect(node.body.health_status.can_send_message).toBe('BLOCKED');
    expect(await wabaStatus()).toBe('account_banned');
    expect(await channelWabaStatus()).toEqual({ one: 'account_banned', list: ['account_banned'] });
  });

  it('the ban touches no other WABA', async () => {
    await expectSends(other.channel_api_key);
    expect((await health(other.channel_api_key)).overall).toBe('AVAILABLE');
    expect(await wabaStatus(other)).toBe(approved);
    expect(await channelWabaStatus(other)).toEqual({ one: approved, list: [approved] });
    const row = await t.deps.db.kysely.selectFrom('channels').select('waba_banned_at').where('id', '=', other.channel_id).executeTakeFirstOrThrow();
    expect(row.waba_banned_at).toBeNull();
  });

  it('the ban is stored: another instance on the same database refuses the send too; a number added to the banned WABA is banned', async () => {
    let db: Db | undefined;
    let second: FastifyInstance | undefined;
    try {
      db = openDb(t.deps.config.databaseUrl);
      second = await buildApp({ config: t.deps.config, db, clock }, {});
      const res = await second.inject({ method: 'POST', url: '/messages', headers: key(), payload: text() });
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error.code).toBe(131031);
    } finally {
      await second?.close();
      await db?.close();
    }
    const third = await createChannel(t.deps, { partnerId: p.partner_id, clientId: p.client_id, phoneNumber: '4930555000888', phoneName: 'Third line', wabaAccountId: p.waba_account_id });
    expectLocked(await t.post('/messages', { headers: key((await createChannelApiKey(t.deps, third)).api_key), json: text() }));
  });

  it('a second DISABLE keeps the time of the first', async () => {
    clock.set(new Date('2026-12-07T10:00:00.000Z'));
    await raise(disabled('DISABLE'));
    expect((await t.get('/sandbox/v1/account_update', { headers: key() })).body.waba_banned_at).toBe('2026-12-07T09:00:00.000Z');
  });

  it('REINSTATE: sends go again on every number, health AVAILABLE, the WABA’s own status back', async () => {
    const res = await raise(disabled('REINSTATE'), sibling.key);
    expect(res.partner_event).toBeNull();
    await expectSends();
    await expectSends(sibling.key);
    const h = await health();
    expect(h.overall).toBe('AVAILABLE');
    expect(h.waba).toEqual({ entity_type: 'WABA', id: wabaExternalId, can_send_message: 'AVAILABLE' });
    expect(await wabaStatus()).toBe(approved);
    expect(await channelWabaStatus()).toEqual({ one: approved, list: [approved] });
    const rows = await t.deps.db.kysely.selectFrom('channels').select('waba_banned_at').where('waba_account_id', '=', p.waba_account_id).execute();
    expect(rows.map((r) => r.waba_banned_at)).toEqual(rows.map(() => null));
  });

  it('a ban outranks a restriction in force; after the REINSTATE the restriction shows again', async () => {
    const restricted = await t.post('/sandbox/v1/account_update', {
      headers: key(),
      json: { event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_ADD_PHONE_NUMBER_ACTION', expiration: '2026-12-08T10:00:00Z' }] },
    });
    expect(restricted.status, restricted.text).toBe(200);
    expect(await wabaStatus()).toBe('account_restriction');
    await raise(disabled('DISABLE'));
    expect(await wabaStatus()).toBe('account_banned');
    expectLocked(await t.post('/messages', { headers: key(), json: template() }));
    await raise(disabled('REINSTATE'));
    expect(await wabaStatus()).toBe('account_restriction');
    await expectSends();
  });
});

const META_WABA = '102290129340777';
const META_NUMBER = '106540352242977';

describeEachDb('WABA ban of numbers on Meta’s network: stored from Meta’s DISABLED_UPDATE, enforced by Meta', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  const notify = async (waba_ban_state: string) => {
    const body = { object: 'whatsapp_business_account', entry: [{ id: META_WABA, time: Math.floor(Date.now() / 1000), changes: [{ field: 'account_update', value: { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state, waba_ban_date: 'December 7, 2026' } } }] }] };
    const res = await postMeta(t, body);
    expect(res.status, res.text).toBe(200);
  };
  const wabaStatus = async (q: BootstrapResult = p) => {
    const res = await t.get(`/api/v2/partners/${q.partner_id}/waba_accounts/${q.waba_account_id}`, { headers: partnerKey(q.partner_api_key) });
    expect(res.status, res.text).toBe(200);
    return res.body.status as string;
  };
  const bannedAt = async (id = p.channel_id) => (await t.deps.db.kysely.selectFrom('channels').select('waba_banned_at').where('id', '=', id).executeTakeFirstOrThrow()).waba_banned_at;

  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, { env: { ...META_ENV, OPENWABA_META_GRAPH_URL: graph.url } });
    p = await t.tenant();
    other = await t.tenant();
    await attachMetaChannel(t.deps, p.channel_id, { phoneNumberId: META_NUMBER, wabaId: META_WABA, accessToken: ACCESS_TOKEN });
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });

  it('SCHEDULE_FOR_DISABLE stores nothing', async () => {
    await notify('SCHEDULE_FOR_DISABLE');
    expect(await bannedAt()).toBeNull();
    expect(await wabaStatus()).toBe('approved');
  });

  it('DISABLE is stored and shown (account_banned), but the send still goes to Meta', async () => {
    await notify('DISABLE');
    expect(await bannedAt()).toEqual(expect.any(String));
    expect(await wabaStatus()).toBe('account_banned');
    const channel = await t.get(`/api/v2/partners/${p.partner_id}/channels/${p.channel_id}`, { headers: partnerKey(p.partner_api_key) });
    expect(channel.body.waba_account.status).toBe('account_banned');
    expect(await wabaStatus(other)).toBe('approved');
    expect(await bannedAt(other.channel_id)).toBeNull();
    const sent = graph.requests.length;
    const res = await t.post('/messages', { headers: { 'D360-API-KEY': p.channel_api_key }, json: text() });
    expect(res.status, res.text).toBe(200);
    expect(graph.requests.slice(sent).filter((r) => r.method === 'POST' && r.path.endsWith(`/${META_NUMBER}/messages`))).toHaveLength(1);
  });

  it('REINSTATE clears it', async () => {
    await notify('REINSTATE');
    expect(await bannedAt()).toBeNull();
    expect(await wabaStatus()).toBe('approved');
  });
});
