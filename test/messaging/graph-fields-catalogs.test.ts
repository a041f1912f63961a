// Meta's documented Graph fields and small WABA edges:
// - the phone number node and /phone_numbers take Meta's fields (whatsapp_business_manager_messaging_limit,
//   last_onboarded_time, is_pin_enabled, new_name_status, …), answering what openwaba knows and
//   leaving out what it does not; the WABA node takes owner_business_info, status, …;
// - POST /{phone-number-id} {pin} keeps a hash (is_pin_enabled), {new_display_name} a request the
//   sandbox approves after the review delay (verified_name changes); the first /register sets the PIN;
// - GET/POST /{waba-id}/product_catalogs and GET/POST/DELETE /{waba-id}/assigned_users, per WABA;
//   a number on Meta's network asks Meta.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

describeEachDb('documented Graph fields and WABA edges on a sandbox number', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let pnid: string;
  let waba: string;
  let otherWaba: string;
  const auth = (q: BootstrapResult = p) => bearer(q.channel_api_key);
  const wabaOf = async (q: BootstrapResult) => (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', q.waba_account_id).executeTakeFirstOrThrow()).external_id;

  beforeAll(async () => {
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_TEMPLATE_REVIEW_DELAY: '300ms' } });
    p = await t.tenant();
    other = await t.tenant();
    pnid = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id;
    waba = await wabaOf(p);
    otherWaba = await wabaOf(other);
  });
  afterAll(() => t.close());

  const node = async (fields: string, q: BootstrapResult = p, id = pnid) => {
    const res = await t.get(`/v21.0/${id}`, { headers: auth(q), query: { fields } });
    expect(res.status, res.text).toBe(200);
    return res.body as Record<string, unknown>;
  };

  it("answers Meta's phone number fields it knows, leaves out the ones without a value, and still refuses a field Meta's node lacks", async () => {
    const ch = await t.deps.db.kysely.selectFrom('channels').selectAll().where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    const fields = 'whatsapp_business_manager_messaging_limit,messaging_limit_tier,last_onboarded_time,is_pin_enabled,new_name_status,new_display_name,search_visibility,quality_score,certificate,new_certificate,is_on_biz_app,is_preverified_number,eligibility_for_api_business_global_search';
    const body = await node(fields);
    expect(body).toEqual({
      whatsapp_business_manager_messaging_limit: ch.current_limit,
      messaging_limit_tier: ch.current_limit,
      last_onboarded_time: ch.created_at.replace(/\.\d{3}Z$/, '+0000'),
      is_pin_enabled: false,
      quality_score: { score: ch.current_quality_rating },
      is_on_biz_app: false,
      is_preverified_number: false,
      id: pnid,
    });
    expect(body.last_onboarded_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
    const list = await t.get(`/v21.0/${waba}/phone_numbers`, { headers: auth(), query: { fields } });
    expect(list.status, list.text).toBe(200);
    expect(list.body.data).toEqual([body]);
    const bad = await t.get(`/v21.0/${pnid}`, { headers: auth(), query: { fields: 'is_pin_enabled,nope' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe('(#100) Tried accessing nonexisting field (nope) on node type (WhatsAppBusinessPhoneNumber)');
  });

  it('keeps a two-step PIN as a hash only: is_pin_enabled becomes true', async () => {
    const res = await t.post(`/v21.0/${pnid}`, { headers: auth(), json: { pin: '482913' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(await node('is_pin_enabled')).toEqual({ is_pin_enabled: true, id: pnid });
    const row = await t.deps.db.kysely.selectFrom('channel_two_step_pins').selectAll().where('channel_id', '=', p.channel_id).executeTakeFirstOrThrow();
    expect(row.pin_hash).toMatch(/^[0-9a-f]{32}:[0-9a-f]{64}$/);
    expect(row.pin_hash).not.toContain('482913');
    // The other tenant's number has none.
    const otherPnid = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', other.channel_id).executeTakeFirstOrThrow()).external_id;
    expect(await node('is_pin_enabled', other, otherPnid)).toEqual({ is_pin_enabled: false, id: otherPnid });
  });

  it("the first /register's PIN becomes the number's PIN; a later one keeps it", async () => {
    const q = await t.tenant();
    const id = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', q.channel_id).executeTakeFirstOrThrow()).external_id;
    expect(await node('is_pin_enabled', q, id)).toEqual({ is_pin_enabled: false, id });
    expect((await t.post(`/v21.0/${id}/register`, { headers: auth(q), json: { messaging_product: 'whatsapp', pin: '111111' } })).body).toEqual({ success: true });
    expect(await node('is_pin_enabled', q, id)).toEqual({ is_pin_enabled: true, id });
    const first = (await t.deps.db.kysely.selectFrom('channel_two_step_pins').select('pin_hash').where('channel_id', '=', q.channel_id).executeTakeFirstOrThrow()).pin_hash;
    expect((await t.post(`/v21.0/${id}/register`, { headers: auth(q), json: { messaging_product: 'whatsapp', pin: '222222' } })).body).toEqual({ success: true });
    expect((await t.deps.db.kysely.selectFrom('channel_two_step_pins').select('pin_hash').where('channel_id', '=', q.channel_id).executeTakeFirstOrThrow()).pin_hash).toBe(first);
  });

  it("a display name request is PENDING_REVIEW, then the sandbox approves it: verified_name changes, the webhook gets Meta's phone_number_name_update", async () => {
    // A webhook URL set directly (nothing listens there: only the event written is looked at).
    await t.deps.db.kysely.updateTable('channels').set({ webhook_url: 'http://127.0.0.1:9/hook' }).where('id', '=', p.channel_id).execute();
    const res = await t.post(`/v21.0/${pnid}`, { headers: auth(), json: { messaging_product: 'whatsapp', new_display_name: 'Acme Support' } });
    expect(res.status, res.text).toBe(200);
    const pending = await node('verified_name,new_display_name,new_name_status');
    expect(pending).toMatchObject({ new_display_name: 'Acme Support', new_name_status: 'PENDING_REVIEW' });
    expect(pending.verified_name).not.toBe('Acme Support');
    await expect.poll(async () => (await node('new_name_status')).new_name_status, { timeout: 8000, interval: 100 }).toBe('APPROVED');
    expect(await node('verified_name,new_display_name,new_name_status')).toEqual({ verified_name: 'Acme Support', new_display_name: 'Acme Support', new_name_status: 'APPROVED', id: pnid });
    const events = await t.deps.db.kysely.selectFrom('webhook_events').select(['event_type', 'body']).where('target_id', '=', p.channel_id).where('event_type', '=', 'account_update').execute();
    const change = events.map((e) => JSON.parse(e.body)).find((b) => b.entry?.[0]?.changes?.[0]?.field === 'phone_number_name_update');
    expect(change).toMatchObject({ object: 'whatsapp_business_account', entry: [{ id: waba, changes: [{ value: { display_phone_number: p.phone_number, decision: 'APPROVED', requested_verified_name: 'Acme Support' } }] }] });
  });

  it("a display name the sandbox's rules refuse is DECLINED: verified_name stays, the webhook says REJECTED with Meta's reason", async () => {
    await t.deps.db.kysely.updateTable('channels').set({ webhook_url: 'http://127.0.0.1:9/hook' }).where('id', '=', p.channel_id).execute();
    const before = (await node('verified_name')).verified_name;
    const res = await t.post(`/v21.0/${pnid}`, { headers: auth(), json: { messaging_product: 'whatsapp', new_display_name: 'ACME SUPPORT' } });
    expect(res.status, res.text).toBe(200);
    await expect.poll(async () => (await node('new_name_status')).new_name_status, { timeout: 8000, interval: 100 }).toBe('DECLINED');
    expect(await node('verified_name,new_display_name,new_name_status')).toEqual({ verified_name: before, new_display_name: 'ACME SUPPORT', new_name_status: 'DECLINED', id: pnid });
    const events = await t.deps.db.kysely.selectFrom('webhook_events').select(['event_type', 'body']).where('target_id', '=', p.channel_id).where('event_type', '=', 'account_update').execute();
    const change = events.map((e) => JSON.parse(e.body)).find((b) => b.entry?.[0]?.changes?.[0]?.value?.requested_verified_name === 'ACME SUPPORT');
    expect(change?.entry[0].changes[0]).toEqual({
      field: 'phone_number_name_update',
      value: { display_phone_number: p.phone_number, decision: 'REJECTED', requested_verified_name: 'ACME SUPPORT', rejection_reason: 'NAME_FORMAT_UNACCEPTABLE' },
    });
  });

  it("takes Meta's WABA node fields: owner_business_info from the client's business, status and others accepted and left out", async () => {
    const w = await t.deps.db.kysely.selectFrom('waba_accounts').selectAll().where('id', '=', p.waba_account_id).executeTakeFirstOrThrow();
    const client = await t.deps.db.kysely.selectFrom('clients').select('name').where('id', '=', w.client_id).executeTakeFirstOrThrow();
    const ch = await t.deps.db.kysely.selectFrom('channels').select('current_limit').where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    const body = await node('owner_business_info,status,auth_international_rate_eligibility,whatsapp_business_manager_messaging_limit', p, waba);
    expect(body).toEqual({ id: waba, owner_business_info: { name: client.name, id: w.fb_business_id }, whatsapp_business_manager_messaging_limit: ch.current_limit });
  });

  it('GET/POST /{waba-id}/product_catalogs: one catalog per WABA, a new one replaces it; no DELETE; another WABA is not reachable', async () => {
    const list = (q: BootstrapResult = p, id = waba) => t.get(`/v21.0/${id}/product_catalogs`, { headers: auth(q) });
    expect((await list()).body).toEqual({ data: [] });
    const res = await t.post(`/v21.0/${waba}/product_catalogs?catalog_id=1234567890123456`, { headers: auth() });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect((await list()).body).toEqual({ data: [{ id: '1234567890123456' }] });
    expect((await t.post(`/v21.0/${waba}/product_catalogs`, { headers: auth(), json: { catalog_id: 998877 } })).body).toEqual({ success: true });
    expect((await t.get('/product_catalogs', { headers: auth() })).body).toEqual({ data: [{ id: '998877' }] });
    for (const json of [{}, { catalog_id: 'abc' }, { catalog_id: '' }, { catalog_id: ['1', '2'] }]) {
      const bad = await t.post(`/v21.0/${waba}/product_catalogs`, { headers: auth(), json });
      expect(bad.status, JSON.stringify(json)).toBe(400);
      expect(bad.body.error.code).toBe(100);
    }
    // Meta documents no DELETE on this edge: Graph's answer to a method a node does not take.
    const del = await t.request('DELETE', `/v21.0/${waba}/product_catalogs`, { headers: auth() });
    expect(del.status, del.text).toBe(400);
    expect(del.body.error).toMatchObject({ code: 100, error_subcode: 33 });
    expect((await t.get('/product_catalogs', { headers: auth() })).body.data).toHaveLength(1);
    expect((await list(other, otherWaba)).body).toEqual({ data: [] });
    const foreign = await t.post(`/v21.0/${otherWaba}/product_catalogs?catalog_id=1`, { headers: auth() });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.error_subcode).toBe(33);
  });

  it("GET/POST/DELETE /{waba-id}/assigned_users: stored per WABA, tasks in Meta's forms", async () => {
    const list = async (q: BootstrapResult = p, id = waba) => (await t.get(`/v21.0/${id}/assigned_users`, { headers: auth(q), query: { business: '1' } })).body;
    expect(await list()).toEqual({ data: [] });
    const add = await t.post(`/v21.0/${waba}/assigned_users?user=1972555232742222&tasks=${encodeURIComponent("['MANAGE']")}`, { headers: auth() });
    expect(add.status, add.text).toBe(200);
    expect(add.body).toEqual({ success: true });
    expect((await t.post(`/v21.0/${waba}/assigned_users`, { headers: auth(), json: { user: '42', tasks: ['DEVELOP', 'MANAGE_TEMPLATES', 'DEVELOP'] } })).body).toEqual({ success: true });
    expect(await list()).toEqual({ data: [{ id: '1972555232742222', tasks: ['MANAGE'] }, { id: '42', tasks: ['DEVELOP', 'MANAGE_TEMPLATES'] }] });
    // Assigning again replaces the tasks.
    expect((await t.post(`/v21.0/${waba}/assigned_users?user=42&tasks=MANAGE,DEVELOP`, { headers: auth() })).body).toEqual({ success: true });
    expect((await list()).data[1]).toEqual({ id: '42', tasks: ['MANAGE', 'DEVELOP'] });
    for (const q of ['user=42', 'tasks=MANAGE', 'user=abc&tasks=MANAGE', 'user=42&tasks=manage', 'user=42&tasks=[]', 'user=42&tasks=%5B1%5D']) {
      const bad = await t.post(`/v21.0/${waba}/assigned_users?${q}`, { headers: auth() });
      expect(bad.status, q).toBe(400);
      expect(bad.body.error.code).toBe(100);
    }
    expect((await t.request('DELETE', `/v21.0/${waba}/assigned_users?user=42`, { headers: auth() })).body).toEqual({ success: true });
    expect(await list()).toEqual({ data: [{ id: '1972555232742222', tasks: ['MANAGE'] }] });
    expect((await t.request('DELETE', `/v21.0/${waba}/assigned_users`, { headers: auth() })).status).toBe(400);
    expect(await list(other, otherWaba)).toEqual({ data: [] });
    expect((await t.get(`/v21.0/${otherWaba}/assigned_users`, { headers: auth() })).body.error.error_subcode).toBe(33);
  });
});

describeEachDb('product_catalogs and assigned_users on a number on Meta\'s network', (kind) => {
  const WABA = '102290129340398';
  let meta: MetaNumber;
  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: '106540352242955', wabaId: WABA });
  });
  afterAll(async () => {
    await meta?.close();
  });

  it('asks Meta, with only the checked parameters, and answers as Meta does', async () => {
    const { graph, t, p } = meta;
    graph.reset();
    graph.respond({ status: 200, json: { data: [{ id: '555', name: 'Shop' }], paging: {} } }, { status: 200, json: { success: true } }, { status: 200, json: { data: [{ id: '9', name: ' ', tasks: ['MANAGE'] }] } }, { status: 200, json: { success: true } }, { status: 200, json: { success: true } });
    const headers = bearer(p.channel_api_key);
    expect((await t.get(`/v21.0/${WABA}/product_catalogs`, { headers })).body).toEqual({ data: [{ id: '555', name: 'Shop' }], paging: {} });
    expect((await t.post(`/v21.0/${WABA}/product_catalogs?catalog_id=555&access_token=${p.channel_api_key}`, { headers })).body).toEqual({ success: true });
    expect((await t.get(`/v21.0/${WABA}/assigned_users?business=77`, { headers })).body.data[0].tasks).toEqual(['MANAGE']);
    expect((await t.post(`/v21.0/${WABA}/assigned_users?user=9&tasks=MANAGE`, { headers })).body).toEqual({ success: true });
    expect((await t.request('DELETE', `/v21.0/${WABA}/assigned_users?user=9`, { headers })).body).toEqual({ success: true });
    const paths = graph.requests.map((r) => `${r.method} ${r.path.replace(/^\/v\d+\.\d+/, '')}`);
    expect(paths).toEqual([
      `GET /${WABA}/product_catalogs`,
      `POST /${WABA}/product_catalogs`,
      `GET /${WABA}/assigned_users?business=77`,
      `POST /${WABA}/assigned_users?user=9&tasks=%5B%22MANAGE%22%5D`,
      `DELETE /${WABA}/assigned_users?user=9`,
    ]);
    expect(graph.requests[1]!.json).toEqual({ catalog_id: '555' });
  });
});
