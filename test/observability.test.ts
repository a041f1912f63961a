// What an operator watches: the OpenAPI document and its UI, Prometheus metrics, and request
// logs that never hold a credential.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { bearer, channelKey, partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { sleep } from './helpers/wait.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

describeEachDb('observability', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
  });
  afterAll(() => t.close());

  describe('OpenAPI', () => {
    it('/openapi.json is OpenAPI 3.1.0 and documents the Partner API with its security schemes', async () => {
      const res = await t.get('/openapi.json');
      expect(res.status).toBe(200);
      const doc = res.body;
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.info).toMatchObject({ title: 'openwaba', version: expect.any(String) });
      const ops: [string, string][] = [
        ['/api/v2/partners/{partner_id}', 'get'],
        ['/api/v2/partners/{partner_id}', 'patch'],
        ['/api/v2/partners/{partner_id}/clients', 'get'],
        ['/api/v2/partners/{partner_id}/channels', 'get'],
        ['/api/v2/partners/{partner_id}/api_keys', 'post'],
        ['/api/v2/token', 'post'],
      ];
      for (const [path, method] of ops) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
      expect(doc.components.securitySchemes).toMatchObject({
        PartnerApiKeyV2: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        Bearer: { type: 'http', scheme: 'bearer' },
        D360ApiKey: { type: 'apiKey', in: 'header', name: 'D360-API-KEY' },
      });
      // Operations name their schemes; the token endpoint needs none.
      expect(doc.paths['/api/v2/partners/{partner_id}'].get.security).toEqual([{ PartnerApiKeyV2: [] }, { Bearer: [] }]);
      expect(doc.paths['/api/v2/token'].post.security).toBeUndefined();
      // Generated from route schemas: parameters and bodies are there.
      expect(doc.paths['/api/v2/partners/{partner_id}'].get.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'partner_id', in: 'path', required: true })]),
      );
      const tokenBody = doc.paths['/api/v2/token'].post.requestBody.content['application/json'].schema;
      // {username, password} or {refresh_token}: which is required depends on the grant.
      expect(Object.keys(tokenBody.properties)).toEqual(expect.arrayContaining(['username', 'password', 'refresh_token', 'grant_type']));
      // Internal endpoints stay out of the document.
      for (const hidden of ['/health', '/metrics', '/openapi.json']) expect(doc.paths[hidden]).toBeUndefined();
    });

    it('/docs serves the browsable HTML UI', async () => {
      const res = await t.get('/docs');
      expect(res.status).toBe(200);
      expect(String(res.headers['content-type'])).toContain('text/html');
      expect(res.text).toMatch(/swagger/i);
    });
  });

  describe('health', () => {
    it('/health answers the process is up; /ready that the database answers too', async () => {
      expect((await t.get('/health')).body).toEqual({ status: 'ok' });
      const ready = await t.get('/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready' });
    });
  });

  describe('metrics', () => {
    it('/metrics is Prometheus text with request counts per route and status', async () => {
      await t.get(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(a.partner_api_key) });
      await t.get(`/api/v2/partners/${a.partner_id}`);
      await t.get('/no/such/path/12345');
      await sleep(50); // onResponse runs after the answer is sent
      const res = await t.get('/metrics');
      expect(res.status).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.text).toContain('# TYPE openwaba_http_requests_total counter');
      expect(res.text).toMatch(/^openwaba_http_requests_total\{method="GET",route="\/api\/v2\/partners\/:partner_id",status_code="200"\} [1-9]\d*$/m);
      expect(res.text).toMatch(/^openwaba_http_requests_total\{method="GET",route="\/api\/v2\/partners\/:partner_id",status_code="401"\} [1-9]\d*$/m);
      expect(res.text).toContain('openwaba_http_request_duration_seconds_bucket');
      expect(res.text).toContain('openwaba_process_cpu_seconds_total');
      // Unmatched paths share one label instead of naming the path (a metric's value may contain any digits: labels only).
      expect(res.text).not.toMatch(/\{[^}]*12345[^}]*\}/);
      expect(res.text).not.toContain('/no/such/path');
    });
  });

  describe('request logs', () => {
    it('hold no key, token or password, but show that something was redacted', async () => {
      const token = await t.post('/api/v2/token', { json: { username: a.username, password: a.password } });
      expect(token.status).toBe(200);
      const accessToken: string = token.body.access_token;
      const wrongPassword = `wrong-${a.password}`;
      const from = t.logs.length;

      const requests = [
        t.get(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(a.partner_api_key) }),
        t.get(`/api/v2/partners/${a.partner_id}`, { headers: bearer(accessToken) }),
        t.get(`/api/v2/partners/${a.partner_id}`, { headers: { authorization: `bearer ${accessToken}` } }),
        t.post('/messages', { headers: { 'd360-api-key': a.channel_api_key }, json: { to: '4915112345678', type: 'text', text: { body: 'hi' } } }),
        t.get('/v1/settings', { headers: channelKey(a.channel_api_key) }),
        t.post('/api/v2/token', { json: { username: a.username, password: a.password } }),
        t.post('/api/v2/token', { json: { username: a.username, password: wrongPassword } }),
        // A body that fails validation must not be logged either.
        t.post('/api/v2/token', { json: { username: a.username, password: a.password, extra: [a.partner_api_key] } }),
        t.patch(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(a.partner_api_key), raw: `{"api_key":"${a.partner_api_key}"`, }),
        // Headers outside the logged allowlist (a custom signature, proxy credentials) stay out.
        t.get('/health', { headers: { 'x-hub-signature': `sig-${a.partner_api_key}`, 'proxy-authorization': `Basic ${a.password}` } }),
      ];
      const statuses = (await Promise.all(requests)).map((r) => r.status);
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses[6]).toBe(401);
      await sleep(100); // the last "request completed" lines

      const logs = t.logs.slice(from).join('');
      // The requests were logged, with their credential headers present but censored.
      const lines = logs.trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.filter((l) => l.req?.url === `/api/v2/partners/${a.partner_id}`).length).toBeGreaterThanOrEqual(3);
      expect(lines.filter((l) => l.res?.statusCode).length).toBeGreaterThanOrEqual(requests.length);
      const headers = lines.filter((l) => l.req?.headers).map((l) => l.req.headers);
      expect(headers.some((h) => h['x-api-key'] === '[redacted]')).toBe(true);
      expect(headers.some((h) => h.authorization === '[redacted]')).toBe(true);
      expect(headers.some((h) => h['d360-api-key'] === '[redacted]')).toBe(true);
      for (const secret of [a.partner_api_key, a.channel_api_key, accessToken, a.password, wrongPassword]) {
        expect(logs).not.toContain(secret);
      }
      // Nor the signature part of the JWT on its own.
      expect(logs).not.toContain(accessToken.split('.').pop()!);
    });
  });
});
