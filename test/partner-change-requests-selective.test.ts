// Selective partner change requests: some channels of a client move, under a new client of the
// new partner. A WABA whose numbers all move goes with them (templates too); one that keeps
// numbers behind stays, and the moving numbers get a new WABA. Also: a request that can no longer
// be carried out fails cleanly, and two approvals at once move things once.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { createChannel } from '../src/services/channels.ts';
import { createChannelApiKey } from '../src/services/channel-api-keys.ts';
import { createWabaAccount } from '../src/services/waba-accounts.ts';

const ADMIN = 'pcr-selective-admin-'.padEnd(32, 'y');
const hello = (to: string) => ({ messaging_product: 'whatsapp', to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });

describeEachDb('selective partner change requests', (kind) => {
  let t: TestApp;
  let b: BootstrapResult;
  const admin = { authorization: `Bearer ${ADMIN}` };
  const key = (p: BootstrapResult) => partnerKey(p.partner_api_key);
  const pcrs = (p: BootstrapResult) => `/api/v2/partners/${p.partner_id}/selective_partner_change_requests`;
  const requestChange = (clientId: string, body: unknown) => t.post(`/admin/clients/${clientId}/partner_change_requests`, { headers: admin, json: body });
  const addChannel = async (p: BootstrapResult) => {
    const res = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, { headers: admin, json: {} });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; waba_account_id: string };
  };
  const eventTypes = async (p: BootstrapResult) =>
    ((await t.get(`/api/v2/partners/${p.partner_id}/webhook_events`, { headers: key(p), query: { limit: '1000' } })).body.webhook_events as { event_type: string; payload: { data: { id: string } } }[]);

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    b = await t.tenant();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('one number of a shared WABA moves under a new client with a new WABA; the rest stays with the old partner', async () => {
    const a = await t.tenant();
    const second = await addChannel(a);
    const third = await addChannel(a);
    expect(second.waba_account_id).toBe(a.waba_account_id);

    const created = await requestChange(a.client_id, { new_partner_id: b.partner_id, channel_ids: [second.id, second.id] });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ is_full_migration: false, channel_ids: [second.id], status: 'pending' });
    const approved = await t.post(`${pcrs(b)}/${created.body.id}/approve`, { headers: key(b) });
    expect(approved.status, approved.text).toBe(200);
    const newClientId = approved.body.new_client_id as string;
    expect(approved.body.status).toBe('completed');
    expect(newClientId).toMatch(/CL$/);
    expect(newClientId).not.toBe(a.client_id);

    // B: the new client (a copy of the old one's details) with the one number, on a WABA of its own.
    const newClient = await t.get(`/api/v2/partners/${b.partner_id}/clients/${newClientId}`, { headers: key(b) });
    const oldClient = await t.get(`/api/v2/partners/${a.partner_id}/clients/${a.client_id}`, { headers: key(a) });
    expect(newClient.status).toBe(200);
    expect(newClient.body).toMatchObject({ partner_id: b.partner_id, name: oldClient.body.name, contact_info: oldClient.body.contact_info });
    const moved = await t.get(`/api/v2/partners/${b.partner_id}/channels/${second.id}`, { headers: key(b) });
    expect(moved.body).toMatchObject({ partner_id: b.partner_id, client_id: newClientId });
    expect(moved.body.waba_account_id).not.toBe(a.waba_account_id);
    expect((await t.get(`/api/v2/partners/${b.partner_id}/waba_accounts/${moved.body.waba_account_id}`, { headers: key(b) })).body.client_id).toBe(newClientId);
    const bOfNewClient = await t.get(`/api/v2/partners/${b.partner_id}/channels`, { headers: key(b), query: { filters: JSON.stringify({ client_id: newClientId }) } });
    expect(bOfNewClient.body.partner_channels.map((ch: { id: string }) => ch.id)).toEqual([second.id]);

    // A keeps its client, its WABA and the other two numbers; the moved one is gone from its API.
    const aChannels = await t.get(`/api/v2/partners/${a.partner_id}/channels`, { headers: key(a) });
    expect(aChannels.body.partner_channels.map((ch: { id: string }) => ch.id).sort()).toEqual([a.channel_id, third.id].sort());
    expect((await t.get(`/api/v2/partners/${a.partner_id}/waba_accounts/${a.waba_account_id}`, { headers: key(a) })).status).toBe(200);
    expectPartnerError(await t.get(`/api/v2/partners/${a.partner_id}/channels/${second.id}`, { headers: key(a) }), 404);

    // B got the new client's client_created and the completion; A the completion only.
    const bEvents = await eventTypes(b);
    expect(bEvents.filter((e) => e.event_type === 'client_created' && e.payload.data.id === newClientId)).toHaveLength(1);
    expect(bEvents.filter((e) => e.event_type === 'partner_change_request_completed' && e.payload.data.id === created.body.id)).toHaveLength(1);
    expect((await eventTypes(a)).filter((e) => e.event_type === 'partner_change_request_completed').map((e) => e.payload.data.id)).toEqual([created.body.id]);
  });

  it('a WABA whose numbers all move goes along with its templates, and its numbers keep sending', async () => {
    const a = await t.tenant();
    // A second WABA of the same client, with one number and its D360 key.
    const waba2 = await createWabaAccount(t.deps, { partnerId: a.partner_id, clientId: a.client_id, name: 'Second brand' });
    const ch2 = await createChannel(t.deps, { partnerId: a.partner_id, clientId: a.client_id, phoneNumber: '4915199900011', phoneName: 'Second', wabaAccountId: waba2.id });
    const ch2Key = await createChannelApiKey(t.deps, ch2);
    const flow = await t.post(`/api/v2/partners/${a.partner_id}/waba_accounts/${waba2.id}/flows`, { headers: key(a), json: { name: 'Sign up', categories: ['SIGN_UP'] } });
    expect(flow.status, flow.text).toBe(201);

    const created = await requestChange(a.client_id, { new_partner_id: b.partner_id, channel_ids: [ch2.id] });
    expect(created.body.is_full_migration).toBe(false);
    const approved = await t.post(`${pcrs(b)}/${created.body.id}/approve`, { headers: key(b) });
    expect(approved.status, approved.text).toBe(200);

    const waba = await t.get(`/api/v2/partners/${b.partner_id}/waba_accounts/${waba2.id}`, { headers: key(b) });
    expect(waba.status).toBe(200);
    expect(waba.body.client_id).toBe(approved.body.new_client_id);
    const templates = await t.get(`/api/v2/partners/${b.partner_id}/waba_accounts/${waba2.id}/waba_templates`, { headers: key(b) });
    expect(templates.status, templates.text).toBe(200);
    expect(templates.body.waba_templates.map((x: { name: string }) => x.name)).toContain('hello_world');
    // The templates are B's now (their partner_id, which the Hub's list of B's templates reads).
    const bTemplates = await t.get(`/api/v2/partners/${b.partner_id}/waba_accounts/${waba2.id}/waba_templates`, { headers: key(b), query: { filters: JSON.stringify({ partner_id: b.partner_id }) } });
    expect(bTemplates.body.total).toBe(templates.body.total);
    const flows = await t.get(`/api/v2/partners/${b.partner_id}/waba_accounts/${waba2.id}/flows`, { headers: key(b) });
    expect(flows.status, flows.text).toBe(200);
    expect(flows.body.flows.map((f: { id: string }) => f.id)).toEqual([flow.body.id]);
    expectPartnerError(await t.get(`/api/v2/partners/${a.partner_id}/waba_accounts/${waba2.id}/waba_templates`, { headers: key(a) }), 404);
    expect((await t.get(`/api/v2/partners/${b.partner_id}/channels/${ch2.id}`, { headers: key(b) })).body.waba_account_id).toBe(waba2.id);

    const sent = await t.post('/messages', { headers: { 'D360-API-KEY': ch2Key.api_key }, json: hello('4915112345678') });
    expect(sent.status, sent.text).toBe(200);
    // The first WABA and number stay with A, and keep sending too.
    expect((await t.get(`/api/v2/partners/${a.partner_id}/channels/${a.channel_id}`, { headers: key(a) })).status).toBe(200);
    expect((await t.post('/messages', { headers: { 'D360-API-KEY': a.channel_api_key }, json: hello('4915112345678') })).status).toBe(200);
  });

  it('numbers that get a new WABA leave the old WABA\'s restrictions behind; the numbers staying keep them', async () => {
    const a = await t.tenant();
    const second = await addChannel(a);
    const secondKey = await createChannelApiKey(t.deps, (await t.deps.db.kysely.selectFrom('channels').selectAll().where('id', '=', second.id).executeTakeFirstOrThrow()));
    const restrict = await t.post('/sandbox/v1/account_update', {
      headers: { 'D360-API-KEY': a.channel_api_key },
      json: { event: 'ACCOUNT_RESTRICTION', restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING' }] },
    });
    expect(restrict.status, restrict.text).toBe(200);
    // Both numbers of the WABA are restricted: a template to a user who has not written is refused.
    for (const k of [a.channel_api_key, secondKey.api_key]) {
      const refused = await t.post('/messages', { headers: { 'D360-API-KEY': k }, json: hello('4915112340001') });
      expect(refused.status, refused.text).toBe(403);
      expect(refused.body.error.code).toBe(131031);
    }

    const created = await requestChange(a.client_id, { new_partner_id: b.partner_id, channel_ids: [second.id] });
    expect(created.status, created.text).toBe(201);
    const approved = await t.post(`${pcrs(b)}/${created.body.id}/approve`, { headers: key(b) });
    expect(approved.body.status, approved.text).toBe('completed');

    // The moved number sits on a new WABA of B's, which has no restriction; the one left behind keeps it.
    const sent = await t.post('/messages', { headers: { 'D360-API-KEY': secondKey.api_key }, json: hello('4915112340001') });
    expect(sent.status, sent.text).toBe(200);
    expect((await t.post('/messages', { headers: { 'D360-API-KEY': a.channel_api_key }, json: hello('4915112340001') })).status).toBe(403);
  });

  it('a duplicate row met by the move after its checks (a concurrent write) is a 409 that moves nothing; approving again completes', async () => {
    const a = await t.tenant();
    const second = await addChannel(a);
    const created = await requestChange(a.client_id, { new_partner_id: b.partner_id, channel_ids: [second.id] });
    expect(created.status, created.text).toBe(201);
    // Stands in for a write at the same instant: the selective move copies the client (same name)
    // under the new partner, which this test-only unique index on that one name then refuses.
    const name = `pcr-race-${created.body.id}`;
    await t.deps.db.kysely.updateTable('clients').set({ name }).where('id', '=', a.client_id).execute();
    await sql`create unique index pcr_test_client_name on clients (name) where name = ${sql.lit(name)}`.execute(t.deps.db.kysely);
    try {
      const clashed = await t.post(`${pcrs(b)}/${created.body.id}/approve`, { headers: key(b) });
      expectPartnerError(clashed, 409, created.body.id);
    } finally {
      await sql`drop index pcr_test_client_name`.execute(t.deps.db.kysely);
    }
    expect((await t.get(`${pcrs(b)}/${created.body.id}`, { headers: key(b) })).body.status).toBe('pending');
    expect((await t.get(`/api/v2/partners/${a.partner_id}/channels/${second.id}`, { headers: key(a) })).status).toBe(200);
    const approved = await t.post(`${pcrs(b)}/${created.body.id}/approve`, { headers: key(b) });
    expect(approved.body.status, approved.text).toBe('completed');
  });

  it('a request that can no longer be carried out fails, moves nothing, and says why', async () => {
    const a = await t.tenant();
    const second = await addChannel(a);
    const created = await requestChange(a.client_id, { new_partner_id: b.partner_id, channel_ids: [second.id] });
    const bClients = async () => (await t.get(`/api/v2/partners/${b.partner_id}/clients`, { headers: key(b) })).body.total as number;
    const clientsBefore = await bClients();
    // Meanwhile the number was taken from the client (as an operator repair in the database would).
    const other = await t.tenant();
    await t.deps.db.kysely.updateTable('channels').set({ partner_id: other.partner_id, client_id: other.client_id }).where('id', '=', second.id).execute();

    const res = await t.post(`${pcrs(b)}/${created.body.id}/approve`, { headers: key(b) });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'failed', new_client_id: null, completed_at: null });
    expect(res.body.failure_reason).toContain(second.id);
    expect((await eventTypes(b)).filter((e) => e.event_type === 'partner_change_request_failed').map((e) => e.payload.data.id)).toEqual([created.body.id]);
    expect((await t.get(`/api/v2/partners/${a.partner_id}/clients/${a.client_id}`, { headers: key(a) })).status).toBe(200);
    expect(await bClients()).toBe(clientsBefore);
    expect((await t.get(`/api/v2/partners/${a.partner_id}/channels`, { headers: key(a) })).body.total).toBe(1);
    expectPartnerError(await t.post(`${pcrs(b)}/${created.body.id}/approve`, { headers: key(b) }), 409, 'failed');
    // A failed request is not open: the client may ask again.
    expect((await requestChange(a.client_id, { new_partner_id: b.partner_id })).status).toBe(201);
  });

  it('two approvals at once: one moves, the other is a conflict; the client moves once', async () => {
    const a = await t.tenant();
    const clientsBefore = (await t.get(`/api/v2/partners/${b.partner_id}/clients`, { headers: key(b) })).body.total as number;
    await addChannel(a);
    const created = await requestChange(a.client_id, { new_partner_id: b.partner_id, channel_ids: [a.channel_id] });
    expect(created.body.is_full_migration).toBe(false);
    const [r1, r2] = await Promise.all([
      t.post(`${pcrs(b)}/${created.body.id}/approve`, { headers: key(b) }),
      t.post(`${pcrs(b)}/${created.body.id}/approve`, { headers: key(b) }),
    ]);
    expect([r1.status, r2.status].sort()).toEqual([200, 409]);
    const loser = r1.status === 409 ? r1 : r2;
    expectPartnerError(loser, 409);
    // One new client for the selective move, one completion event per partner.
    expect((await t.get(`/api/v2/partners/${b.partner_id}/clients`, { headers: key(b) })).body.total).toBe(clientsBefore + 1);
    expect((await eventTypes(a)).filter((e) => e.event_type === 'partner_change_request_completed')).toHaveLength(1);
  });
});
