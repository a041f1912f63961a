// The channel's webhook configuration (GET/POST /v1/configs/webhook and /configs/webhook): the
// URL rules of OPENWABA_WEBHOOK_URL_POLICY (strict: the seed's Cloud rules; local: also http,
// ports, loopback), header checks, error bodies per flavour, and one channel never sees another's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type HttpResponse, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const PATHS = ['/v1/configs/webhook', '/configs/webhook'] as const;

/** The 400's explanation, whichever flavour rendered it. */
function details(res: HttpResponse): string {
  return res.body?.errors?.[0]?.details ?? res.body?.error?.error_data?.details ?? '';
}

describeEachDb('channel webhook configuration', (kind) => {
  describe('local policy (the default outside production)', () => {
    let t: TestApp;
    let p: BootstrapResult;
    let q: BootstrapResult;
    const key = (who: BootstrapResult = p) => ({ 'D360-API-KEY': who.channel_api_key });
    const set = (json: unknown, path: string = PATHS[0], who: BootstrapResult = p) => t.post(path, { headers: key(who), json });

    beforeAll(async () => {
      t = await startTestApp(kind);
      p = await t.tenant();
      q = await t.tenant();
    });
    afterAll(async () => {
      await t.close();
    });

    it('starts empty; http://127.0.0.1:3000 is accepted and echoed; both paths read the same config', async () => {
      for (const path of PATHS) expect((await t.get(path, { headers: key() })).body).toEqual({ url: null, headers: {} });
      const res = await set({ url: 'http://127.0.0.1:3000/hook', headers: { Authorization: 'Basic abc', 'X-Tenant': 'a' } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ url: 'http://127.0.0.1:3000/hook', headers: { Authorization: 'Basic abc', 'X-Tenant': 'a' } });
      for (const path of PATHS) expect((await t.get(path, { headers: key() })).body).toEqual(res.body);
      const local = await set({ url: 'http://localhost:8080/wh' }, PATHS[1]);
      expect(local.status).toBe(200);
      expect(local.body).toEqual({ url: 'http://localhost:8080/wh', headers: {} });
    });

    it("another channel's key sees and changes only its own config", async () => {
      await set({ url: 'https://p.example.com/hook', headers: { Authorization: 'Bearer p-secret' } });
      for (const path of PATHS) expect((await t.get(path, { headers: key(q) })).body).toEqual({ url: null, headers: {} });
      await set({ url: 'https://q.example.com/hook' }, PATHS[1], q);
      expect((await t.get(PATHS[0], { headers: key() })).body).toEqual({ url: 'https://p.example.com/hook', headers: { Authorization: 'Bearer p-secret' } });
      expect((await t.get(PATHS[0], { headers: key(q) })).body).toEqual({ url: 'https://q.example.com/hook', headers: {} });
    });

    it('url null or "" removes the webhook', async () => {
      await set({ url: 'https://p.example.com/hook' });
      for (const url of [null, '']) {
        const res = await set({ url, headers: {} });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ url: null, headers: {} });
      }
      expect((await t.get(PATHS[1], { headers: key() })).body).toEqual({ url: null, headers: {} });
    });

    const invalid: [unknown, string][] = [
      [{}, 'url: is required'],
      [{ url: 5 }, 'url must be a string'],
      [{ url: 'not a url' }, 'url must be an absolute URL'],
      [{ url: 'ftp://example.com/hook' }, 'url must use https or http'],
      [{ url: 'https://user:pw@example.com/hook' }, 'must not contain credentials'],
      [{ url: 'https://example.com/hook', extra: 1 }, 'extra: is not a known field'],
      [['https://example.com/hook'], 'must be a JSON object'],
      [{ url: 'https://example.com/hook', headers: ['Authorization: x'] }, 'headers must be an object'],
      [{ url: 'https://example.com/hook', headers: 'Authorization: x' }, 'headers must be an object'],
      [{ url: 'https://example.com/hook', headers: { 'Bad Header': 'x' } }, '"Bad Header" is not a valid header name'],
      [{ url: 'https://example.com/hook', headers: { '': 'x' } }, 'is not a valid header name'],
      [{ url: 'https://example.com/hook', headers: { 'X-A': 5 } }, 'the value of "X-A" must be a string'],
      [{ url: 'https://example.com/hook', headers: { 'X-A': 'a\r\nX-Injected: 1' } }, 'without line breaks'],
      [{ url: 'https://example.com/hook', headers: { 'Content-Type': 'text/plain' } }, '"Content-Type" is set by openwaba on every delivery'],
      [{ url: 'https://example.com/hook', headers: { 'x-360dialog-signature': 'forged' } }, '"x-360dialog-signature" is set by openwaba'],
      [{ url: 'https://example.com/hook', headers: { Host: 'other.example' } }, '"Host" is set by openwaba'],
      [{ url: 'https://example.com/hook', headers: { 'X-A': 'v'.repeat(4097) } }, 'at most 4096 characters'],
      [{ url: 'https://example.com/hook', headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])) }, 'at most 20 custom headers'],
    ];

    it.each(invalid)('On-Premise path: %j → 400 {"errors":[…]} stating the rule', async (json, rule) => {
      const res = await set(json, PATHS[0]);
      expect(res.status, res.text).toBe(400);
      expect(res.body).toEqual({
        errors: [{ code: expect.any(Number), title: expect.any(String), details: expect.stringContaining(rule), href: expect.any(String) }],
        meta: { api_status: 'stable', version: expect.any(String) },
      });
    });

    it.each(invalid)('Cloud path: %j → 400 {"error":{…}} stating the rule', async (json, rule) => {
      const res = await set(json, PATHS[1]);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException', error_data: { messaging_product: 'whatsapp', details: expect.stringContaining(rule) } });
    });

    it('a rejected change leaves the stored config as it was', async () => {
      await set({ url: 'https://kept.example.com/hook', headers: { 'X-Keep': '1' } });
      expect((await set({ url: 'https://other.example.com/hook', headers: { 'Bad Header': 'x' } })).status).toBe(400);
      expect((await t.get(PATHS[0], { headers: key() })).body).toEqual({ url: 'https://kept.example.com/hook', headers: { 'X-Keep': '1' } });
    });

    it('malformed JSON and a missing body are 400s, not 500s', async () => {
      for (const path of PATHS) {
        const bad = await t.post(path, { headers: { ...key(), 'content-type': 'application/json' }, raw: '{"url":' });
        expect(bad.status).toBe(400);
        const none = await t.post(path, { headers: key() });
        expect(none.status).toBe(400);
        expect(details(none)).toContain('body');
      }
    });
  });

  describe('strict policy (the seed rules for Cloud API webhooks)', () => {
    let t: TestApp;
    let p: BootstrapResult;
    const set = (url: string, path: string = PATHS[0]) => t.post(path, { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url } });

    beforeAll(async () => {
      t = await startTestApp(kind, { env: { OPENWABA_WEBHOOK_URL_POLICY: 'strict' } });
      p = await t.tenant();
    });
    afterAll(async () => {
      await t.close();
    });

    it.each([
      ['http://example.com/hook', 'url must use https'],
      ['https://my_host.example.com/hook', 'must not contain "_"'],
      ['https://example.com:8443/hook', 'explicit port'],
      ['https://example.com:443/hook', 'explicit port'],
      ['https://example.com:/hook', 'explicit port'],
      ['https://127.0.0.1/hook', 'private, loopback'],
      ['https://127.1/hook', 'private, loopback'],
      ['https://10.1.2.3/hook', 'private, loopback'],
      ['https://172.16.0.1/hook', 'private, loopback'],
      ['https://192.168.1.10/hook', 'private, loopback'],
      ['https://169.254.169.254/latest/meta-data', 'private, loopback'],
      ['https://0.0.0.0/hook', 'private, loopback'],
      ['https://localhost/hook', 'private, loopback'],
      ['https://localhost./hook', 'private, loopback'],
      ['https://api.localhost/hook', 'private, loopback'],
      ['https://[::1]/hook', 'private, loopback'],
      ['https://[::ffff:127.0.0.1]/hook', 'private, loopback'],
      ['https://[fd00::1]/hook', 'private, loopback'],
      ['https://[fe80::1]/hook', 'private, loopback'],
      ['https://2130706433/hook', 'private, loopback'],
    ])('%s → 400 (%s)', async (url, rule) => {
      for (const path of PATHS) {
        const res = await set(url, path);
        expect(res.status, `${path} ${res.text}`).toBe(400);
        expect(details(res)).toContain(rule);
      }
    });

    it.each([
      'https://example.com/hook',
      'https://hooks.example.com/whatsapp/in?token=a_b&port=1:2',
      'https://example.com/path_with_underscore',
      'https://8.8.8.8/hook',
      'https://[2001:4860:4860::8888]/hook',
    ])('%s is accepted', async (url) => {
      const res = await set(url);
      expect(res.status, res.text).toBe(200);
      expect(res.body.url).toBe(url);
    });

    it('a custom header name with "_" → 400 naming it; "-" and "_" in values are fine', async () => {
      for (const path of PATHS) {
        const res = await t.post(path, { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: 'https://example.com/hook', headers: { X_Api_Key: 'a' } } });
        expect(res.status, `${path} ${res.text}`).toBe(400);
        expect(details(res)).toContain('"X_Api_Key" must not contain "_"');
      }
      const ok = await t.post(PATHS[0], { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: 'https://example.com/hook', headers: { 'X-Api-Key': 'a_b' } } });
      expect(ok.status, ok.text).toBe(200);
      // The partner webhook follows the same rule.
      const partner = await t.post(`/api/v2/partners/${p.partner_id}/webhook_url`, { headers: { 'X-API-Key': p.partner_api_key }, json: { webhook_url: 'https://example.com/p', headers: { my_header: 'x' } } });
      expect(partner.status, partner.text).toBe(400);
      expect(partner.body.meta.developer_message).toContain('"my_header" must not contain "_"');
    });
  });
});
