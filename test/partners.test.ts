import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { HubClient } from './web/hub-client.ts';

describeEachDb('partner', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
    b = await t.tenant();
  });
  afterAll(() => t.close());

  describe('GET /api/v2/partners/{pid}', () => {
    it('returns the partner object of the reference', async () => {
      const res = await t.get(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(a.partner_api_key) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: a.partner_id, webhook_url: null, partner_redirect_url: null, allow_client_to_add_phone_no: true });
      expect(res.body.id).toMatch(/^[0-9A-Za-z]{10}PA$/);
      expect(res.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });
    it('401 without a credential, with the meta error body', async () => {
      const res = await t.get(`/api/v2/partners/${a.partner_id}`);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ meta: { success: false, http_code: 401, developer_message: expect.any(String) } });
    });
    it('401 with a wrong key even when the body is malformed (the key is checked first)', async () => {
      const res = await t.patch(`/api/v2/partners/${a.partner_id}`, { headers: { ...partnerKey('owpk_wrong'), 'content-type': 'application/json' }, raw: '{"webhook_url":' });
      expect(res.status).toBe(401);
      expect(res.body.meta.http_code).toBe(401);
    });
    it('401 with a wrong key', async () => {
      const res = await t.get(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey('owpk_wrong') });
      expect(res.status).toBe(401);
    });
    it("403 with another partner's key", async () => {
      const res = await t.get(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(b.partner_api_key) });
      expect(res.status).toBe(403);
      expect(res.body.meta.developer_message).toContain(a.partner_id);
    });
  });

  describe('PATCH /api/v2/partners/{pid}', () => {
    it('sets webhook_url and partner_redirect_url', async () => {
      const res = await t.patch(`/api/v2/partners/${a.partner_id}`, {
        headers: partnerKey(a.partner_api_key),
        json: { webhook_url: 'https://example.com/hook', partner_redirect_url: 'https://example.com/back' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ webhook_url: 'https://example.com/hook', partner_redirect_url: 'https://example.com/back' });
    });
    it('400 for a URL that is not absolute http(s)', async () => {
      for (const bad of ['ftp://example.com/x', 'not a url', '/relative']) {
        const res = await t.patch(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(a.partner_api_key), json: { webhook_url: bad } });
        expect(res.status, bad).toBe(400);
        expect(res.body.meta.developer_message).toMatch(/webhook_url/);
      }
    });
    it('400 for unknown fields and malformed JSON', async () => {
      const unknown = await t.patch(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(a.partner_api_key), json: { colour: 'red' } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.meta.developer_message).toContain('colour');
      const broken = await t.patch(`/api/v2/partners/${a.partner_id}`, {
        headers: { ...partnerKey(a.partner_api_key), 'content-type': 'application/json' },
        raw: '{"webhook_url":',
      });
      expect(broken.status).toBe(400);
      expect(broken.body.meta.success).toBe(false);
    });
    it("403 with another partner's key, and the partner is unchanged", async () => {
      const res = await t.patch(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(b.partner_api_key), json: { webhook_url: 'https://evil.example/' } });
      expect(res.status).toBe(403);
      const after = await t.get(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(a.partner_api_key) });
      expect(after.body.webhook_url).toBe('https://example.com/hook');
    });
  });

  describe('webhook_url', () => {
    it('POST sets it and GET reads it back', async () => {
      const set = await t.post(`/api/v2/partners/${b.partner_id}/webhook_url`, { headers: partnerKey(b.partner_api_key), json: { webhook_url: 'http://localhost:9999/partner' } });
      expect(set.status).toBe(200);
      expect(set.body.webhook_url).toBe('http://localhost:9999/partner');
      const get = await t.get(`/api/v2/partners/${b.partner_id}/webhook_url`, { headers: partnerKey(b.partner_api_key) });
      expect(get.body).toEqual({ webhook_url: 'http://localhost:9999/partner', headers: {} });
    });
    it('POST 400 without webhook_url', async () => {
      const res = await t.post(`/api/v2/partners/${b.partner_id}/webhook_url`, { headers: partnerKey(b.partner_api_key), json: {} });
      expect(res.status).toBe(400);
      expect(res.body.meta.developer_message).toContain('webhook_url');
    });
    it('401 / 403', async () => {
      expect((await t.get(`/api/v2/partners/${b.partner_id}/webhook_url`)).status).toBe(401);
      expect((await t.get(`/api/v2/partners/${b.partner_id}/webhook_url`, { headers: partnerKey(a.partner_api_key) })).status).toBe(403);
      expect((await t.post(`/api/v2/partners/${b.partner_id}/webhook_url`, { headers: partnerKey(a.partner_api_key), json: { webhook_url: 'https://x.example' } })).status).toBe(403);
    });
  });

  it('a NUL character in the URL or body is a 400, never a 500', async () => {
    const inPath = await t.get(`/api/v2/partners/${a.partner_id}/clients/a%00CL`, { headers: partnerKey(a.partner_api_key) });
    expect(inPath.status).toBe(400);
    expect(inPath.body.meta.http_code).toBe(400);
    const inFilter = await t.get(`/api/v2/partners/${a.partner_id}/channels`, { headers: partnerKey(a.partner_api_key), query: { filters: '{"id":"a\u0000b"}' } });
    expect(inFilter.status).toBe(400);
    const inBody = await t.patch(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(a.partner_api_key), json: { brand_name: 'a\u0000b' } });
    expect([200, 400]).toContain(inBody.status);
  });

  it('unknown routes answer 404 in the meta format', async () => {
    const res = await t.get(`/api/v2/partners/${a.partner_id}/nothing-here`, { headers: partnerKey(a.partner_api_key) });
    expect(res.status).toBe(404);
    expect(res.body.meta).toMatchObject({ success: false, http_code: 404 });
  });
});

// The partner's webhook URL is a webhook target like a channel's: under
// OPENWABA_WEBHOOK_URL_POLICY=strict it follows the same rules (and its headers the same limits)
// on every way to set it, refused up front with a 400 naming the rule instead of failing later.
describeEachDb('partner webhook target under OPENWABA_WEBHOOK_URL_POLICY=strict', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  const asA = () => ({ headers: partnerKey(a.partner_api_key) });
  const stored = async () => (await t.get(`/api/v2/partners/${a.partner_id}/webhook_url`, asA())).body;

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_WEBHOOK_URL_POLICY: 'strict' } });
    a = await t.tenant();
    const ok = await t.post(`/api/v2/partners/${a.partner_id}/webhook_url`, { ...asA(), json: { webhook_url: 'https://hooks.example.com/partner', headers: { Authorization: 'Basic abc' } } });
    expect(ok.status).toBe(200);
  });
  afterAll(() => t.close());

  const refused: [string, RegExp][] = [
    ['https://127.0.0.1/hook', /^webhook_url must not point to a private, loopback, link-local or reserved address/],
    ['https://10.1.2.3/hook', /private/],
    ['http://hooks.example.com/hook', /^webhook_url must use https \(OPENWABA_WEBHOOK_URL_POLICY=strict\)/],
    ['https://hooks.example.com:8443/hook', /^webhook_url must not contain an explicit port/],
    ['https://my_host.example.com/hook', /^webhook_url host must not contain "_"/],
  ];

  it('POST …/webhook_url refuses a URL the policy forbids, and keeps the one set before', async () => {
    for (const [url, message] of refused) {
      const res = await t.post(`/api/v2/partners/${a.partner_id}/webhook_url`, { ...asA(), json: { webhook_url: url } });
      expect(res.status, url).toBe(400);
      expect(res.body.meta, url).toMatchObject({ success: false, http_code: 400 });
      expect(res.body.meta.developer_message, url).toMatch(message);
    }
    expect(await stored()).toEqual({ webhook_url: 'https://hooks.example.com/partner', headers: { Authorization: 'Basic abc' } });
  });

  it('PATCH /partners/{pid} refuses them too (the redirect URL keeps its own rules)', async () => {
    for (const [url, message] of refused) {
      const res = await t.patch(`/api/v2/partners/${a.partner_id}`, { ...asA(), json: { webhook_url: url } });
      expect(res.status, url).toBe(400);
      expect(res.body.meta.developer_message, url).toMatch(message);
    }
    expect((await stored()).webhook_url).toBe('https://hooks.example.com/partner');
    // Only the webhook URL is a webhook target: the redirect URL keeps its own rules.
    const redirect = await t.patch(`/api/v2/partners/${a.partner_id}`, { ...asA(), json: { partner_redirect_url: 'http://localhost:3000/done' } });
    expect(redirect.status).toBe(200);
  });

  it('custom headers follow the channel webhook limits: 20 headers, names of token characters, values up to 4096 without line breaks', async () => {
    const post = (headers: unknown) => t.post(`/api/v2/partners/${a.partner_id}/webhook_url`, { ...asA(), json: { webhook_url: 'https://hooks.example.com/partner', headers } });
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v']));
    const cases: [unknown, RegExp][] = [
      [many, /^headers: at most 20 custom headers$/],
      [{ 'Bad Name': 'v' }, /^headers: "Bad Name" is not a valid header name$/],
      [{ 'X-Line': 'a\r\nInjected: 1' }, /^headers: the value of "X-Line" must be a string without line breaks, at most 4096 characters$/],
      [{ 'X-Long': 'v'.repeat(4097) }, /at most 4096 characters/],
    ];
    for (const [headers, message] of cases) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers).slice(0, 60)).toBe(400);
      expect(res.body.meta.developer_message).toMatch(message);
    }
    const long = await post({ 'X-Long': 'v'.repeat(4096) });
    expect(long.status).toBe(200);
    expect((await stored()).headers).toEqual({ 'X-Long': 'v'.repeat(4096) });
  });

  it('the Hub integration page refuses it next to the field, with the same rule', async () => {
    const hub = new HubClient(t.baseUrl);
    await hub.login(a.username, a.password);
    const res = await hub.post(`/hub/partner/${a.partner_id}/settings`, { webhook_url: 'https://192.168.1.10/hook', partner_redirect_url: '' });
    expect(res.status).toBe(400);
    expect(res.html).toContain('id="webhook_url-error"');
    expect(res.html).toContain('Webhook URL must not point to a private, loopback, link-local or reserved address');
    expect((await stored()).webhook_url).toBe('https://hooks.example.com/partner');
  });
});
