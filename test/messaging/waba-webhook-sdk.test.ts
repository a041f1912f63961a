// What the PHP SDK xiaoguo0426/whatsapp-360-dialog-sdk (and an Odoo module) call on the Messaging
// API: the WABA webhook with headers and override_all (routes/waba-webhook.ts), the /marketing/*
// paths (marketing-paths.ts, routes/marketing-unavailable.ts) and GET /v1/health_status.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver, type ReceivedRequest } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createChannel } from '../../src/services/channels.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';
import { sandboxPhoneNumber } from '../../src/services/bootstrap.ts';
import { MARKETING_TEMPLATE, seedSendFixtures } from './send-fixtures.ts';

const CLID = 'ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4';

describeEachDb('PHP SDK calls: /waba_webhook headers and override_all, /marketing/*, /v1/health_status', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let q: BootstrapResult;
  const receivers: Receiver[] = [];
  const receiver = async () => {
    const r = await new Receiver().start();
    receivers.push(r);
    return r;
  };
  const key = (k: string | BootstrapResult = p) => ({ 'D360-API-KEY': typeof k === 'string' ? k : k.channel_api_key });
  const externalWaba = async (id: string) => (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', id).executeTakeFirstOrThrow()).external_id;
  /** A second number of `of`'s WABA; its key. */
  const sibling = async (of: BootstrapResult) => {
    const ch = await createChannel(t.deps, { partnerId: of.partner_id, clientId: of.client_id, phoneNumber: sandboxPhoneNumber(), phoneName: 'Second', status: 'ready', wabaAccountId: of.waba_account_id });
    return { channel: ch, key: (await createChannelApiKey(t.deps, ch)).api_key };
  };
  let userNo = 0;
  /** A user writes to the number with key `k`; resolves with the webhook request `r` got for it. */
  const inbound = async (k: string, r: Receiver): Promise<ReceivedRequest> => {
    const res = await t.post('/sandbox/v1/inbound', { headers: key(k), json: { from: `49176000081${String(++userNo).padStart(2, '0')}`, name: 'Ana', type: 'text', text: { body: 'hi' } } });
    expect(res.status, res.text).toBe(200);
    const id = res.body.messages[0].id as string;
    await r.waitForBody(`the webhook of ${id}`, (bodies) => bodies.some((b) => JSON.stringify(b).includes(id)));
    return r.requests.find((x) => x.body.includes(id))!;
  };
  const cloud400 = (res: { status: number; body: any; text: string }, details: string | RegExp) => {
    expect(res.status, res.text).toBe(400);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatchObject({ type: 'OAuthException', code: 100 });
    expect(res.body.error.error_data.details).toMatch(details);
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_WEBHOOK_RETRY_SCHEDULE: '0,150ms' } });
    p = await t.tenant();
    q = await t.tenant();
  });
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });
  afterAll(() => t?.close());

  describe('/waba_webhook', () => {
    it('the PHP SDK sequence: setWabaUrl (headers [] , override_all false), then getWabaUrl', async () => {
      const set = await t.post('/waba_webhook', { headers: key(), json: { url: 'https://hooks.example.com/waba', headers: [], override_all: false } });
      expect(set.status, set.text).toBe(200);
      // SetWabaWebhookUrlResponse reads `message`; the older {url, headers} stay for existing clients.
      expect(set.body).toEqual({ url: 'https://hooks.example.com/waba', headers: {}, message: expect.any(String) });
      expect(set.body.message.length).toBeGreaterThan(0);
      const get = await t.get('/waba_webhook', { headers: key() });
      expect(get.status, get.text).toBe(200);
      // WabaWebhookResponse: waba_id (a string, else PHP's TypeError), phone_numbers (an array), url, headers.
      expect(get.body).toEqual({ waba_id: await externalWaba(p.waba_account_id), phone_numbers: [p.phone_number], url: 'https://hooks.example.com/waba', headers: {} });
      expect(typeof get.body.waba_id).toBe('string');
      // The number's own webhook is untouched (override_all false); another tenant sees nothing.
      expect((await t.get('/v1/configs/webhook', { headers: key() })).body.url).toBeNull();
      expect((await t.get('/waba_webhook', { headers: key(q) })).body).toMatchObject({ url: null, headers: {}, phone_numbers: [q.phone_number] });
      // Removal, as before.
      const off = await t.post('/waba_webhook', { headers: key(), json: { url: '', headers: [], override_all: false } });
      expect(off.body).toMatchObject({ url: null, headers: {} });
      expect((await t.get('/waba_webhook', { headers: key() })).body.url).toBeNull();
    });

    it("headers are stored per WABA and sent with deliveries to the WABA's URL, not to a number's own URL", async () => {
      const p2 = await t.tenant();
      const waba = await receiver();
      const own = await receiver();
      const headers = { Authorization: 'Basic dXNlcjpwYXNz', 'X-Tenant': 'acme' };
      const set = await t.post('/waba_webhook', { headers: key(p2), json: { url: `${waba.url}/waba`, headers, override_all: false } });
      expect(set.status, set.text).toBe(200);
      expect(set.body.headers).toEqual(headers);
      expect((await t.get('/waba_webhook', { headers: key(p2) })).body.headers).toEqual(headers);
      const viaWaba = await inbound(p2.channel_api_key, waba);
      expect(viaWaba.url).toBe('/waba');
      expect(viaWaba.headers.authorization).toBe('Basic dXNlcjpwYXNz');
      expect(viaWaba.headers['x-tenant']).toBe('acme');
      // A number with its own URL delivers there, with its own headers only.
      const s = await sibling(p2);
      expect((await t.post('/v1/configs/webhook', { headers: key(s.key), json: { url: `${own.url}/own`, headers: { 'X-Own': '1' } } })).status).toBe(200);
      const viaOwn = await inbound(s.key, own);
      expect(viaOwn.headers['x-own']).toBe('1');
      expect(viaOwn.headers.authorization).toBeUndefined();
      expect(viaOwn.headers['x-tenant']).toBeUndefined();
      // Both numbers are listed.
      expect((await t.get('/waba_webhook', { headers: key(s.key) })).body.phone_numbers).toEqual([p2.phone_number, s.channel.phone_number]);
      // Removing the override with /subscribed_apps also drops its headers (they belonged to that URL).
      expect((await t.post('/subscribed_apps', { headers: key(p2), json: { override_callback_uri: '' } })).status).toBe(200);
      expect((await t.get('/waba_webhook', { headers: key(p2) })).body).toMatchObject({ url: null, headers: {} });
    });

    it("override_all true removes the webhook URL and headers of every number of the WABA (and of no other WABA's)", async () => {
      const p3 = await t.tenant();
      const waba = await receiver();
      const s = await sibling(p3);
      for (const k of [p3.channel_api_key, s.key, q.channel_api_key]) {
        expect((await t.post('/v1/configs/webhook', { headers: key(k), json: { url: 'https://own.example.com/x', headers: { 'X-Own': '1' } } })).status).toBe(200);
      }
      const set = await t.post('/waba_webhook', { headers: key(p3), json: { url: `${waba.url}/all`, headers: { 'X-Waba': 'yes' }, override_all: true } });
      expect(set.status, set.text).toBe(200);
      expect(set.body).toMatchObject({ url: `${waba.url}/all`, headers: { 'X-Waba': 'yes' }, message: expect.stringContaining('replacing') });
      for (const k of [p3.channel_api_key, s.key]) expect((await t.get('/v1/configs/webhook', { headers: key(k) })).body).toEqual({ url: null, headers: {} });
      expect((await t.get('/v1/configs/webhook', { headers: key(q) })).body.url).toBe('https://own.example.com/x');
      const got = await inbound(s.key, waba);
      expect(got.url).toBe('/all');
      expect(got.headers['x-waba']).toBe('yes');
      expect(got.headers['x-own']).toBeUndefined();
      // A number may set its own URL again afterwards.
      expect((await t.post('/v1/configs/webhook', { headers: key(s.key), json: { url: 'https://own.example.com/again' } })).body.url).toBe('https://own.example.com/again');
    });

    it('bad bodies are Cloud-format 400s naming the field, and change nothing', async () => {
      const p4 = await t.tenant();
      expect((await t.post('/v1/configs/webhook', { headers: key(p4), json: { url: 'https://own.example.com/keep' } })).status).toBe(200);
      const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v']));
      const cases: [unknown, RegExp][] = [
        [{ url: 'https://h.example.com/x', headers: { 'Content-Type': 'text/plain' } }, /headers: "Content-Type" is set by openwaba/],
        [{ url: 'https://h.example.com/x', headers: many }, /at most 20/],
        [{ url: 'https://h.example.com/x', headers: { 'X-A': 'x'.repeat(5000) } }, /at most \d+ characters/],
        [{ url: 'https://h.example.com/x', headers: { 'X-A': 'a\r\nb' } }, /without line breaks/],
        [{ url: 'https://h.example.com/x', headers: { 'bad name': 'v' } }, /not a valid header name/],
        [{ url: 'https://h.example.com/x', headers: { 'X-A': 5 } }, /must be a string/],
        [{ url: 'https://h.example.com/x', headers: ['Authorization: x'] }, /^headers: must be an object/],
        [{ url: 'https://h.example.com/x', headers: 'X-A: b' }, /headers must be an object/],
        [{ url: 'https://h.example.com/x', override_all: 'true' }, /^override_all: must be a boolean/],
        [{ url: 'https://h.example.com/x', override_all: 1 }, /^override_all: must be a boolean/],
        [{ url: '', override_all: true }, /^override_all: needs a url/],
        [{ url: null, headers: { 'X-A': 'b' } }, /^headers: cannot be set without a url/],
        [{ url: 'https://h.example.com/x', extra: 1 }, /^extra: is not a known field \(allowed: url, headers, override_all\)/],
        [{ headers: [], override_all: false }, /^url: is required/],
        [{ url: 7, headers: [] }, /^url: must be a string/],
        [[1], /^body: must be a JSON object/],
      ];
      for (const [json, details] of cases) cloud400(await t.post('/waba_webhook', { headers: key(p4), json }), details);
      expect((await t.get('/waba_webhook', { headers: key(p4) })).body).toMatchObject({ url: null, headers: {} });
      expect((await t.get('/v1/configs/webhook', { headers: key(p4) })).body.url).toBe('https://own.example.com/keep');
      expect((await t.post('/waba_webhook', { json: { url: 'https://h.example.com/x', headers: [], override_all: true } })).status).toBe(401);
      expect((await t.get('/v1/configs/webhook', { headers: key(p4) })).body.url).toBe('https://own.example.com/keep');
      const raw = await t.post('/waba_webhook', { headers: { ...key(p4), 'content-type': 'application/json' }, raw: '{"url":' });
      expect(raw.status).toBe(400);
    });
  });

  describe('/marketing/*', () => {
    it('the six MarketingApi calls with a root route answer as the root route', async () => {
      const p5 = await t.tenant();
      await seedSendFixtures(t, p5);
      const waba = await externalWaba(p5.waba_account_id);
      // POST /marketing/marketing_messages: a MARKETING template send.
      const send = await t.post('/marketing/marketing_messages', {
        headers: key(p5),
        json: { messaging_product: 'whatsapp', to: '4915550003333', type: 'template', template: { name: MARKETING_TEMPLATE, language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] } },
      });
      expect(send.status, send.text).toBe(200);
      expect(send.body.messages[0]).toEqual({ id: expect.stringMatching(/^wamid\./), message_status: 'accepted' });
      // Validation is the root route's.
      const bad = await t.post('/marketing/marketing_messages', { headers: key(p5), json: {} });
      const badRoot = await t.post('/marketing_messages', { headers: key(p5), json: {} });
      expect(bad.status).toBe(badRoot.status);
      expect(bad.body.error.error_data).toEqual(badRoot.body.error.error_data);
      // Dataset: GET, POST, and by node (the key's WABA only).
      expect((await t.get('/marketing/dataset', { headers: key(p5) })).body).toEqual({ data: [] });
      const made = await t.post('/marketing/dataset', { headers: key(p5), json: { name: 'shop' } });
      expect(made.status, made.text).toBe(200);
      const id = made.body.id as string;
      expect((await t.get('/marketing/dataset', { headers: key(p5) })).body).toEqual({ data: [{ id }] });
      expect((await t.get(`/marketing/${waba}/dataset`, { headers: key(p5) })).body).toEqual({ data: [{ id }] });
      expect((await t.post(`/marketing/${waba}/dataset`, { headers: key(p5), json: { name: 'shop' } })).body).toEqual({ id });
      const foreign = await t.get(`/marketing/${await externalWaba(q.waba_account_id)}/dataset`, { headers: key(p5) });
      expect(foreign.status).toBe(400);
      expect(foreign.body.error.error_subcode).toBe(33);
      // POST /marketing/{dataset_id}/events.
      const now = Math.floor(Date.now() / 1000);
      const ev = { event_name: 'Purchase', event_time: now - 60, action_source: 'business_messaging', messaging_channel: 'whatsapp', user_data: { whatsapp_business_account_id: waba, ctwa_clid: CLID }, custom_data: { currency: 'usd', value: 1 } };
      const events = await t.post(`/marketing/${id}/events`, { headers: key(p5), json: { data: [ev] } });
      expect(events.status, events.text).toBe(200);
      expect(events.body.events_received).toBe(1);
      // Templates: the list and one by id.
      const list = await t.get('/marketing/message_templates', { headers: key(p5), query: { limit: '50' } });
      expect(list.status, list.text).toBe(200);
      expect(list.body.data).toEqual((await t.get('/message_templates', { headers: key(p5), query: { limit: '50' } })).body.data);
      const tpl = list.body.data.find((x: any) => x.name === MARKETING_TEMPLATE);
      const one = await t.get(`/marketing/${tpl.id}`, { headers: key(p5) });
      expect(one.status, one.text).toBe(200);
      expect(one.body).toEqual((await t.get(`/message_templates/${tpl.id}`, { headers: key(p5) })).body);
      // Template analytics: GET as at the root; the SDK's POST ?enable=true says they are on (always, here).
      const aq = { start: String(now - 86_400), end: String(now + 86_400), granularity: 'DAILY', template_ids: JSON.stringify([tpl.id]), metric_types: '["SENT"]' };
      const alias = await t.get('/marketing/template_analytics', { headers: key(p5), query: aq });
      expect(alias.status, alias.text).toBe(200);
      expect(alias.body).toEqual((await t.get('/template_analytics', { headers: key(p5), query: aq })).body);
      const aliasBad = await t.get('/marketing/template_analytics', { headers: key(p5) });
      expect(aliasBad.status).toBe(400);
      expect(aliasBad.body.error.error_data).toEqual((await t.get('/template_analytics', { headers: key(p5) })).body.error.error_data);
      const on = await t.post('/marketing/template_analytics', { headers: key(p5), query: { enable: 'true' } });
      expect(on.status, on.text).toBe(200);
      expect(on.body).toEqual({ success: true });
      cloud400(await t.post('/marketing/template_analytics', { headers: key(p5), query: { enable: 'false' } }), /^enable: must be true/);
      cloud400(await t.post('/marketing/template_analytics', { headers: key(p5) }), /^enable: is required/);
      expect((await t.post('/marketing/template_analytics', { query: { enable: 'true' } })).status).toBe(401);
      // No key: the key error; an unknown /marketing/ path: the Cloud API's 404.
      expect((await t.get('/marketing/dataset')).status).toBe(401);
      for (const path of ['/marketing/nope/at/all', '/marketing/123/unknown', '/marketing/123/events', '/marketing/1/2/insights']) {
        const res = await t.get(path, { headers: key(p5) });
        expect(res.status, path).toBe(404);
        expect(res.body.error, `${path}: ${res.text}`).toMatchObject({ code: 100, type: 'OAuthException' });
      }
    });

    it('reachestimate, dataset_quality and insights: a Cloud-format 400 saying they are not available in the sandbox', async () => {
      for (const path of ['/marketing/reachestimate?targeting_spec=%7B%7D&date_interval=L7D', '/marketing/dataset_quality?dataset_id=1', '/marketing/120000000000001/insights?fields=impressions']) {
        const res = await t.get(path, { headers: key() });
        expect(res.status, res.text).toBe(400);
        expect(Object.keys(res.body)).toEqual(['error']);
        expect(res.body.error).toMatchObject({ code: 3, type: 'OAuthException' });
        expect(res.body.error.error_data.details).toContain('not available in the openwaba sandbox');
        expect((await t.get(path)).status).toBe(401);
      }
    });
  });

  describe('/v1/health_status', () => {
    it('answers as /health_status (the Odoo module calls it with D360-Api-Key)', async () => {
      const alias = await t.get('/v1/health_status', { headers: { 'D360-Api-Key': p.channel_api_key } });
      expect(alias.status, alias.text).toBe(200);
      expect(alias.body).toEqual((await t.get('/health_status', { headers: key() })).body);
      expect(alias.body.health_status.can_send_message).toBeDefined();
      expect((await t.get('/v1/health_status')).status).toBe(401);
      expect((await t.get('/v1/health_status', { headers: key('not-a-key') })).status).toBe(401);
      expect((await t.get('/v1/health_status/', { headers: key() })).status).toBe(200);
    });
  });
});
