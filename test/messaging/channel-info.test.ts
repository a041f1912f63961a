// About the number: phone number, health, business profile, contact checks — and the D360-API-KEY
// check every Messaging API route makes (401 in 360's body, 403 for a cancelled channel).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const INVALID_KEY = { meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } };

describeEachDb('channel info', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let q: BootstrapResult;
  const key = (who: BootstrapResult = p) => ({ 'D360-API-KEY': who.channel_api_key });
  const setChannel = (id: string, values: Record<string, string | null>) => t.deps.db.kysely.updateTable('channels').set(values).where('id', '=', id).execute();

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    q = await t.tenant();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('the channel key', () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/v1/configs/phone_number'],
      ['GET', '/health_status'],
      ['GET', '/v1/health'],
      ['GET', '/whatsapp_business_profile'],
      ['POST', '/whatsapp_business_profile', { nonsense: true }],
      ['POST', '/v1/contacts', 'not even an object'],
      ['GET', '/v1/configs/webhook'],
      ['POST', '/v1/configs/webhook', { url: 'https://example.com/x' }],
      ['GET', '/configs/webhook'],
      ['POST', '/configs/webhook', { url: 5 }],
      ['GET', '/v1/settings/business/profile'],
      ['POST', '/v1/settings/business/profile', { vertical: 'Restaurant' }],
      ['GET', '/v1/settings/profile/about'],
      ['PATCH', '/v1/settings/profile/about', { text: 'x' }],
    ];

    it.each(routes)('%s %s: 401 {"meta":{…"Invalid api_key"}} without a key, with a wrong one, or with a partner key', async (method, path, json) => {
      const variants: Record<string, string>[] = [{}, { 'D360-API-KEY': 'wrong' }, { 'D360-API-KEY': '' }, { 'D360-API-KEY': 'x'.repeat(300) }, partnerKey(p.partner_api_key), { 'x-d360-api-key': p.channel_api_key }];
      for (const headers of variants) {
        const res = await t.request(method, path, { headers, json });
        expect(res.status, `${method} ${path} ${JSON.stringify(headers).slice(0, 60)}`).toBe(401);
        expect(res.body).toEqual(INVALID_KEY);
      }
    });

    it('the header name is case-insensitive', async () => {
      for (const name of ['D360-API-KEY', 'D360-Api-Key', 'd360-api-key', 'd360-API-key']) {
        const res = await t.get('/v1/configs/phone_number', { headers: { [name]: p.channel_api_key } });
        expect(res.status, name).toBe(200);
        expect(res.body).toEqual({ phone_number: p.phone_number });
      }
    });

    it('a replaced (revoked) key is a 401; the new key works', async () => {
      const c = await t.tenant();
      const created = await t.post(`/api/v2/partners/${c.partner_id}/channels/${c.channel_id}/api_keys`, { headers: partnerKey(c.partner_api_key) });
      expect(created.status, created.text).toBeLessThan(300);
      expect((await t.get('/v1/configs/phone_number', { headers: key(c) })).body).toEqual(INVALID_KEY);
      expect((await t.get('/v1/configs/phone_number', { headers: { 'D360-API-KEY': created.body.api_key } })).status).toBe(200);
    });

    it("a cancelled channel's key: 403 on every route, in 360's body", async () => {
      const c = await t.tenant();
      await setChannel(c.channel_id, { terminated_at: new Date().toISOString() });
      for (const [method, path, json] of routes) {
        const res = await t.request(method, path, { headers: key(c), json });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body).toEqual({ meta: { success: false, http_code: 403, developer_message: 'The endpoint is blocked' } });
      }
      const send = await t.post('/messages', { headers: key(c), json: { messaging_product: 'whatsapp', to: '4917612345678', type: 'text', text: { body: 'hi' } } });
      expect(send.status).toBe(403);
    });
  });

  describe('phone number and health', () => {
    it("GET /v1/configs/phone_number: each key sees its own channel's number", async () => {
      expect((await t.get('/v1/configs/phone_number', { headers: key(p) })).body).toEqual({ phone_number: p.phone_number });
      expect((await t.get('/v1/configs/phone_number', { headers: key(q) })).body).toEqual({ phone_number: q.phone_number });
    });

    it('GET /health_status: AVAILABLE for a ready channel, with the four entities', async () => {
      const res = await t.get('/health_status', { headers: key() });
      expect(res.status).toBe(200);
      const ch = await t.deps.db.kysely.selectFrom('channels').selectAll().where('id', '=', p.channel_id).executeTakeFirstOrThrow();
      const waba = await t.deps.db.kysely.selectFrom('waba_accounts').selectAll().where('id', '=', ch.waba_account_id).executeTakeFirstOrThrow();
      expect(res.body.health_status.can_send_message).toBe('AVAILABLE');
      expect(res.body.health_status.entities).toEqual([
        { entity_type: 'PHONE_NUMBER', id: ch.external_id, can_send_message: 'AVAILABLE' },
        { entity_type: 'WABA', id: waba.external_id, can_send_message: 'AVAILABLE' },
        { entity_type: 'BUSINESS', id: waba.fb_business_id ?? '', can_send_message: 'AVAILABLE' },
        { entity_type: 'APP', id: ch.app_id, can_send_message: 'AVAILABLE' },
      ]);
    });

    it('health follows the channel: cancellation requested → LIMITED, error → BLOCKED / disconnected, setting up → pending', async () => {
      const c = await t.tenant();
      const health = async () => [
        (await t.get('/health_status', { headers: key(c) })).body.health_status.can_send_message,
        (await t.get('/v1/health', { headers: key(c) })).body.health.gateway_status,
      ];
      expect(await health()).toEqual(['AVAILABLE', 'connected']);
      const onprem = await t.get('/v1/health', { headers: key(c) });
      expect(onprem.body).toEqual({ health: { gateway_status: 'connected' }, meta: { api_status: 'stable', version: expect.any(String) } });
      await setChannel(c.channel_id, { cancellation_requested_at: new Date().toISOString() });
      expect((await health())[0]).toBe('LIMITED');
      await setChannel(c.channel_id, { cancellation_requested_at: null, availability_status: 'error' });
      expect(await health()).toEqual(['BLOCKED', 'disconnected']);
      await setChannel(c.channel_id, { availability_status: 'setting_up' });
      expect(await health()).toEqual(['LIMITED', 'pending']);
    });
  });

  describe('business profile', () => {
    it('GET: empty defaults, then what POST set; fields= narrows the answer', async () => {
      const c = await t.tenant();
      const empty = await t.get('/whatsapp_business_profile', { headers: key(c) });
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({
        data: [{ about: '', address: '', description: '', email: '', profile_picture_url: '', websites: [], vertical: 'UNDEFINED', messaging_product: 'whatsapp' }],
      });
      const update = {
        messaging_product: 'whatsapp',
        about: 'We sell bikes 🚲',
        address: 'Main St 1, Berlin',
        description: 'Bikes and repairs',
        email: 'shop@example.com',
        vertical: 'RETAIL',
        websites: ['https://example.com', 'http://shop.example.com'],
      };
      const post = await t.post('/whatsapp_business_profile', { headers: key(c), json: update });
      expect(post.status, post.text).toBe(200);
      expect(post.body).toEqual({ success: true });
      const { messaging_product: _mp, ...fields } = update;
      expect((await t.get('/whatsapp_business_profile', { headers: key(c) })).body.data[0]).toEqual({ ...fields, profile_picture_url: '', messaging_product: 'whatsapp' });
      const some = await t.get('/whatsapp_business_profile', { headers: key(c), query: { fields: 'about, email,websites' } });
      expect(some.body).toEqual({ data: [{ about: update.about, email: update.email, websites: update.websites, messaging_product: 'whatsapp' }] });
      // A partial update keeps the rest.
      await t.post('/whatsapp_business_profile', { headers: key(c), json: { messaging_product: 'whatsapp', about: 'New about' } });
      expect((await t.get('/whatsapp_business_profile', { headers: key(c), query: { fields: 'about,vertical' } })).body.data[0]).toEqual({
        about: 'New about',
        vertical: 'RETAIL',
        messaging_product: 'whatsapp',
      });
      // Another channel's profile is untouched.
      expect((await t.get('/whatsapp_business_profile', { headers: key(q) })).body.data[0].about).toBe('');
    });

    it('GET with an unknown field: 400 that names it', async () => {
      const res = await t.get('/whatsapp_business_profile', { headers: key(), query: { fields: 'about,phone' } });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException', error_data: { details: expect.stringContaining('"phone" is not a profile field') } });
    });

    it.each([
      [{ about: 'x' }, 'messaging_product'],
      [{ messaging_product: 'sms', about: 'x' }, 'messaging_product'],
      [{ messaging_product: 'whatsapp', phone: '123' }, 'phone: is not a business profile field'],
      [{ messaging_product: 'whatsapp', about: '' }, 'about: must not be empty'],
      [{ messaging_product: 'whatsapp', about: 'a'.repeat(140) }, 'about: must be at most 139 characters'],
      [{ messaging_product: 'whatsapp', about: 42 }, 'about: must be a string'],
      [{ messaging_product: 'whatsapp', email: 'not-an-email' }, 'email: must be an e-mail address'],
      [{ messaging_product: 'whatsapp', vertical: 'SPACESHIPS' }, 'vertical: must be one of'],
      [{ messaging_product: 'whatsapp', websites: 'https://example.com' }, 'websites: must be an array'],
      [{ messaging_product: 'whatsapp', websites: ['https://a.example', 'https://b.example', 'https://c.example'] }, 'websites: must have at most 2 items'],
      [{ messaging_product: 'whatsapp', websites: ['ftp://example.com'] }, 'websites[0]: must start with http:// or https://'],
      [{ messaging_product: 'whatsapp', description: 'd'.repeat(513) }, 'description: must be at most 512 characters'],
      [['about'], 'body: must be a JSON object'],
    ])('POST %j → 400 naming %s', async (json, message) => {
      const res = await t.post('/whatsapp_business_profile', { headers: key(), json });
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, error_data: { messaging_product: 'whatsapp', details: expect.stringContaining(message) } });
    });

    it('POST with malformed JSON or a non-JSON body: 4xx in the Cloud body', async () => {
      const bad = await t.post('/whatsapp_business_profile', { headers: { ...key(), 'content-type': 'application/json' }, raw: '{"messaging_product":' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe(100);
      const text = await t.post('/whatsapp_business_profile', { headers: { ...key(), 'content-type': 'text/plain' }, raw: 'about=hi' });
      expect(text.status).toBeGreaterThanOrEqual(400);
      expect(text.status).toBeLessThan(500);
      expect(text.body.error).toBeDefined();
    });
  });

  describe('On-Premise settings: business profile and about', () => {
    const onprem = (res: { status: number; body: { errors?: { code: number; details: string }[] } }, details: string) => {
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0]).toMatchObject({ code: expect.any(Number), details: expect.stringContaining(details) });
    };

    it('the same profile as Cloud, in the On-Premise shape; verticals by their label', async () => {
      const c = await t.tenant();
      const empty = await t.get('/v1/settings/business/profile', { headers: key(c) });
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({
        settings: { business: { profile: { address: '', description: '', email: '', vertical: '', websites: [] } } },
        meta: { api_status: 'stable', version: expect.any(String) },
      });
      const update = { address: 'Main St 1, Berlin', description: 'Bikes', email: 'shop@example.com', vertical: 'Shopping and Retail', websites: ['https://example.com'] };
      const post = await t.post('/v1/settings/business/profile', { headers: key(c), json: update });
      expect(post.status, post.text).toBe(200);
      expect(post.body).toEqual({ meta: { api_status: 'stable', version: expect.any(String) } });
      expect((await t.get('/v1/settings/business/profile', { headers: key(c) })).body.settings.business.profile).toEqual(update);
      // Cloud sees the same profile, with the vertical's code.
      const cloud = (await t.get('/whatsapp_business_profile', { headers: key(c) })).body.data[0];
      expect(cloud).toMatchObject({ address: update.address, description: 'Bikes', email: update.email, vertical: 'RETAIL', websites: update.websites });
      // A label in another case, or the Cloud code, is taken too.
      await t.post('/v1/settings/business/profile', { headers: key(c), json: { vertical: 'medical AND health' } });
      expect((await t.get('/v1/settings/business/profile', { headers: key(c) })).body.settings.business.profile.vertical).toBe('Medical and Health');
      await t.post('/v1/settings/business/profile', { headers: key(c), json: { vertical: 'HOTEL' } });
      expect((await t.get('/whatsapp_business_profile', { headers: key(c), query: { fields: 'vertical' } })).body.data[0].vertical).toBe('HOTEL');

      const about = await t.patch('/v1/settings/profile/about', { headers: key(c), json: { text: 'Open 9 to 5' } });
      expect(about.status, about.text).toBe(200);
      expect((await t.get('/v1/settings/profile/about', { headers: key(c) })).body).toEqual({ settings: { profile: { about: { text: 'Open 9 to 5' } } }, meta: expect.any(Object) });
      expect((await t.get('/whatsapp_business_profile', { headers: key(c), query: { fields: 'about' } })).body.data[0].about).toBe('Open 9 to 5');
      // Another channel is untouched.
      expect((await t.get('/v1/settings/profile/about', { headers: key(q) })).body.settings.profile.about.text).toBe('');
    });

    it('bad input: 400 in the On-Premise error body, naming the field', async () => {
      onprem(await t.post('/v1/settings/business/profile', { headers: key(), json: { vertical: 'Spaceships' } }), 'vertical: must be one of');
      onprem(await t.post('/v1/settings/business/profile', { headers: key(), json: { about: 'x' } }), 'about: is not a field here');
      onprem(await t.post('/v1/settings/business/profile', { headers: key(), json: { websites: ['a', 'b', 'c'] } }), 'websites: must have at most 2 items');
      onprem(await t.post('/v1/settings/business/profile', { headers: key(), json: ['x'] }), 'body: must be a JSON object');
      onprem(await t.patch('/v1/settings/profile/about', { headers: key(), json: { text: 'a'.repeat(140) } }), 'text: must be at most 139 characters');
      onprem(await t.patch('/v1/settings/profile/about', { headers: key(), json: {} }), 'text: is required');
      const broken = await t.patch('/v1/settings/profile/about', { headers: { ...key(), 'content-type': 'application/json' }, raw: '{"text":' });
      expect(broken.status).toBe(400);
      expect(broken.body.errors).toBeDefined();
    });
  });

  describe('POST /v1/contacts', () => {
    it('every well-formed number is valid, with its wa_id; others are invalid', async () => {
      const res = await t.post('/v1/contacts', { headers: key(), json: { blocking: 'wait', contacts: ['+49 176 1234-5678', '4915112345678', 'abc', '12'], force_check: true } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({
        contacts: [
          { input: '+49 176 1234-5678', status: 'valid', wa_id: '4917612345678' },
          { input: '4915112345678', status: 'valid', wa_id: '4915112345678' },
          { input: 'abc', status: 'invalid' },
          { input: '12', status: 'invalid' },
        ],
        meta: { api_status: 'stable', version: expect.any(String) },
      });
    });

    it.each([
      [{}, 1008, 'contacts: is required'],
      [{ contacts: '4915112345678' }, 1009, 'contacts: must be an array'],
      [{ contacts: [] }, 1009, 'contacts: must have at least 1 item'],
      [{ contacts: Array.from({ length: 1001 }, () => '4915112345678') }, 1009, 'at most 1000'],
      [{ contacts: [4915112345678] }, 1009, 'contacts[0]: must be a string'],
      [{ contacts: ['4915112345678'], blocking: 'maybe' }, 1009, 'blocking: must be one of wait, no_wait'],
    ])('%j → 400 in the On-Premise body (code %i)', async (json, code, details) => {
      const res = await t.post('/v1/contacts', { headers: key(), json });
      expect(res.status, res.text).toBe(400);
      expect(res.body).toEqual({
        errors: [{ code, title: expect.any(String), details: expect.stringContaining(details), href: expect.any(String) }],
        meta: { api_status: 'stable', version: expect.any(String) },
      });
    });
  });
});
