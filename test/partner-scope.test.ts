// Every Partner API route under /partners/{partner_id} answers 403 to another partner's
// credential, whatever the rest of the request: the scope is enforced once, in the plugin's
// onRequest hook, for every route the OpenAPI document lists (a route added later included).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';

describeEachDb('Partner API: every /partners/{partner_id} route is scoped to the caller', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
    b = await t.tenant();
  });
  afterAll(() => t.close());

  it("answers 403 for another partner's id on every method of every such route, before the body is looked at", async () => {
    const doc = (await t.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/v2/partners/{partner_id}'))
      .flatMap(([path, ops]) => Object.keys(ops).filter((m) => ['get', 'post', 'patch', 'put', 'delete'].includes(m)).map((method) => ({ path, method })));
    expect(routes.length).toBeGreaterThan(25);
    for (const { path, method } of routes) {
      // B's id, the other parameters made up: the answer must be the scope's, not a 404 or a 400.
      const url = path.replace('{partner_id}', b.partner_id).replace(/\{[a-z_]+\}/g, 'x1');
      const res = await t.request(method.toUpperCase(), url, { headers: partnerKey(a.partner_api_key), ...(method === 'get' || method === 'delete' ? {} : { json: { not: 'valid' } }) });
      expect(res.status, `${method.toUpperCase()} ${path}`).toBe(403);
      expect(res.body.meta?.developer_message, `${method.toUpperCase()} ${path}`).toContain(b.partner_id);
    }
  });
});
