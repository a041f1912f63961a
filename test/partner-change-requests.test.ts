// Partner change requests: a client of partner A asks (through the operator, as through
// 360dialog's Client Hub) to move to partner B; B lists, reads and approves; the client, its WABA
// and channels move in one transaction; both partners get events; nobody else sees anything.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import { planOf } from './helpers/query-plan.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { pcrListQueries } from '../src/services/partner-change-requests.ts';

const ADMIN = 'pcr-admin-token-'.padEnd(32, 'x');
const hello = (to: string) => ({ messaging_product: 'whatsapp', to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });

describeEachDb('partner change requests', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let c: BootstrapResult;
  const admin = { authorization: `Bearer ${ADMIN}` };
  const key = (p: BootstrapResult) => partnerKey(p.partner_api_key);
  const pcrs = (p: BootstrapResult) => `/api/v2/partners/${p.partner_id}/selective_partner_change_requests`;
  const settings = (p: BootstrapResult) => `/api/v2/partners/${p.partner_id}/settings/partner_change_request`;
  const requestChange = (clientId: string, body: unknown) => t.post(`/admin/clients/${clientId}/partner_change_requests`, { headers: admin, json: body });
  const eventsOf = async (p: BootstrapResult, type: string) => {
    const res = await t.get(`/api/v2/partners/${p.partner_id}/webhook_events`, { headers: key(p), query: { filters: JSON.stringify({ event_type: type }) } });
    expect(res.status, res.text).toBe(200);
    return res.body.webhook_events as { payload: { event: string; data: Record<string, unknown> } }[];
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    a = await t.tenant();
    b = await t.tenant();
    c = await t.tenant();
  });
  afterAll(async () => {
    await t?.close();
  });

  let pcrId: string;

  it('a client asks to move to partner B: B sees the pending request and hears of it; A and C see nothing', async () => {
    const created = await requestChange(a.client_id, { new_partner_id: b.partner_id });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      status: 'pending',
      is_full_migration: true,
      client_id: a.client_id,
      new_client_id: null,
      old_partner_id: a.partner_id,
      new_partner_id: b.partner_id,
      channel_ids: [a.channel_id],
      auto_approved: false,
      completed_at: null,
      approved_by: null,
    });
    expect(created.body.id).toMatch(/^[0-9A-Za-z]{10}PCR$/);
    pcrId = created.body.id;

    const list = await t.get(pcrs(b), { headers: key(b) });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ count: 1, total: 1, limit: 100, offset: 0, sort: ['-created_at'], filters: {} });
    expect(list.body.partner_change_requests.map((r: { id: string }) => r.id)).toEqual([pcrId]);
    const one = await t.get(`${pcrs(b)}/${pcrId}`, { headers: key(b) });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(list.body.partner_change_requests[0]);
    const [event] = await eventsOf(b, 'partner_change_request_created');
    expect(event!.payload).toMatchObject({ event: 'partner_change_request_created', data: { id: pcrId, status: 'pending' } });

    // The old partner and a stranger: an empty list, and the request is not found.
    for (const p of [a, c]) {
      expect((await t.get(pcrs(p), { headers: key(p) })).body).toMatchObject({ count: 0, total: 0, partner_change_requests: [] });
      expectPartnerError(await t.get(`${pcrs(p)}/${pcrId}`, { headers: key(p) }), 404, pcrId);
      expectPartnerError(await t.post(`${pcrs(p)}/${pcrId}/approve`, { headers: key(p) }), 404, pcrId);
    }
    // A's key on B's path is another partner's path: 403, as everywhere in the Partner API.
    expectPartnerError(await t.post(`${pcrs(b)}/${pcrId}/approve`, { headers: key(a) }), 403);
    expectPartnerError(await t.get(pcrs(b), {}), 401);
    // Nothing moved yet; and one open request per client.
    expect((await t.get(`/api/v2/partners/${a.partner_id}/clients/${a.client_id}`, { headers: key(a) })).status).toBe(200);
    expectPartnerError(await requestChange(a.client_id, { new_partner_id: c.partner_id }), 409, pcrId);
  });

  it('B approves: the client, its WABA, channel and keys move to B at once; the number keeps sending; both partners hear of it', async () => {
    const approved = await t.post(`${pcrs(b)}/${pcrId}/approve`, { headers: key(b) });
    expect(approved.status, approved.text).toBe(200);
    expect(approved.body).toMatchObject({ id: pcrId, status: 'completed', new_client_id: a.client_id, channel_ids: [a.channel_id], approved_by: { user_name: 'api_key' } });
    expect(approved.body.completed_at).toMatch(/Z$/);

    const client = await t.get(`/api/v2/partners/${b.partner_id}/clients/${a.client_id}`, { headers: key(b) });
    expect(client.status).toBe(200);
    expect(client.body.partner_id).toBe(b.partner_id);
    const channel = await t.get(`/api/v2/partners/${b.partner_id}/channels/${a.channel_id}`, { headers: key(b) });
    expect(channel.status).toBe(200);
    expect(channel.body).toMatchObject({ partner_id: b.partner_id, client_id: a.client_id, waba_account_id: a.waba_account_id });
    expect((await t.get(`/api/v2/partners/${b.partner_id}/waba_accounts/${a.waba_account_id}`, { headers: key(b) })).status).toBe(200);
    const keys = await t.get(`/api/v2/partners/${b.partner_id}/channels/${a.channel_id}/api_keys`, { headers: key(b) });
    expect(keys.status).toBe(200);
    expect(keys.body.api_keys).toHaveLength(1);

    // The old partner's Partner API has lost them.
    expectPartnerError(await t.get(`/api/v2/partners/${a.partner_id}/clients/${a.client_id}`, { headers: key(a) }), 404);
    expectPartnerError(await t.get(`/api/v2/partners/${a.partner_id}/channels/${a.channel_id}`, { headers: key(a) }), 404);
    expectPartnerError(await t.get(`/api/v2/partners/${a.partner_id}/waba_accounts/${a.waba_account_id}`, { headers: key(a) }), 404);
    expectPartnerError(await t.get(`/api/v2/partners/${a.partner_id}/channels/${a.channel_id}/api_keys`, { headers: key(a) }), 404);
    const aChannels = await t.get(`/api/v2/partners/${a.partner_id}/channels`, { headers: key(a) });
    expect(aChannels.body.total).toBe(0);

    // The number keeps working for messaging with its key, with its WABA's templates.
    const sent = await t.post('/messages', { headers: { 'D360-API-KEY': a.channel_api_key }, json: hello('4915112345678') });
    expect(sent.status, sent.text).toBe(200);

    for (const p of [a, b]) {
      const events = await eventsOf(p, 'partner_change_request_completed');
      expect(events).toHaveLength(1);
      expect(events[0]!.payload.data).toMatchObject({ id: pcrId, status: 'completed', old_partner_id: a.partner_id, new_partner_id: b.partner_id });
    }
    // Done once: a second approval is a conflict, and changes nothing.
    expectPartnerError(await t.post(`${pcrs(b)}/${pcrId}/approve`, { headers: key(b) }), 409, 'completed');
  });

  it('lists with the envelope, filters and sort', async () => {
    const d = await t.tenant();
    const e = await t.tenant();
    const fromD = await requestChange(d.client_id, { new_partner_id: b.partner_id });
    const fromE = await requestChange(e.client_id, { new_partner_id: b.partner_id, channel_ids: [e.channel_id] });
    expect(fromE.status).toBe(201);
    // Every channel selected is the whole client.
    expect(fromE.body.is_full_migration).toBe(true);
    const list = (query: Record<string, string>) => t.get(pcrs(b), { headers: key(b), query });

    const pending = await list({ filters: '{"status":"pending"}' });
    expect(pending.body).toMatchObject({ count: 2, total: 2, filters: { status: 'pending' } });
    expect(pending.body.partner_change_requests.map((r: { id: string }) => r.id).sort()).toEqual([fromD.body.id, fromE.body.id].sort());
    // Python-style quotes, as some clients send them.
    const byClient = await list({ filters: `{'client_id': '${d.client_id}'}` });
    expect(byClient.body.partner_change_requests.map((r: { id: string }) => r.id)).toEqual([fromD.body.id]);
    expect((await list({ filters: '{"status":"completed","is_full_migration":true}' })).body.partner_change_requests.map((r: { id: string }) => r.id)).toEqual([pcrId]);

    const asc = (await list({ sort: 'created_at' })).body;
    const desc = (await list({})).body;
    expect(asc.sort).toEqual(['created_at']);
    expect(asc.total).toBe(3);
    expect(desc.partner_change_requests.map((r: { id: string }) => r.id)).toEqual(asc.partner_change_requests.map((r: { id: string }) => r.id).reverse());
    const page = await list({ sort: 'created_at', limit: '1', offset: '1' });
    expect(page.body).toMatchObject({ count: 1, total: 3, limit: 1, offset: 1 });
    expect(page.body.partner_change_requests[0].id).toBe(asc.partner_change_requests[1].id);

    expectPartnerError(await list({ sort: 'channel_ids' }), 400, 'sort');
    expectPartnerError(await list({ filters: '{"new_partner_id":"x"}' }), 400, 'filter');
    expectPartnerError(await list({ filters: 'not json' }), 400);
    expectPartnerError(await list({ limit: 'ten' }), 400, 'limit');
    expectPartnerError(await list({ filters: '{"created_at":"yesterday"}' }), 400);
  });

  it('auto_approve: requests to a partner that has it on complete at once; the setting is per partner', async () => {
    expect((await t.get(settings(c), { headers: key(c) })).body).toEqual({ auto_approve: false });
    // 360dialog's own example sends the string "true".
    const on = await t.patch(settings(c), { headers: key(c), json: { auto_approve: 'true' } });
    expect(on.status, on.text).toBe(200);
    expect(on.body).toEqual({ auto_approve: true });
    expect((await t.get(settings(c), { headers: key(c) })).body).toEqual({ auto_approve: true });
    expect((await t.get(settings(b), { headers: key(b) })).body).toEqual({ auto_approve: false });
    expectPartnerError(await t.patch(settings(c), { headers: key(b), json: { auto_approve: true } }), 403);

    const f = await t.tenant();
    const done = await requestChange(f.client_id, { new_partner_id: c.partner_id });
    expect(done.status, done.text).toBe(201);
    expect(done.body).toMatchObject({ status: 'completed', auto_approved: true, new_client_id: f.client_id, approved_by: { user_id: 'system' } });
    expect((await t.get(`/api/v2/partners/${c.partner_id}/clients/${f.client_id}`, { headers: key(c) })).status).toBe(200);
    expectPartnerError(await t.get(`/api/v2/partners/${f.partner_id}/clients/${f.client_id}`, { headers: partnerKey(f.partner_api_key) }), 404);
    expect((await eventsOf(f, 'partner_change_request_completed')).map((e) => e.payload.data.id)).toEqual([done.body.id]);

    expect((await t.patch(settings(c), { headers: key(c), json: { auto_approve: false } })).body).toEqual({ auto_approve: false });
    const g = await t.tenant();
    expect((await requestChange(g.client_id, { new_partner_id: c.partner_id })).body.status).toBe('pending');

    expectPartnerError(await t.patch(settings(c), { headers: key(c), json: { auto_approve: 'maybe' } }), 400, 'auto_approve');
    expectPartnerError(await t.patch(settings(c), { headers: key(c), json: {} }), 400, 'auto_approve');
    expectPartnerError(await t.patch(settings(c), { headers: key(c), json: { auto_approve: 1 } }), 400);
    expectPartnerError(await t.patch(settings(c), { headers: key(c), json: { auto_approve: true, other: 1 } }), 400);
  });

  it('refuses bad requests with a clear 4xx in the Partner API error format', async () => {
    const h = await t.tenant();
    expectPartnerError(await requestChange('nopeCL', { new_partner_id: b.partner_id }), 404, 'nopeCL');
    expectPartnerError(await requestChange(h.client_id, { new_partner_id: 'unknownPA' }), 400, 'unknownPA');
    expectPartnerError(await requestChange(h.client_id, { new_partner_id: h.partner_id }), 400, 'already belongs');
    expectPartnerError(await requestChange(h.client_id, { new_partner_id: b.partner_id, channel_ids: [] }), 400);
    expectPartnerError(await requestChange(h.client_id, { new_partner_id: b.partner_id, channel_ids: [b.channel_id] }), 400, b.channel_id);
    expectPartnerError(await requestChange(h.client_id, { new_partner_id: b.partner_id, extra: true }), 400);
    expectPartnerError(await requestChange(h.client_id, {}), 400, 'new_partner_id');
    expectPartnerError(await t.post(`/admin/clients/${h.client_id}/partner_change_requests`, { json: { new_partner_id: b.partner_id } }), 401);
    // None of those left a request behind.
    expect((await t.get(pcrs(b), { headers: key(b), query: { filters: JSON.stringify({ client_id: h.client_id }) } })).body.total).toBe(0);

    expectPartnerError(await t.post(`${pcrs(b)}/unknownPCR/approve`, { headers: key(b) }), 404, 'unknownPCR');
    expectPartnerError(await t.get(`${pcrs(b)}/${'x'.repeat(65)}`, { headers: key(b) }), 400);
  });

  it('the receiving partner’s list reads its own index', async () => {
    const q = pcrListQueries(t.deps, b.partner_id, {});
    expect(await planOf(t, q.rows, { preferIndexes: true })).toMatch(/pcr_new_partner_created/);
    expect(await planOf(t, q.total, { preferIndexes: true })).toMatch(/pcr_new_partner_created/);
  });

  it('documents the routes in /openapi.json with their error bodies', async () => {
    const doc = (await t.get('/openapi.json')).body as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const list = doc.paths['/api/v2/partners/{partner_id}/selective_partner_change_requests']!.get!;
    expect(Object.keys(list.responses).sort()).toEqual(['200', '400', '401', '403', '404']);
    const approve = doc.paths['/api/v2/partners/{partner_id}/selective_partner_change_requests/{pcr_id}/approve']!.post!;
    expect(Object.keys(approve.responses).sort()).toEqual(['200', '400', '401', '403', '404', '409']);
    expect(doc.paths['/api/v2/partners/{partner_id}/settings/partner_change_request']!.patch).toBeDefined();
    expect(doc.paths['/admin/clients/{client_id}/partner_change_requests']!.post).toBeDefined();
  });
});
