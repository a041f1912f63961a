// The operator API under /admin: present only with OPENWABA_ADMIN_TOKEN, guarded by it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { bearer, partnerKey, startTestApp, type TestApp } from './helpers/app.ts';

const ADMIN_TOKEN = 'x'.repeat(32);
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describeEachDb('admin API', (kind) => {
  describe('without OPENWABA_ADMIN_TOKEN', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(kind);
    });
    afterAll(() => t.close());

    it('/admin does not exist, whatever the credential', async () => {
      for (const [method, path] of [
        ['GET', '/admin/partners'],
        ['POST', '/admin/partners'],
        ['POST', '/admin/bootstrap'],
      ] as const) {
        const res = await t.request(method, path, { headers: admin, json: { brand_name: 'X', username: 'x@example.com' } });
        expect(res.status, `${method} ${path}`).toBe(404);
      }
      const doc = await t.get('/openapi.json');
      expect(Object.keys(doc.body.paths).filter((p) => p.startsWith('/admin'))).toEqual([]);
    });
  });

  describe('with OPENWABA_ADMIN_TOKEN', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN_TOKEN } });
    });
    afterAll(() => t.close());

    const partnerCount = async () => (await t.get('/admin/partners', { headers: admin })).body.partners.length as number;
    const login = (username: string, password: string) => t.post('/api/v2/token', { json: { username, password } });

    it('401 without the token, with a wrong one, or with another kind of credential', async () => {
      const tenant = await t.tenant();
      const attempts: Record<string, string>[] = [
        {},
        { authorization: `Bearer ${'y'.repeat(32)}` },
        { authorization: `Bearer ${ADMIN_TOKEN.slice(0, 31)}` },
        { authorization: ADMIN_TOKEN },
        { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
        { 'x-api-key': ADMIN_TOKEN },
        partnerKey(tenant.partner_api_key),
      ];
      for (const headers of attempts) {
        const res = await t.post('/admin/partners', { headers, json: { brand_name: 'Nope', username: 'nope@example.com' } });
        expect(res.status, JSON.stringify(headers)).toBe(401);
        expect(res.body.meta).toMatchObject({ success: false, http_code: 401 });
      }
      // Authentication comes before body validation.
      expect((await t.post('/admin/partners', { json: { nonsense: true } })).status).toBe(401);
      expect((await t.get('/admin/partners')).status).toBe(401);
      // The admin token is not a Partner API credential.
      expect((await t.get(`/api/v2/partners/${tenant.partner_id}`, { headers: admin })).status).toBe(401);
    });

    it('an unknown admin route is a 404 in the Partner API format', async () => {
      const res = await t.get('/admin/nothing-here?x=1', { headers: admin });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ meta: { success: false, http_code: 404, developer_message: 'Route GET /admin/nothing-here not found' } });
    });

    it('POST /admin/partners creates a partner and a hub user who can get a token', async () => {
      const res = await t.post('/admin/partners', { headers: admin, json: { brand_name: 'Acme', username: 'Ops@Acme.example', country: 'de' } });
      expect(res.status).toBe(201);
      const { partner, hub_user } = res.body;
      expect(partner.id).toMatch(/^[0-9A-Za-z]{10}PA$/);
      expect(hub_user).toMatchObject({ partner_id: partner.id, username: 'ops@acme.example', password: expect.any(String) });
      const token = await login('ops@acme.example', hub_user.password);
      expect(token.status).toBe(200);
      const me = await t.get(`/api/v2/partners/${partner.id}`, { headers: bearer(token.body.access_token) });
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(partner.id);
    });

    it('a chosen password is not echoed back, and works', async () => {
      const res = await t.post('/admin/partners', { headers: admin, json: { brand_name: 'Chosen', username: 'chosen@example.com', password: 'correct horse battery' } });
      expect(res.status).toBe(201);
      expect(res.body.hub_user.password).toBeUndefined();
      expect(res.text).not.toContain('correct horse battery');
      expect((await login('chosen@example.com', 'correct horse battery')).status).toBe(200);
    });

    it('POST /admin/partners/{pid}/hub_users adds a user to that partner', async () => {
      const created = await t.post('/admin/partners', { headers: admin, json: { brand_name: 'Two Users', username: 'first@two.example' } });
      const pid = created.body.partner.id;
      const res = await t.post(`/admin/partners/${pid}/hub_users`, { headers: admin, json: { username: 'second@two.example' } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ partner_id: pid, username: 'second@two.example', password: expect.any(String) });
      const token = await login('second@two.example', res.body.password);
      expect(token.status).toBe(200);
      expect((await t.get(`/api/v2/partners/${pid}`, { headers: bearer(token.body.access_token) })).status).toBe(200);

      const unknown = await t.post('/admin/partners/nopeNOPE00PA/hub_users', { headers: admin, json: { username: 'ghost@two.example' } });
      expect(unknown.status).toBe(404);
    });

    it('409 for a username that exists, and no partner is left half-created', async () => {
      await t.post('/admin/partners', { headers: admin, json: { brand_name: 'Taken', username: 'taken@example.com' } });
      const before = await partnerCount();
      const again = await t.post('/admin/partners', { headers: admin, json: { brand_name: 'Taken 2', username: 'TAKEN@example.com' } });
      expect(again.status).toBe(409);
      expect(again.body.meta).toMatchObject({ success: false, http_code: 409 });
      expect(await partnerCount()).toBe(before);

      const created = await t.post('/admin/partners', { headers: admin, json: { brand_name: 'Other', username: 'other@example.com' } });
      const dup = await t.post(`/admin/partners/${created.body.partner.id}/hub_users`, { headers: admin, json: { username: 'taken@example.com' } });
      expect(dup.status).toBe(409);
    });

    it('400 for a bad body, naming the problem', async () => {
      const bad: [unknown, RegExp][] = [
        [{ username: 'a@example.com' }, /brand_name/],
        [{ brand_name: 'X' }, /username/],
        [{ brand_name: '', username: 'a@example.com' }, /brand_name/],
        [{ brand_name: 'X', username: 'a@example.com', password: 'short' }, /password/],
        [{ brand_name: 'X', username: 'has space@example.com' }, /username/],
        [{ brand_name: 'X', username: 'a@example.com', country: 'DEU' }, /country/],
        [{ brand_name: 'X', username: 'a@example.com', colour: 'red' }, /colour/],
      ];
      const before = await partnerCount();
      for (const [json, message] of bad) {
        const res = await t.post('/admin/partners', { headers: admin, json });
        expect(res.status, JSON.stringify(json)).toBe(400);
        expect(res.body.meta.developer_message).toMatch(message);
      }
      const broken = await t.post('/admin/partners', { headers: { ...admin, 'content-type': 'application/json' }, raw: '{"brand_name":' });
      expect(broken.status).toBe(400);
      expect(await partnerCount()).toBe(before);
    });

    it('POST /admin/partners/{pid}/api_keys creates a working partner API key', async () => {
      const created = await t.post('/admin/partners', { headers: admin, json: { brand_name: 'Keyed', username: 'keyed@example.com' } });
      const pid = created.body.partner.id;
      const res = await t.post(`/admin/partners/${pid}/api_keys`, { headers: admin, json: { name: 'integration' } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ name: 'integration', api_key: expect.stringMatching(/^owpk_/) });
      expect(res.body.api_key.startsWith(res.body.prefix)).toBe(true);
      const me = await t.get(`/api/v2/partners/${pid}`, { headers: partnerKey(res.body.api_key) });
      expect(me.status).toBe(200);

      expect((await t.post(`/admin/partners/${pid}/api_keys`, { headers: admin, json: {} })).status).toBe(400);
      // The same name rule as the Partner API and the Hub: trimmed, then 1 to 100 characters.
      const padded = await t.post(`/admin/partners/${pid}/api_keys`, { headers: admin, json: { name: '  ops  ' } });
      expect(padded.status).toBe(201);
      expect(padded.body.name).toBe('ops');
      for (const name of ['   ', 'n'.repeat(101)]) {
        const res = await t.post(`/admin/partners/${pid}/api_keys`, { headers: admin, json: { name } });
        expect(res.status, name).toBe(400);
        expect(res.body.meta.developer_message).toMatch(/name must be 1 to 100 characters long, leading and trailing spaces not counted/);
      }
      expect((await t.post('/admin/partners/nopeNOPE00PA/api_keys', { headers: admin, json: { name: 'x' } })).status).toBe(404);
    });

    it('POST /admin/bootstrap creates a complete tenant, like `openwaba bootstrap --json`', async () => {
      const res = await t.post('/admin/bootstrap', { headers: admin });
      expect(res.status).toBe(201);
      expect(Object.keys(res.body).sort()).toEqual(
        ['channel_api_key', 'channel_id', 'client_id', 'partner_api_key', 'partner_id', 'password', 'phone_number', 'username', 'waba_account_id'],
      );
      const b = res.body;
      const channels = await t.get(`/api/v2/partners/${b.partner_id}/channels`, { headers: partnerKey(b.partner_api_key) });
      expect(channels.status).toBe(200);
      expect(JSON.stringify(channels.body)).toContain(b.channel_id);
      expect((await login(b.username, b.password)).status).toBe(200);
    });

    it('POST /admin/channels/{chid}/status terminated: availability error in the object, the list and its filter; the key is blocked', async () => {
      const c = await t.tenant();
      const asC = { headers: partnerKey(c.partner_api_key) };
      const channels = `/api/v2/partners/${c.partner_id}/channels`;
      const sending = { 'D360-API-KEY': c.channel_api_key };
      expect((await t.get('/v1/configs/phone_number', { headers: sending })).status).toBe(200);

      const res = await t.post(`/admin/channels/${c.channel_id}/status`, { headers: admin, json: { status: 'terminated' } });
      expect(res.status).toBe(200);
      // Seed 001's "Channel Statuses": not in the final stages of onboarding (setting_up) but
      // non-operational and not being set up (error).
      expect(res.body).toMatchObject({ id: c.channel_id, status: 'terminated', availability_status: 'error', meta_status: 'DISCONNECTED' });
      expect(res.body.terminated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

      const one = await t.get(`${channels}/${c.channel_id}`, asC);
      expect(one.body).toEqual(res.body);
      const listed = await t.get(channels, asC);
      expect(listed.body.partner_channels.find((ch: { id: string }) => ch.id === c.channel_id)).toEqual(res.body);
      const errors = await t.get(channels, { ...asC, query: { filters: JSON.stringify({ availability_status: 'error' }) } });
      expect(errors.body.partner_channels.map((ch: { id: string }) => ch.id)).toEqual([c.channel_id]);
      const settingUp = await t.get(channels, { ...asC, query: { filters: JSON.stringify({ availability_status: 'setting_up' }) } });
      expect(settingUp.body.total).toBe(0);

      // The Messaging API still answers a cancelled channel's key with 360's 403 (it goes by the
      // termination, not by availability_status).
      const blocked = await t.get('/v1/configs/phone_number', { headers: sending });
      expect(blocked.status).toBe(403);
      expect(blocked.body).toEqual({ meta: { success: false, http_code: 403, developer_message: 'The endpoint is blocked' } });
      expect((await t.get('/health_status', { headers: sending })).status).toBe(403);

      // The change and its partner event are one: the event is in the outbox with the channel object.
      const outbox = await t.get(`/api/v2/partners/${c.partner_id}/webhook_events`, { ...asC, query: { filters: JSON.stringify({ event_type: 'cancellation_processed' }) } });
      expect(outbox.body.webhook_events).toHaveLength(1);
      expect(outbox.body.webhook_events[0].payload).toEqual({ id: outbox.body.webhook_events[0].id, event: 'cancellation_processed', data: res.body });
    });

    it('a channel is not created terminated: 400, and the create body does not offer it', async () => {
      const c = await t.tenant();
      const res = await t.post(`/admin/partners/${c.partner_id}/clients/${c.client_id}/channels`, { headers: admin, json: { status: 'terminated' } });
      expect(res.status).toBe(400);
      expect(res.body.meta).toMatchObject({ success: false, http_code: 400 });
      const doc = (await t.get('/openapi.json')).body;
      const body = doc.paths['/admin/partners/{partner_id}/clients/{client_id}/channels'].post.requestBody.content['application/json'].schema;
      const offered = JSON.stringify(body.properties.status);
      expect(offered).toContain('live');
      expect(offered).not.toContain('terminated');
      expect(JSON.stringify(doc.paths['/admin/channels/{channel_id}/status'].post.requestBody)).toContain('terminated');
    });

    it('GET /admin/partners lists every partner, with no secrets', async () => {
      const res = await t.get('/admin/partners', { headers: admin });
      expect(res.status).toBe(200);
      expect(res.body.partners.length).toBeGreaterThanOrEqual(6);
      for (const p of res.body.partners) expect(p.id).toMatch(/PA$/);
      expect(res.text).not.toMatch(/password|api_key|owpk_/);
    });

    it('the admin routes are documented with the AdminToken scheme', async () => {
      const doc = (await t.get('/openapi.json')).body;
      expect(doc.components.securitySchemes.AdminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(doc.paths['/admin/partners'].post.security).toEqual([{ AdminToken: [] }]);
    });
  });
});
