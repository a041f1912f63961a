// Regressions found by a review of signed channel webhooks (each failed before its fix): a custom
// webhook header named X-Hub-Signature-256 was taken (a fixed fake "signature" on every delivery
// of an unsigned number); a malformed JSON body's 400 quoted the body's text (an app secret sent
// unquoted came back in the error answer).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { describeEachDb } from '../helpers/db.ts';
import { channelKey, startTestApp, type TestApp } from '../helpers/app.ts';

describeEachDb('signed webhooks: review regressions', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  const key = () => channelKey(p.channel_api_key);

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
  });
  afterAll(() => t?.close());

  it('refuses a custom X-Hub-Signature-256 header on the webhook and on extra destinations: openwaba signs', async () => {
    const fake = { 'X-Hub-Signature-256': `sha256=${'a'.repeat(64)}` };
    for (const path of ['/v1/configs/webhook', '/configs/webhook']) {
      const res = await t.post(path, { headers: key(), json: { url: 'https://example.com/hook', headers: fake } });
      expect(res.status, res.text).toBe(400);
      expect(res.text).toMatch(/X-Hub-Signature-256/i);
    }
    const multi = await t.post('/multi_webhook', { headers: key(), json: { enabled: true, destinations: [{ name: 'crm', url: 'https://example.com/crm', headers: fake }] } });
    expect(multi.status, multi.text).toBe(400);
    const row = await t.deps.db.kysely.selectFrom('channels').select('webhook_headers').where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    expect(row.webhook_headers ?? '').not.toMatch(/hub-signature/i);
  });

  it("a malformed JSON body's 400 does not quote the body", async () => {
    const secret = 'Zq9SuperSecretValue1234';
    const res = await t.request('PUT', '/configs/app_secret', { headers: { ...key(), 'content-type': 'application/json' }, raw: `{"app_secret":${secret}}` });
    expect(res.status, res.text).toBe(400);
    expect(res.text).toMatch(/not valid JSON|Unexpected token/);
    expect(res.text).not.toContain(secret.slice(0, 6));
  });
});
