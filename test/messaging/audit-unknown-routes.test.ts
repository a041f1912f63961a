// A route the Messaging API does not have (an unknown path, or a method a path does not take)
// answers 404 in that API's own error body, as every other error there does: Meta's body on Cloud
// paths (reference §4.3), the On-Premise body under /v1/ (reference §6). It used to answer the
// plain {"error":"Route … not found"} of paths outside every API, which no client of either reads.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

describeEachDb('unknown Messaging API routes', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
  });
  afterAll(() => t.close());

  it('under /v1/: the On-Premise body, code 1006 "Resource not found", naming the route', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nothing-here'],
      ['DELETE', '/v1/configs/webhook'],
      ['POST', '/v1/configs/phone_number'],
      ['DELETE', '/v1/messages/gBEGkYiEB1VXAglK1ZEqA1YKPrU'],
    ] as const) {
      const res = await t.request(method, path, { headers: channelKey(a.channel_api_key) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
      expect(res.body, `${method} ${path}`).toEqual({
        errors: [{ code: 1006, title: 'Resource not found', details: `Route ${method} ${path} not found`, href: expect.stringMatching(/^https:\/\//) }],
        meta: { api_status: 'stable', version: expect.any(String) },
      });
    }
  });

  it("on Cloud paths: Meta's body (code 100), naming the route in error_data.details", async () => {
    for (const [method, path] of [
      ['PATCH', '/messages'],
      ['POST', '/health_status'],
      ['GET', '/sandbox/v1/nothing-here'],
      ['PUT', '/media'],
    ] as const) {
      const res = await t.request(method, path, { headers: channelKey(a.channel_api_key) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body, `${method} ${path}`).toEqual({
        error: {
          message: '(#100) Unsupported request',
          type: 'OAuthException',
          code: 100,
          error_data: { messaging_product: 'whatsapp', details: `Route ${method} ${path} not found` },
          fbtrace_id: expect.any(String),
        },
      });
    }
  });

  it('a query string is not part of the route named', async () => {
    const res = await t.get('/v1/nothing-here?limit=5', { headers: channelKey(a.channel_api_key) });
    expect(res.status).toBe(404);
    expect(res.body.errors[0].details).toBe('Route GET /v1/nothing-here not found');
  });

  it('paths of no API keep the plain JSON error; the Partner API keeps its own', async () => {
    const other = await t.get('/nothing/here');
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ error: 'Route GET /nothing/here not found' });
    const partner = await t.get('/api/v2/nothing-here', { headers: { 'x-api-key': a.partner_api_key } });
    expect(partner.status).toBe(404);
    expect(partner.body).toEqual({ meta: { success: false, http_code: 404, developer_message: 'Route GET /api/v2/nothing-here not found' } });
  });
});
