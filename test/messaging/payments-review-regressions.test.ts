// Regressions found by a review of the payments and Conversions API work (each failed before its fix):
// an OAuth link whose redirect_url holds a non-ASCII character answered 500 after connecting the
// configuration; order arithmetic beyond 2^53 accepted a wrong total and refused the right one; a
// form-encoded events body nested 150,000 deep answered 500; concurrent event posts on PostgreSQL
// kept more than a dataset's bound.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { CONVERSION_EVENTS_KEPT } from '../../src/messaging/conversion-events.ts';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { singaporeOrder } from './payments-fixtures.ts';

const CLID = 'ARAkLkA8rmlFeiCktEJQ';
const WA = '6591230001';

describeEachDb('payments and Conversions API: review regressions', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let waba: string;
  const key = () => channelKey(p.channel_api_key);
  const event = () => ({
    event_name: 'Purchase',
    event_time: Math.floor(Date.now() / 1000) - 60,
    action_source: 'business_messaging',
    messaging_channel: 'whatsapp',
    user_data: { whatsapp_business_account_id: waba, ctwa_clid: CLID },
    custom_data: { currency: 'usd', value: 1 },
  });

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    waba = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', p.waba_account_id).executeTakeFirstOrThrow()).external_id!;
    expect((await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: WA, text: { body: 'hi' } } })).status).toBe(200);
  });
  afterAll(() => t?.close());

  it('an OAuth link whose redirect_url holds a non-ASCII character redirects to it percent-encoded', async () => {
    const c = await t.post('/payment_configuration', {
      headers: key(),
      json: { configuration_name: 'rzp-euro', purpose_code: '00', merchant_category_code: '0000', provider_name: 'razorpay', redirect_url: 'https://example.com/€' },
    });
    expect(c.status, c.text).toBe(200);
    const url = new URL(c.body.oauth_url);
    const open = await t.get(`${url.pathname}${url.search}`);
    expect(open.status, open.text).toBe(302);
    expect(open.headers.location).toBe('https://example.com/%E2%82%AC');
    const cfg = await t.get('/payment_configuration/rzp-euro', { headers: key() });
    expect(JSON.stringify(cfg.body)).toContain('"status":"Active"');
  });

  it('order arithmetic is exact beyond 2^53: the wrong total is refused, the right one taken', async () => {
    const M = Number.MAX_SAFE_INTEGER;
    const o = singaporeOrder('ovf-1');
    o.action.parameters.order.items = [{ retailer_id: 'x', name: 'X', amount: { value: M, offset: 100 }, quantity: 1 }];
    o.action.parameters.order.subtotal = { value: M, offset: 100 };
    o.action.parameters.order.tax = { value: 2, offset: 100 };
    o.action.parameters.order.discount = { value: M, offset: 100 };
    const send = () => t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: WA, type: 'interactive', interactive: o } });
    o.action.parameters.total_amount = { value: 1, offset: 100 };
    const wrong = await send();
    expect(wrong.status, wrong.text).toBe(400);
    expect(wrong.body.error.code).toBe(131009);
    o.action.parameters.total_amount = { value: 2, offset: 100 };
    const right = await send();
    expect(right.status, right.text).toBe(200);
  });

  it('a form-encoded events body nested far too deep is a 400 in Graph format', async () => {
    const { id } = (await t.post('/dataset', { headers: key(), json: {} })).body;
    const deep = '['.repeat(150_000) + ']'.repeat(150_000);
    const data = JSON.stringify([event()]).replace(/}]$/, `,"x":${deep}}]`);
    const res = await t.post(`/dataset/${id}/events`, { headers: { ...key(), 'content-type': 'application/x-www-form-urlencoded' }, raw: new URLSearchParams({ data }).toString() });
    expect(res.status, res.text.slice(0, 300)).toBe(400);
    expect(res.body.error).toMatchObject({ code: 100 });
  });

  it(`concurrent event posts keep at most ${CONVERSION_EVENTS_KEPT} events per dataset`, async () => {
    const { id } = (await t.post('/dataset', { headers: key(), json: {} })).body;
    const batch = Array.from({ length: CONVERSION_EVENTS_KEPT }, () => event());
    const posts = await Promise.all(Array.from({ length: 6 }, () => t.post(`/v23.0/${id}/events`, { headers: bearer(p.channel_api_key), json: { data: batch } })));
    for (const r of posts) expect(r.status, r.text).toBe(200);
    const n = Number((await t.deps.db.kysely.selectFrom('conversion_events').select((eb) => eb.fn.countAll().as('n')).where('dataset_id', '=', id).executeTakeFirstOrThrow()).n);
    expect(n).toBe(CONVERSION_EVENTS_KEPT);
  });
});
