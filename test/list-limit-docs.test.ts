// Each Partner API list documents its own default page size, and answers with it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

let t: TestApp;
let a: BootstrapResult;
beforeAll(async () => {
  t = await startTestApp('sqlite');
  a = await t.tenant();
});
afterAll(() => t.close());

it('the limit described in the OpenAPI document is the limit each list uses', async () => {
  const doc = (await t.get('/openapi.json')).body as { paths: Record<string, { get?: { parameters?: { name: string; in: string; description?: string }[] } }> };
  const waba = (await t.get(`/api/v2/partners/${a.partner_id}/channels/${a.channel_id}`, { headers: partnerKey(a.partner_api_key) })).body.waba_account.id as string;
  const lists: [string, string, number][] = [
    ['/api/v2/partners/{partner_id}/clients', `/api/v2/partners/${a.partner_id}/clients`, 1000],
    ['/api/v2/partners/{partner_id}/channels', `/api/v2/partners/${a.partner_id}/channels`, 1000],
    ['/api/v2/partners/{partner_id}/waba_accounts/{waba_account_id}/waba_templates', `/api/v2/partners/${a.partner_id}/waba_accounts/${waba}/waba_templates`, 50],
    ['/api/v2/partners/{partner_id}/webhook_events', `/api/v2/partners/${a.partner_id}/webhook_events`, 100],
  ];
  for (const [template, path, expected] of lists) {
    const limit = doc.paths[template]?.get?.parameters?.find((p) => p.name === 'limit' && p.in === 'query');
    expect(limit?.description, template).toBe(`Page size (default ${expected}, at most 1000)`);
    const res = await t.get(path, { headers: partnerKey(a.partner_api_key) });
    expect(res.status, path).toBe(200);
    expect(res.body.limit, path).toBe(expected);
  }
});
