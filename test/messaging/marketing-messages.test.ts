// The Marketing Messages Lite API (MM Lite): POST /marketing_messages takes a MARKETING template
// send as /messages does, answers Meta's shape with a wamid and message_status "accepted", stores
// it as an `marketing_lite` message whose sandbox statuses reach the channel's webhook; other
// templates, other message types, bad bodies, a missing key and a WABA not onboarded are refused
// in Meta's error format. The sandbox endpoint sets the WABA's MM Lite status.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, type TestApp } from '../helpers/app.ts';
import { startReplayApp } from '../helpers/client-replay.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { utility } from './templates-fixtures.ts';

const TO = '4915550002222';

const PROMO = {
  name: 'spring_promo',
  category: 'MARKETING',
  language: 'en_US',
  components: [
    { type: 'BODY', text: 'Spring sale, {{1}}: 20% off today only.', example: { body_text: [['Jane']] } },
    { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stop promotions' }] },
  ],
};
const AUTH = {
  name: 'login_code',
  category: 'AUTHENTICATION',
  language: 'en_US',
  components: [
    { type: 'BODY', add_security_recommendation: true },
    { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
  ],
};

const promo = (to = TO, extra: Record<string, unknown> = {}) => ({
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to,
  type: 'template',
  template: { name: PROMO.name, language: { code: 'en_US', policy: 'deterministic' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] },
  ...extra,
});

describeEachDb('Marketing Messages Lite API: POST /marketing_messages', (kind) => {
  let t: TestApp;
  let receiver: Receiver;
  let p: BootstrapResult;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const stored = (id: string) => t.deps.db.kysely.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
  const storedCount = async () => Number((await t.deps.db.kysely.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('channel_id', '=', p.channel_id).executeTakeFirstOrThrow()).n);
  const expectMetaError = (res: { status: number; body: any }, status: number, code: number, details: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(res.body.error).toMatchObject({ type: 'OAuthException', code, error_data: { messaging_product: 'whatsapp' } });
    expect(res.body.error.message).toMatch(/^\(#\d+\) /);
    expect(typeof res.body.error.fbtrace_id).toBe('string');
    expect(res.body.error.error_data.details).toContain(details);
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startReplayApp(kind);
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: `${receiver.url}/channel` } })).status).toBe(200);
    for (const body of [PROMO, AUTH, utility('order_update', 'Your order {{1}} has shipped.')]) {
      const res = await t.post('/message_templates', { headers: key(), json: body });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    // The sandbox reviews them after 50 ms (REPLAY_ENV).
    await waitUntil('the templates to be approved', async () => {
      const res = await t.get('/message_templates', { headers: key(), query: { status: 'APPROVED', limit: '50' } });
      const names = (res.body.data as { name: string }[]).map((x) => x.name);
      return ['spring_promo', 'login_code', 'order_update'].every((n) => names.includes(n));
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it("a MARKETING template: 200 with Meta's answer (wamid, message_status accepted), stored as marketing_lite, its sandbox statuses on the channel's webhook", async () => {
    const res = await t.post('/marketing_messages', { headers: key(), json: promo(TO, { message_activity_sharing: true }) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ messaging_product: 'whatsapp', contacts: [{ input: TO, wa_id: TO }], messages: [{ id: expect.stringMatching(/^wamid\./), message_status: 'accepted' }] });
    const id = res.body.messages[0].id as string;
    const row = await stored(id);
    expect(row).toMatchObject({ channel_id: p.channel_id, direction: 'outbound', type: 'template', template_name: 'spring_promo', wa_id: TO, category: 'marketing_lite' });

    // sent, delivered, read: each with pricing and conversation origin "marketing_lite" (Meta's MM Lite "Get started").
    const statuses = await receiver.waitForBody('sent, delivered and read of the MM Lite message', (bodies) => {
      const all: any[] = bodies.flatMap((b) => (b.entry?.[0]?.changes?.[0]?.value?.statuses ?? []) as any[]).filter((s) => s.id === id);
      return all.length >= 3 ? all : undefined;
    });
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
    for (const s of statuses) {
      expect(s.recipient_id).toBe(TO);
      expect(s.pricing).toEqual({ billable: true, pricing_model: 'PMP', category: 'marketing_lite', type: 'regular' });
      expect(s.conversation.origin).toEqual({ type: 'marketing_lite' });
    }
    expect((await stored(id))!.status).toBe('read');

    // Usage statistics count it as a (paid) marketing message.
    const usage = await t.get(`/api/v2/partners/${p.partner_id}/clients/${p.client_id}/info/balance`, { headers: partnerKey(p.partner_api_key) });
    expect(usage.status, JSON.stringify(usage.body)).toBe(200);
    const periods = usage.body.usage as Record<string, number>[];
    expect(periods.reduce((n, u) => n + u.marketing_quantity!, 0)).toBeGreaterThanOrEqual(1);
    expect(periods.reduce((n, u) => n + u.marketing_paid_quantity!, 0)).toBeGreaterThanOrEqual(1);
  });

  it('a formatted number, biz_opaque_callback_data and product_policy STRICT are taken too (the WABA is onboarded)', async () => {
    const res = await t.post('/marketing_messages', { headers: key(), json: promo('+49 155 5000 3333', { biz_opaque_callback_data: 'campaign-7', product_policy: 'STRICT' }) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.contacts).toEqual([{ input: '+49 155 5000 3333', wa_id: '4915550003333' }]);
  });

  it('UTILITY and AUTHENTICATION templates are refused with 131055 "Only marketing template messages are supported"; nothing is stored', async () => {
    const before = await storedCount();
    const util = await t.post('/marketing_messages', {
      headers: key(),
      json: { messaging_product: 'whatsapp', to: TO, type: 'template', template: { name: 'order_update', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '#42' }] }] } },
    });
    expectMetaError(util, 400, 131055, 'Only marketing template messages are supported');
    expect(util.body.error.message).toBe('(#131055) Method not allowed');
    const auth = await t.post('/marketing_messages', {
      headers: key(),
      json: {
        messaging_product: 'whatsapp',
        to: TO,
        type: 'template',
        template: { name: 'login_code', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '123456' }] }, { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '123456' }] }] },
      },
    });
    expectMetaError(auth, 400, 131055, 'AUTHENTICATION');
    // The same UTILITY template still goes through /messages.
    const viaCloud = await t.post('/messages', {
      headers: key(),
      json: { messaging_product: 'whatsapp', to: TO, type: 'template', template: { name: 'order_update', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '#42' }] }] } },
    });
    expect(viaCloud.status, JSON.stringify(viaCloud.body)).toBe(200);
    expect(await storedCount()).toBe(before + 1);
  });

  it('a template that does not exist, or with the wrong parameters, gets the template errors of /messages', async () => {
    expectMetaError(await t.post('/marketing_messages', { headers: key(), json: { ...promo(), template: { name: 'no_such_promo', language: { code: 'en_US' } } } }), 404, 132001, 'no_such_promo');
    expectMetaError(await t.post('/marketing_messages', { headers: key(), json: { ...promo(), template: { name: 'spring_promo', language: { code: 'en_US' } } } }), 400, 132000, 'body');
  });

  it("anything but a template message is (#100) \"Message must be a template message.\"; bad bodies are 4xx in Meta's format", async () => {
    const before = await storedCount();
    for (const json of [
      { messaging_product: 'whatsapp', to: TO, type: 'text', text: { body: 'hi' } },
      { messaging_product: 'whatsapp', to: TO, text: { body: 'hi' } },
      { messaging_product: 'whatsapp', to: TO, type: 'image', image: { link: 'https://cdn.example.com/a.jpg' } },
      { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.x' },
    ]) {
      const res = await t.post('/marketing_messages', { headers: key(), json });
      expectMetaError(res, 400, 100, 'Message must be a template message.');
      expect(res.body.error.message).toBe('(#100) Invalid parameter');
    }
    expectMetaError(await t.post('/marketing_messages', { headers: key(), json: { ...promo(), messaging_product: undefined } }), 400, 100, 'messaging_product');
    expectMetaError(await t.post('/marketing_messages', { headers: key(), json: promo(TO, { message_activity_sharing: 'yes' }) }), 400, 100, 'message_activity_sharing');
    expectMetaError(await t.post('/marketing_messages', { headers: key(), json: promo(TO, { product_policy: 'LENIENT' }) }), 400, 100, 'product_policy');
    expectMetaError(await t.post('/marketing_messages', { headers: key(), json: promo(TO, { message_send_ttl_seconds: 3600 }) }), 400, 100, 'message_send_ttl_seconds');
    expectMetaError(await t.post('/marketing_messages', { headers: key(), json: promo(TO, { recipient_type: 'group' }) }), 400, 100, 'recipient_type');
    expectMetaError(await t.post('/marketing_messages', { headers: key(), json: { ...promo(), template: { language: { code: 'en_US' } } } }), 400, 100, 'template.name');
    expectMetaError(await t.post('/marketing_messages', { headers: key(), json: [promo()] }), 400, 100, 'body');
    const broken = await t.post('/marketing_messages', { headers: { ...key(), 'content-type': 'application/json' }, raw: '{"messaging_product":' });
    expect(broken.status).toBe(400);
    expect(broken.body.error.type).toBe('OAuthException');
    expect(await storedCount()).toBe(before);
  });

  it("a missing or wrong key is 401 in 360's format, as for /messages", async () => {
    for (const headers of [{}, { 'D360-API-KEY': 'not-a-key' }] as Record<string, string>[]) {
      const res = await t.post('/marketing_messages', { headers, json: promo() });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
    }
  });

  it('a WABA not onboarded is refused with (#200) "You must accept the Marketing Messages Lite API terms", unless the client asks for CLOUD_API_FALLBACK', async () => {
    // A tenant of its own: the status is its WABA's, for all its numbers.
    const q = await t.tenant();
    const qkey = { 'D360-API-KEY': q.channel_api_key };
    const wabaSettings = async () => (await t.get(`/api/v2/partners/${q.partner_id}/waba_accounts/${q.waba_account_id}`, { headers: partnerKey(q.partner_api_key) })).body.settings;
    const mmLite = (status?: string) =>
      status === undefined ? t.get('/sandbox/v1/marketing_messages_lite', { headers: qkey }) : t.post('/sandbox/v1/marketing_messages_lite', { headers: qkey, json: { marketing_messages_lite_api_status: status } });
    // Every WABA starts onboarded, as 360dialog's MM Lite sandbox number.
    expect((await mmLite()).body).toEqual({ marketing_messages_lite_api_status: 'ONBOARDED' });
    expect(await wabaSettings()).toEqual({ marketing_messages_lite_api_status: 'ONBOARDED' });
    const hello = (extra: Record<string, unknown> = {}) => ({ messaging_product: 'whatsapp', to: TO, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } }, ...extra });
    // hello_world is UTILITY: the category is checked once the WABA may send.
    expect((await t.post('/marketing_messages', { headers: qkey, json: hello() })).body.error.code).toBe(131055);
    const created = await t.post('/message_templates', { headers: qkey, json: PROMO });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    await waitUntil('the promo to be approved', async () => (await t.get('/message_templates', { headers: qkey, query: { name: 'spring_promo' } })).body.data?.[0]?.status === 'APPROVED');

    for (const status of ['ELIGIBLE', 'INELIGIBLE']) {
      const set = await mmLite(status);
      expect(set.status, JSON.stringify(set.body)).toBe(200);
      expect(set.body).toEqual({ marketing_messages_lite_api_status: status });
      expect(await wabaSettings()).toEqual({ marketing_messages_lite_api_status: status });
      for (const policy of [undefined, 'STRICT']) {
        const res = await t.post('/marketing_messages', { headers: qkey, json: promo(TO, policy ? { product_policy: policy } : {}) });
        expect(res.status, JSON.stringify(res.body)).toBe(403);
        expect(Object.keys(res.body)).toEqual(['error']);
        expect(res.body.error).toMatchObject({ message: '(#200) You must accept the Marketing Messages Lite API terms to use the API.', type: 'OAuthException', code: 131055 });
        expect(res.body.error.error_data.details).toContain(status);
      }
      // Meta's fallback, asked for: a Cloud API marketing message.
      const fallback = await t.post('/marketing_messages', { headers: qkey, json: promo(TO, { product_policy: 'CLOUD_API_FALLBACK' }) });
      expect(fallback.status, JSON.stringify(fallback.body)).toBe(200);
      expect((await stored(fallback.body.messages[0].id))!.category).toBe('marketing');
    }
    // /messages is not concerned.
    expect((await t.post('/messages', { headers: qkey, json: promo() })).status).toBe(200);

    expect((await mmLite('ONBOARDED')).status).toBe(200);
    const res = await t.post('/marketing_messages', { headers: qkey, json: promo() });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await stored(res.body.messages[0].id))!.category).toBe('marketing_lite');
    // The other tenant's WABA was never touched.
    expect((await t.get('/sandbox/v1/marketing_messages_lite', { headers: key() })).body).toEqual({ marketing_messages_lite_api_status: 'ONBOARDED' });
  });

  it('the sandbox status endpoint refuses what is not one of the three statuses', async () => {
    for (const json of [{ marketing_messages_lite_api_status: 'onboarded' }, { marketing_messages_lite_api_status: 1 }, {}, { status: 'ONBOARDED' }, 'ONBOARDED']) {
      const res = await t.post('/sandbox/v1/marketing_messages_lite', { headers: key(), json });
      expectMetaError(res, 400, 100, json === 'ONBOARDED' ? 'body' : Object.keys(json as object)[0] ?? 'marketing_messages_lite_api_status');
    }
    expect((await t.get('/sandbox/v1/marketing_messages_lite', { headers: key() })).body).toEqual({ marketing_messages_lite_api_status: 'ONBOARDED' });
  });
});
