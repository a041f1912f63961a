// A channel the client withdrew during Integrated Onboarding (the redirect's revoked=[…]): the
// partner gets no new D360-API-KEY for it (403 in the Partner API's format, as 360dialog answers
// a partner without the client's permission), cannot revoke the withdrawal as it can its own
// cancellation request, and the channel's existing keys no longer reach the Messaging API (403
// "The endpoint is blocked", as for a cancelled channel). A cancellation the partner requested
// itself leaves its keys working, as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import { OnboardingClient, onboard } from './web/onboarding-client.ts';

describeEachDb('a channel withdrawn by its client', (kind) => {
  let t: TestApp;
  let pid: string;
  let key: string;
  let clientId: string;
  let channelId: string;
  let channelKey: string;
  const c = new OnboardingClient('');
  const base = () => `/dashboard/app/${pid}`;
  const asPartner = () => ({ headers: partnerKey(key) });
  const keysUrl = (chid: string) => `/api/v2/partners/${pid}/channels/${chid}/api_keys`;
  const control = (chid: string) => `/api/v2/partners/${pid}/clients/${clientId}/channels/${chid}/control/cancellation_request`;
  const text = { messaging_product: 'whatsapp', to: '4915112345678', type: 'text', text: { body: 'Hello again' } };
  const send = (d360: string) => t.post('/messages', { headers: { 'D360-API-KEY': d360 }, json: text });

  beforeAll(async () => {
    t = await startTestApp(kind);
    Object.assign(c, { baseUrl: t.baseUrl });
    const tenant = await t.tenant({ brandName: 'Withdrawal Bots' });
    pid = tenant.partner_id;
    key = tenant.partner_api_key;
    await t.patch(`/api/v2/partners/${pid}`, { ...asPartner(), json: { partner_redirect_url: 'https://partner.example/io' } });
    const done = await onboard(c, pid, { name: 'Wanda', email: 'wanda@shop.example', password: 'wanda-secret-1', number: '4915112340077' });
    expect(done.status).toBe(303);
    channelId = /channels=\[([A-Za-z0-9]+)\]/.exec(done.location!)![1]!;
    const u = await t.deps.db.kysely.selectFrom('onboarding_users').selectAll().where('email', '=', 'wanda@shop.example').executeTakeFirstOrThrow();
    clientId = u.client_id!;
    // The partner takes its key, as the reference's flow says, and the key works.
    const created = await t.post(keysUrl(channelId), asPartner());
    expect(created.status, created.text).toBe(201);
    channelKey = created.body.api_key;
    expect((await send(channelKey)).status).toBe(200);
  });
  afterAll(() => t?.close());

  it('the client withdraws the number; its redirect says revoked', async () => {
    expect((await c.post(`${base()}/withdraw`, { channel_id: channelId, confirm: 'yes' })).status).toBe(200);
    const fin = await c.send('POST', `${base()}/finish`, { _csrf: c.csrf! });
    expect(fin.location).toContain(`revoked=[${channelId}]`);
  });

  it('POST …/api_keys answers 403 in the Partner API format, and writes no key', async () => {
    const before = await t.deps.db.kysely.selectFrom('channel_api_keys').select(['id', 'revoked_at']).where('channel_id', '=', channelId).execute();
    const res = await t.post(keysUrl(channelId), asPartner());
    expectPartnerError(res, 403, `Permission denied for partner ${pid}: the client withdrew access to channel ${channelId}`);
    // A form-posting client (curl -d "") gets the same answer.
    expectPartnerError(await t.post(keysUrl(channelId), { headers: { ...partnerKey(key), 'content-type': 'application/x-www-form-urlencoded' }, raw: '' }), 403, /withdrew/);
    const after = await t.deps.db.kysely.selectFrom('channel_api_keys').select(['id', 'revoked_at']).where('channel_id', '=', channelId).execute();
    expect(after).toEqual(before);
  });

  it('the existing key is blocked on every Messaging API route (403, 360dialog’s text), both flavours', async () => {
    const sent = await send(channelKey);
    expect(sent.status, sent.text).toBe(403);
    expect(sent.body).toEqual({ meta: { success: false, http_code: 403, developer_message: 'The endpoint is blocked' } });
    expect((await t.get('/health_status', { headers: { 'D360-API-KEY': channelKey } })).status).toBe(403);
    const onPrem = await t.post('/v1/messages', { headers: { 'D360-API-KEY': channelKey }, json: { to: '4915112345678', type: 'text', text: { body: 'x' } } });
    expect(onPrem.status).toBe(403);
    expect(onPrem.body.meta).toMatchObject({ http_code: 403, developer_message: 'The endpoint is blocked' });
    // No message was stored by the refused sends.
    const stored = await t.deps.db.kysely.selectFrom('messages').select('id').where('channel_id', '=', channelId).execute();
    expect(stored).toHaveLength(1);
  });

  it('the partner cannot revoke the withdrawal (403); asking for cancellation again changes nothing', async () => {
    expectPartnerError(await t.post(control(channelId), { ...asPartner(), json: { enabled: false } }), 403, /withdrew/);
    const again = await t.post(control(channelId), { ...asPartner(), json: { enabled: true } });
    expect(again.status, again.text).toBe(200);
    expect(again.body.cancellation_requested_at).toEqual(expect.any(String));
    expect((await send(channelKey)).status).toBe(403);
  });

  it('listing and revoking the channel’s keys still work (the partner cleans up)', async () => {
    const listed = await t.get(keysUrl(channelId), asPartner());
    expect(listed.status).toBe(200);
    expect(listed.body.api_keys).toHaveLength(1);
    const revoked = await t.delete(keysUrl(channelId), asPartner());
    expect(revoked.status, revoked.text).toBe(200);
    // Revoked now: the key is unknown (401), no longer merely blocked.
    expect((await send(channelKey)).status).toBe(401);
  });

  describe('a cancellation the partner requested itself (not a withdrawal)', () => {
    it('keeps the channel’s key working and allows a new key; the partner may revoke it', async () => {
      const tenant = await t.tenant();
      const path = `/api/v2/partners/${tenant.partner_id}/clients/${tenant.client_id}/channels/${tenant.channel_id}/control/cancellation_request`;
      const own = { headers: partnerKey(tenant.partner_api_key) };
      expect((await t.post(path, { ...own, json: { enabled: true } })).status).toBe(200);
      expect((await send(tenant.channel_api_key)).status).toBe(200);
      const fresh = await t.post(`/api/v2/partners/${tenant.partner_id}/channels/${tenant.channel_id}/api_keys`, own);
      expect(fresh.status, fresh.text).toBe(201);
      expect((await send(fresh.body.api_key)).status).toBe(200);
      expect((await t.post(path, { ...own, json: { enabled: false } })).status).toBe(200);
    });
  });
});
