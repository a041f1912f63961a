// Commerce settings and the registration calls at the root (src/messaging/routes/phone-settings.ts):
// a sandbox number keeps its commerce settings per number with Meta's defaults (cart enabled,
// catalog hidden), takes the flags as Meta's query parameters, a JSON body or a form, and refuses
// anything but a boolean in Meta's format (400, code 100); /register, /deregister, /request_code
// and /verify_code check their parameters as Meta does and answer success. A number on Meta's
// network asks Meta's /{phone_number_id}/… for all of them.
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import { to360 } from '../helpers/client-replay.ts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { FakeGraph } from '../helpers/fake-graph.ts';


const expectCloudError = (res: { status: number; body: any; text: string }, field: string) => {
  expect(res.status, res.text).toBe(400);
  expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException', message: '(#100) Invalid parameter' });
  expect(res.body.error.error_data.details).toContain(field);
};

describeEachDb('commerce settings and registration (sandbox)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  const key = (q: BootstrapResult = p) => ({ 'D360-API-KEY': q.channel_api_key });
  const settings = async (q = p) => {
    const res = await t.get('/whatsapp_commerce_settings', { headers: key(q) });
    expect(res.status, res.text).toBe(200);
    return res.body.data[0] as { is_cart_enabled: boolean; is_catalog_visible: boolean; id: string };
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    other = await t.tenant();
  });
  afterAll(() => t.close());

  it("GET answers Meta's defaults with a stable id: cart enabled, catalog hidden", async () => {
    const res = await t.get('/whatsapp_commerce_settings', { headers: key() });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ data: [{ is_cart_enabled: true, is_catalog_visible: false, id: expect.stringMatching(/^\d{15}$/) }] });
    expect((await settings()).id).toBe(res.body.data[0].id);
    expect((await settings(other)).id).not.toBe(res.body.data[0].id);
  });

  it('POST with query parameters (Meta\'s form), a JSON body and a form body; only what is named changes; per number', async () => {
    const q = await t.post('/whatsapp_commerce_settings', { headers: key(), query: { is_catalog_visible: 'true' } });
    expect(q.status, q.text).toBe(200);
    expect(q.body).toEqual({ success: true });
    expect(await settings()).toMatchObject({ is_cart_enabled: true, is_catalog_visible: true });
    // The other number is untouched.
    expect(await settings(other)).toMatchObject({ is_cart_enabled: true, is_catalog_visible: false });

    const j = await t.post('/whatsapp_commerce_settings', { headers: key(), json: { is_cart_enabled: false } });
    expect(j.status, j.text).toBe(200);
    expect(await settings()).toMatchObject({ is_cart_enabled: false, is_catalog_visible: true });

    const f = await t.post('/whatsapp_commerce_settings', {
      headers: { ...key(), 'content-type': 'application/x-www-form-urlencoded' },
      raw: 'is_cart_enabled=true&is_catalog_visible=false',
    });
    expect(f.status, f.text).toBe(200);
    expect(await settings()).toMatchObject({ is_cart_enabled: true, is_catalog_visible: false });

    // Python's str(True) in a query.
    expect((await t.post('/whatsapp_commerce_settings', { headers: key(other), query: { is_cart_enabled: 'False' } })).status).toBe(200);
    expect(await settings(other)).toMatchObject({ is_cart_enabled: false, is_catalog_visible: false });
    expect(await settings()).toMatchObject({ is_cart_enabled: true, is_catalog_visible: false });
  });

  it('a Graph client through the 360dialog adaptation: POST ?is_cart_enabled&is_catalog_visible, then GET', async () => {
    // whatsapp-api-js 5.3.0 has no commerce settings call: these are the requests meta-cloud-api's
    // CommerceApi makes (the flags in the query, no body), through the 360dialog adaptation.
    const graphFetch = to360(t.baseUrl);
    const base = 'https://graph.facebook.com/v22.0/106540352242900/whatsapp_commerce_settings';
    const headers = { authorization: `Bearer ${p.channel_api_key}`, 'content-type': 'application/json' };
    const post = await graphFetch(`${base}?is_cart_enabled=false&is_catalog_visible=true`, { method: 'POST', headers });
    expect(post.status).toBe(200);
    expect(await post.json()).toEqual({ success: true });
    const get = await graphFetch(base, { headers });
    expect(get.status).toBe(200);
    expect(((await get.json()) as { data: unknown[] }).data[0]).toMatchObject({ is_cart_enabled: false, is_catalog_visible: true });
  });

  it("bad values are refused in Meta's format and change nothing", async () => {
    const before = await settings();
    expectCloudError(await t.post('/whatsapp_commerce_settings', { headers: key(), query: { is_cart_enabled: 'yes' } }), 'is_cart_enabled');
    expectCloudError(await t.post('/whatsapp_commerce_settings', { headers: key(), query: { is_catalog_visible: '' } }), 'is_catalog_visible');
    expectCloudError(await t.post('/whatsapp_commerce_settings', { headers: key(), json: { is_cart_enabled: 'maybe', is_catalog_visible: true } }), 'is_cart_enabled');
    expectCloudError(await t.post('/whatsapp_commerce_settings', { headers: key(), json: { is_catalog_visible: { on: true } } }), 'is_catalog_visible');
    expectCloudError(await t.post('/whatsapp_commerce_settings', { headers: key(), json: [true] }), 'body');
    const form = { ...key(), 'content-type': 'application/x-www-form-urlencoded' };
    expectCloudError(await t.post('/whatsapp_commerce_settings', { headers: form, raw: 'is_cart_enabled=true&is_cart_enabled=false' }), 'is_cart_enabled');
    expectCloudError(await t.post('/whatsapp_commerce_settings', { headers: key() }), 'is_cart_enabled');
    expect(await settings()).toEqual(before);
    // A wrong key: 401, not the settings.
    expect((await t.get('/whatsapp_commerce_settings', { headers: { 'D360-API-KEY': 'nope' } })).status).toBe(401);
  });

  it('register, deregister, request_code and verify_code: success for well-formed parameters', async () => {
    const ok = async (path: string, opts: { json?: unknown; query?: Record<string, string> } = {}) => {
      const res = await t.post(path, { headers: key(), ...opts });
      expect(res.status, `${path} ${res.text}`).toBe(200);
      expect(res.body).toEqual({ success: true });
    };
    await ok('/register', { json: { messaging_product: 'whatsapp', pin: '123456' } });
    await ok('/register', { json: { messaging_product: 'whatsapp', pin: '654321', data_localization_region: 'DE' } });
    await ok('/deregister');
    await ok('/request_code', { json: { code_method: 'SMS', language: 'en_US' } });
    await ok('/request_code', { query: { code_method: 'VOICE', language: 'en' } });
    await ok('/verify_code', { json: { code: '123456' } });
    // The number stays registered: it still sends.
    await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: '4915550008001', type: 'text', text: { body: 'hi' } } });
    const send = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: '4915550008001', type: 'text', text: { body: 'Hello' } } });
    expect(send.status, send.text).toBe(200);
  });

  it("malformed registration parameters: 400 in Meta's format naming the field", async () => {
    const bad = async (path: string, json: unknown, field: string) => expectCloudError(await t.post(path, { headers: key(), json }), field);
    await bad('/register', { pin: '123456' }, 'messaging_product');
    await bad('/register', { messaging_product: 'sms', pin: '123456' }, 'messaging_product');
    await bad('/register', { messaging_product: 'whatsapp' }, 'pin');
    await bad('/register', { messaging_product: 'whatsapp', pin: '12345' }, 'pin');
    await bad('/register', { messaging_product: 'whatsapp', pin: '12345a' }, 'pin');
    await bad('/register', { messaging_product: 'whatsapp', pin: '123456', data_localization_region: 'Germany' }, 'data_localization_region');
    await bad('/request_code', { language: 'en_US' }, 'code_method');
    await bad('/request_code', { code_method: 'EMAIL', language: 'en_US' }, 'code_method');
    await bad('/request_code', { code_method: 'SMS' }, 'language');
    await bad('/request_code', { code_method: 'SMS', language: 'english please' }, 'language');
    await bad('/verify_code', {}, 'code');
    await bad('/verify_code', { code: '12-34' }, 'code');
    await bad('/verify_code', { code: '1234567' }, 'code');
  });
});

const META_NUMBER = '106540352242977';

describeEachDb("commerce settings and registration on Meta's network: asked of Meta", (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let p: BootstrapResult;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });

  let meta: MetaNumber | undefined;
  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: META_NUMBER, wabaId: '102290129340777' });
    ({ graph, t, p } = meta);
  });
  afterAll(async () => {
    await meta?.close();
  });

  it("each call goes to Meta's /{phone_number_id}/… in Meta's documented form; Meta's answers and errors come back", async () => {
    graph.reset();
    const metaSettings = { data: [{ is_cart_enabled: false, is_catalog_visible: true, id: '527759822865714' }] };
    graph.respond(
      { status: 200, json: metaSettings },
      { status: 200, json: { success: true } },
      { status: 200, json: { success: true } },
      { status: 200, json: { success: true } },
      { status: 200, json: { success: true } },
      { status: 400, json: { error: { message: '(#136025) Verify code error', type: 'OAuthException', code: 136025, fbtrace_id: 'Axyz' } } },
    );
    const get = await t.get('/whatsapp_commerce_settings', { headers: key() });
    expect(get.status, get.text).toBe(200);
    expect(get.body).toEqual(metaSettings);
    const post = await t.post('/whatsapp_commerce_settings', { headers: key(), json: { is_cart_enabled: true } });
    expect(post.body).toEqual({ success: true });
    expect((await t.post('/register', { headers: key(), json: { messaging_product: 'whatsapp', pin: '123456' } })).body).toEqual({ success: true });
    expect((await t.post('/deregister', { headers: key() })).body).toEqual({ success: true });
    expect((await t.post('/request_code', { headers: key(), json: { code_method: 'SMS', language: 'en_US' } })).body).toEqual({ success: true });
    const verify = await t.post('/verify_code', { headers: key(), json: { code: '123456' } });
    expect(verify.status).toBe(400);
    expect(verify.body.error).toMatchObject({ code: 136025, fbtrace_id: 'Axyz' });
    expect(graph.requests.map((r) => [r.method, r.path.replace(/^\/v\d+\.\d+/, '')])).toEqual([
      ['GET', `/${META_NUMBER}/whatsapp_commerce_settings`],
      ['POST', `/${META_NUMBER}/whatsapp_commerce_settings?is_cart_enabled=true`],
      ['POST', `/${META_NUMBER}/register`],
      ['POST', `/${META_NUMBER}/deregister`],
      ['POST', `/${META_NUMBER}/request_code?code_method=SMS&language=en_US`],
      ['POST', `/${META_NUMBER}/verify_code`],
    ]);
    expect(graph.requests[2]!.json).toEqual({ messaging_product: 'whatsapp', pin: '123456' });
    expect(graph.requests[5]!.json).toEqual({ code: '123456' });
  });

  it('bad values are refused here, before Meta is asked', async () => {
    graph.reset();
    expectCloudError(await t.post('/whatsapp_commerce_settings', { headers: key(), query: { is_cart_enabled: 'on' } }), 'is_cart_enabled');
    expectCloudError(await t.post('/register', { headers: key(), json: { messaging_product: 'whatsapp', pin: '1' } }), 'pin');
    expect(graph.requests).toEqual([]);
  });
});
