// POST …/webhook_events/retry without a body retries the failed events, as documented
// ("default failed"), instead of refusing with "body must be object".
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { emitPartnerEvent } from '../src/webhooks/partner-events.ts';

describeEachDb('retry webhook events without a body', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let failed = 0;
  const auth = () => ({ headers: partnerKey(a.partner_api_key) });
  const url = () => `/api/v2/partners/${a.partner_id}/webhook_events/retry`;

  beforeAll(async () => {
    t = await startTestApp(kind);
    a = await t.tenant();
    // Nothing listens on port 1. The events are written as the test event call writes them (that
    // call then waits up to the webhook timeout for an attempt, which no dispatcher makes here).
    expect((await t.post(`/api/v2/partners/${a.partner_id}/webhook_url`, { ...auth(), json: { webhook_url: 'http://127.0.0.1:1/hook' } })).status).toBe(200);
    for (let i = 0; i < 3; i++) await emitPartnerEvent(t.deps, t.deps.db.kysely, a.partner_id, 'test', { partner_id: a.partner_id, message: 'test', sent_at: new Date().toISOString() });
    const ids = (await t.deps.db.kysely.selectFrom('webhook_events').select('id').where('partner_id', '=', a.partner_id).orderBy('id').execute()).map((r) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    failed = ids.length - 1;
    await t.deps.db.kysely.updateTable('webhook_events').set({ status: 'failed' }).where('id', 'in', ids.slice(1)).execute();
    await t.deps.db.kysely.updateTable('webhook_events').set({ status: 'delivered' }).where('id', '=', ids[0]!).execute();
  });
  afterAll(() => t.close());

  it('a bodiless POST retries the failed events only', async () => {
    const res = await t.post(url(), auth());
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ retried: failed });
    const statuses = (await t.deps.db.kysely.selectFrom('webhook_events').select('status').where('partner_id', '=', a.partner_id).execute()).map((r) => r.status).sort();
    expect(statuses).toEqual(['delivered', ...Array(failed).fill('pending')]);
  });

  it('a body is still validated', async () => {
    const res = await t.post(url(), { ...auth(), json: { status: 'lost' } });
    expect(res.status).toBe(400);
    expect(res.body.meta).toMatchObject({ success: false, http_code: 400 });
  });
});
