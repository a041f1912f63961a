// Calls real 360dialog clients make on the Messaging API that openwaba once answered with 404:
// GET/POST /waba_webhook (the WABA's webhook, the /subscribed_apps override's store),
// GET/DELETE /media/{id} (alias of /{id}) and GET/PATCH /v1/settings/application (On-Premise).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, uploadCloud } from './media-fixtures.ts';

describeEachDb('real-client aliases', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let q: BootstrapResult;
  const key = (who: BootstrapResult = p) => ({ 'D360-API-KEY': who.channel_api_key });

  beforeAll(async () => {
    t = await startTestApp(kind, { config: { webhookUrlPolicy: 'strict' } });
    p = await t.tenant();
    q = await t.tenant();
  });
  afterAll(() => t?.close());

  describe('/waba_webhook', () => {
    it('POST sets the WABA override (seen by GET and /subscribed_apps), scoped to the key; "" removes it', async () => {
      expect((await t.get('/waba_webhook', { headers: key() })).body).toMatchObject({ url: null, headers: {} });
      const res = await t.post('/waba_webhook', { headers: key(), json: { url: 'https://hooks.example.com/waba' } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ url: 'https://hooks.example.com/waba', headers: {} });
      expect((await t.get('/waba_webhook', { headers: key() })).body.url).toBe('https://hooks.example.com/waba');
      const apps = await t.get('/subscribed_apps', { headers: key() });
      expect(apps.body.data[0].override_callback_uri).toBe('https://hooks.example.com/waba');
      // The number's own webhook is untouched; another tenant's WABA too.
      expect((await t.get('/v1/configs/webhook', { headers: key() })).body.url).toBeNull();
      expect((await t.get('/waba_webhook', { headers: key(q) })).body.url).toBeNull();
      const off = await t.post('/waba_webhook', { headers: key(), json: { url: '', headers: {} } });
      expect(off.body).toMatchObject({ url: null, headers: {} });
      expect((await t.get('/subscribed_apps', { headers: key() })).body.data[0].override_callback_uri).toBeUndefined();
    });

    it('bad input is a Cloud-format 400 (policy, headers, unknown fields, types); no key is 401', async () => {
      for (const json of [
        { url: 'http://hooks.example.com/x' },
        { url: 'https://127.0.0.1/x' },
        { url: 'https://a_b.example.com/x' },
        { url: 5 },
        {},
        { url: 'https://hooks.example.com/x', headers: { 'Content-Type': 'text/plain' } },
        { url: 'https://hooks.example.com/x', extra: 1 },
        [1],
      ]) {
        const res = await t.post('/waba_webhook', { headers: key(), json });
        expect(res.status, JSON.stringify(json)).toBe(400);
        expect(res.body.error.code, JSON.stringify(json)).toBe(100);
      }
      expect((await t.get('/waba_webhook', { headers: key() })).body.url).toBeNull();
      expect((await t.get('/waba_webhook')).status).toBe(401);
    });
  });

  describe('/media/{media_id}', () => {
    it('GET and DELETE answer as /{media_id}; another channel gets the not-found', async () => {
      const png = SAMPLES.find((s) => s.mime === 'image/png')!;
      const up = await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: png.mime, file: { data: png.data, name: 'a.png' } });
      expect(up.status).toBe(200);
      const id = up.body.id as string;
      const direct = await t.get(`/${id}`, { headers: key() });
      const alias = await t.get(`/media/${id}`, { headers: key() });
      expect(alias.status, alias.text).toBe(200);
      expect(alias.body).toMatchObject({ messaging_product: 'whatsapp', id, mime_type: png.mime, sha256: direct.body.sha256, file_size: png.data.length });
      const other = await t.get(`/media/${id}`, { headers: key(q) });
      expect(other.status).toBe((await t.get(`/${id}`, { headers: key(q) })).status);
      expect(other.status).toBeGreaterThanOrEqual(400);
      const del = await t.delete(`/media/${id}`, { headers: key() });
      expect(del.status, del.text).toBe(200);
      expect(del.body).toEqual({ success: true });
      expect((await t.get(`/${id}`, { headers: key() })).status).toBeGreaterThanOrEqual(400);
    });
  });

  describe('/v1/settings/application', () => {
    it('GET has the On-Premise shape with webhooks.url; PATCH webhooks.url sets the channel webhook and ignores other fields', async () => {
      const get = await t.get('/v1/settings/application', { headers: key() });
      expect(get.status).toBe(200);
      expect(get.body.settings.application).toMatchObject({ callback_persist: true, wa_id: p.phone_number, webhooks: { url: '' } });
      expect(get.body.meta).toBeDefined();
      const res = await t.patch('/v1/settings/application', {
        headers: key(),
        json: { webhooks: { url: 'https://hooks.example.com/onprem', max_concurrent_requests: 12 }, callback_persist: false, some_future_field: { a: 1 } },
      });
      expect(res.status, res.text).toBe(200);
      expect((await t.get('/v1/configs/webhook', { headers: key() })).body.url).toBe('https://hooks.example.com/onprem');
      expect((await t.get('/v1/settings/application', { headers: key() })).body.settings.application.webhooks.url).toBe('https://hooks.example.com/onprem');
      expect((await t.get('/v1/configs/webhook', { headers: key(q) })).body.url).toBeNull();
      // A PATCH without webhooks leaves the URL.
      expect((await t.patch('/v1/settings/application', { headers: key(), json: { heartbeat_interval: 9 } })).status).toBe(200);
      expect((await t.get('/v1/configs/webhook', { headers: key() })).body.url).toBe('https://hooks.example.com/onprem');
    });

    it('bad webhooks are an On-Premise 400 and change nothing', async () => {
      for (const json of [{ webhooks: { url: 'http://insecure.example.com' } }, { webhooks: { url: 7 } }, { webhooks: 'x' }, [1]]) {
        const res = await t.patch('/v1/settings/application', { headers: key(), json });
        expect(res.status, JSON.stringify(json)).toBe(400);
        expect(Array.isArray(res.body.errors), res.text).toBe(true);
      }
      expect((await t.get('/v1/configs/webhook', { headers: key() })).body.url).toBe('https://hooks.example.com/onprem');
    });
  });
});
