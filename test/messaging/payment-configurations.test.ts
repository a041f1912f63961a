// Meta's Payments API India onboarding edges of a WABA (routes/payment-configurations.ts):
// - a gateway configuration is Needs_Connecting with an OAuth link; opening the sandbox's link makes
//   it Active, gives it a merchant id, redirects to redirect_url and writes Meta's
//   payment_configuration_update to the WABA's numbers; the link is single-use and expires;
// - a UPI (upi_vpa) configuration is Active at once (and says so by webhook);
// - list (Meta's {data:[{payment_configurations:[…]}]}), get, data endpoint update, delete;
// - refusals in Graph's body naming the parameter; another WABA's id is Graph's unknown node;
// - a number on Meta's network asks Meta.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import { ManualClock } from '../../src/clock.ts';
import { OAUTH_LINK_TTL_MS, paymentConfiguration } from '../../src/messaging/payments/configurations.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

describeEachDb('payment configurations (Payments API India) on a sandbox WABA', (kind) => {
  const clock = new ManualClock(new Date('2026-07-01T10:00:00.000Z'));
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let waba: string;
  let otherWaba: string;
  const auth = (q: BootstrapResult = p) => bearer(q.channel_api_key);
  const wabaOf = async (q: BootstrapResult) => (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', q.waba_account_id).executeTakeFirstOrThrow()).external_id;
  const gateway = (name: string, extra: Record<string, unknown> = {}) => ({ configuration_name: name, purpose_code: '00', merchant_category_code: '5411', provider_name: 'razorpay', redirect_url: 'https://merchant.example.com/linked', ...extra });
  const updates = async (q: BootstrapResult = p) => {
    const rows = await t.deps.db.kysely.selectFrom('webhook_events').select('body').where('target_id', '=', q.channel_id).where('event_type', '=', 'account_update').orderBy('created_at').execute();
    return rows.map((r) => JSON.parse(r.body)).filter((b) => b.entry?.[0]?.changes?.[0]?.field === 'payment_configuration_update');
  };
  /** The link's path and query, on the test app's address. */
  const linkPath = (oauthUrl: string) => {
    const u = new URL(oauthUrl);
    expect(`${u.protocol}//${u.host}`).toBe(t.baseUrl);
    return u.pathname + u.search;
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    p = await t.tenant();
    other = await t.tenant();
    waba = await wabaOf(p);
    otherWaba = await wabaOf(other);
    // Webhook URLs set directly (nothing listens there: only the events written are looked at).
    for (const q of [p, other]) await t.deps.db.kysely.updateTable('channels').set({ webhook_url: 'http://127.0.0.1:9/hook' }).where('id', '=', q.channel_id).execute();
  });
  afterAll(() => t.close());

  it('a gateway configuration is Needs_Connecting; opening its OAuth link makes it Active, redirects, and sends payment_configuration_update', async () => {
    const res = await t.post(`/v21.0/${waba}/payment_configuration`, { headers: auth(), json: gateway('razorpay-prod') });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ oauth_url: expect.stringContaining('/sandbox/v1/payment_configuration_oauth?token='), expiration: Math.floor(clock.now().getTime() / 1000) + OAUTH_LINK_TTL_MS / 1000, success: true });
    const created = Math.floor(clock.now().getTime() / 1000);
    const one = await t.get(`/v21.0/${waba}/payment_configuration/razorpay-prod`, { headers: auth() });
    expect(one.status, one.text).toBe(200);
    expect(one.body).toEqual({
      data: [
        {
          configuration_name: 'razorpay-prod',
          merchant_category_code: { code: '5411', description: 'Grocery Stores, Supermarkets' },
          purpose_code: { code: '00', description: 'Default' },
          status: 'Needs_Connecting',
          provider_name: 'razorpay',
          created_timestamp: created,
          updated_timestamp: created,
        },
      ],
    });
    expect(await paymentConfiguration(t.deps, p.waba_account_id, 'razorpay-prod')).toEqual({ configuration_name: 'razorpay-prod', status: 'Needs_Connecting' });
    expect(await updates()).toEqual([]);

    clock.advance(60_000);
    // Opened by the merchant's browser: no key.
    const opened = await t.get(linkPath(res.body.oauth_url));
    expect(opened.status, opened.text).toBe(302);
    expect(opened.headers.location).toBe('https://merchant.example.com/linked');
    const after = (await t.get('/payment_configuration/razorpay-prod', { headers: auth() })).body.data[0];
    expect(after).toMatchObject({ status: 'Active', provider_name: 'razorpay', created_timestamp: created, updated_timestamp: created + 60 });
    expect(after.provider_mid).toMatch(/^acc_[A-Za-z0-9]{14}$/);
    expect(await paymentConfiguration(t.deps, p.waba_account_id, 'razorpay-prod')).toEqual({ configuration_name: 'razorpay-prod', status: 'Active' });
    expect(await updates()).toEqual([
      {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: waba,
            time: created + 60,
            changes: [
              {
                field: 'payment_configuration_update',
                value: { configuration_name: 'razorpay-prod', provider_name: 'razorpay', provider_mid: after.provider_mid, status: 'Active', created_timestamp: created, updated_timestamp: created + 60 },
              },
            ],
          },
        ],
      },
    ]);
    // Another WABA's numbers hear nothing of it.
    expect(await updates(other)).toEqual([]);

    // Single use: the same link again is Graph's 404, and changes nothing.
    const again = await t.get(linkPath(res.body.oauth_url));
    expect(again.status).toBe(404);
    expect(again.body.error).toMatchObject({ code: 100 });
    expect(await updates()).toHaveLength(1);
  });

  it('the OAuth link expires; a regenerated link works (and replaces the older one); without redirect_url the page says it is connected', async () => {
    const res = await t.post('/payment_configuration', { headers: auth(), json: gateway('payu-main', { provider_name: 'PayU', redirect_url: undefined, merchant_category_code: 5812 }) });
    expect(res.status, res.text).toBe(200);
    clock.advance(OAUTH_LINK_TTL_MS + 1000);
    const expired = await t.get(linkPath(res.body.oauth_url));
    expect(expired.status, expired.text).toBe(410);
    expect(expired.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
    expect((await t.get('/payment_configuration/payu-main', { headers: auth() })).body.data[0].status).toBe('Needs_Connecting');

    const first = await t.post(`/v21.0/${waba}/generate_payment_configuration_oauth_link`, { headers: auth(), json: { configuration_name: 'payu-main' } });
    expect(first.status, first.text).toBe(200);
    expect(first.body).toEqual({ oauth_url: expect.any(String), expiration: Math.floor(clock.now().getTime() / 1000) + OAUTH_LINK_TTL_MS / 1000 });
    const second = await t.post('/generate_payment_configuration_oauth_link', { headers: auth(), json: { configuration_name: 'payu-main' } });
    expect(second.body.oauth_url).not.toBe(first.body.oauth_url);
    expect((await t.get(linkPath(first.body.oauth_url))).status).toBe(404);
    const page = await t.get(linkPath(second.body.oauth_url));
    expect(page.status, page.text).toBe(200);
    expect(String(page.headers['content-type'])).toMatch(/^text\/html/);
    expect(page.text).toContain('payu-main');
    const row = (await t.get('/payment_configuration/payu-main', { headers: auth() })).body.data[0];
    expect(row).toMatchObject({ status: 'Active', provider_name: 'payu', merchant_category_code: { code: '5812' } });
    expect(row.provider_mid).toMatch(/^PAYU[A-Za-z0-9]{12}$/);
    // A token that was never made, or none at all.
    expect((await t.get('/sandbox/v1/payment_configuration_oauth?token=abc123')).status).toBe(404);
    expect((await t.get('/sandbox/v1/payment_configuration_oauth')).status).toBe(400);
    // Hostile tokens: repeated, oversize, not ASCII, a path trick; always a 4xx in Graph's body.
    for (const q of ['token=a&token=b', `token=${'A'.repeat(5000)}`, 'token=%F0%9F%92%B3', 'token=..%2F..%2Fetc', 'token=%00', 'token[]=x']) {
      const res = await t.get(`/sandbox/v1/payment_configuration_oauth?${q}`);
      expect(res.status >= 400 && res.status < 500, `${q.slice(0, 40)} → ${res.status}`).toBe(true);
      expect(res.body.error?.code, q.slice(0, 40)).toBeTypeOf('number');
    }
  });

  it('a UPI configuration is Active at once, has no OAuth link, and says so by webhook', async () => {
    const before = (await updates()).length;
    const res = await t.post(`/v21.0/${waba}/payment_configuration`, { headers: auth(), json: { configuration_name: 'upi_shop', purpose_code: '00', merchant_category_code: '5999', provider_name: 'upi_vpa', merchant_vpa: 'shop@okaxis' } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true });
    const row = (await t.get(`/v21.0/${waba}/payment_configuration/upi_shop`, { headers: auth() })).body.data[0];
    expect(row).toMatchObject({ configuration_name: 'upi_shop', status: 'Active', provider_name: 'upi_vpa', merchant_vpa: 'shop@okaxis' });
    expect(row.provider_mid).toBeUndefined();
    const all = await updates();
    expect(all).toHaveLength(before + 1);
    expect(all.at(-1).entry[0].changes[0].value).toMatchObject({ configuration_name: 'upi_shop', provider_name: 'upi_vpa', status: 'Active' });
    // Form-encoded too, as Graph takes parameters; provider_name left out with a merchant_vpa is upi_vpa.
    const form = await t.post('/payment_configuration', {
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
      raw: 'configuration_name=upi-2&purpose_code=00&merchant_category_code=5999&merchant_vpa=two%40okhdfc',
    });
    expect(form.status, form.text).toBe(200);
    // Only a gateway configuration has an OAuth link.
    const link = await t.post('/generate_payment_configuration_oauth_link', { headers: auth(), json: { configuration_name: 'upi_shop' } });
    expect(link.status).toBe(400);
    expect(link.body.error.error_data.details).toMatch(/^configuration_name: /);
  });

  it("lists in Meta's shape, updates the data endpoint, deletes; an unknown name is Graph's code 100", async () => {
    const list = await t.get(`/v21.0/${waba}/payment_configurations`, { headers: auth() });
    expect(list.status, list.text).toBe(200);
    expect(Object.keys(list.body)).toEqual(['data']);
    expect(list.body.data).toHaveLength(1);
    const names = list.body.data[0].payment_configurations.map((c: { configuration_name: string }) => c.configuration_name);
    expect(names.sort()).toEqual(['payu-main', 'razorpay-prod', 'upi-2', 'upi_shop']);
    expect((await t.get('/payment_configurations', { headers: auth() })).body).toEqual(list.body);

    const upd = await t.post(`/v21.0/${waba}/payment_configuration/razorpay-prod`, { headers: auth(), json: { data_endpoint_url: 'https://merchant.example.com/wa-data' } });
    expect(upd.status, upd.text).toBe(200);
    expect(upd.body).toEqual({ success: true });
    expect((await t.get('/payment_configuration/razorpay-prod', { headers: auth() })).body.data[0].data_endpoint_url).toBe('https://merchant.example.com/wa-data');
    expect((await t.post('/payment_configuration/razorpay-prod', { headers: auth(), json: { data_endpoint_url: '' } })).body).toEqual({ success: true });
    expect((await t.get('/payment_configuration/razorpay-prod', { headers: auth() })).body.data[0].data_endpoint_url).toBeUndefined();
    const plain = await t.post('/payment_configuration/razorpay-prod', { headers: auth(), json: { data_endpoint_url: 'http://merchant.example.com/x' } });
    expect(plain.status).toBe(400);

    const del = await t.request('DELETE', `/v21.0/${waba}/payment_configuration`, { headers: auth(), json: { configuration_name: 'upi-2' } });
    expect(del.status, del.text).toBe(200);
    expect(del.body).toEqual({ success: true });
    // The name in the query string, as Graph also takes it.
    expect((await t.request('DELETE', '/payment_configuration?configuration_name=payu-main', { headers: auth() })).body).toEqual({ success: true });
    expect(await paymentConfiguration(t.deps, p.waba_account_id, 'upi-2')).toBeUndefined();

    for (const res of [
      await t.get(`/v21.0/${waba}/payment_configuration/upi-2`, { headers: auth() }),
      await t.request('DELETE', '/payment_configuration', { headers: auth(), json: { configuration_name: 'upi-2' } }),
      await t.post('/payment_configuration/nope', { headers: auth(), json: { data_endpoint_url: 'https://merchant.example.com/x' } }),
      await t.post('/generate_payment_configuration_oauth_link', { headers: auth(), json: { configuration_name: 'nope' } }),
    ]) {
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
      expect(res.body.error.error_data.details).toMatch(/^configuration_name: no payment configuration named/);
    }
  });

  it('refuses bad input in Graph\'s body, naming the parameter; a duplicate name is refused', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...gateway('x'), configuration_name: undefined }, 'configuration_name'],
      [gateway('has space'), 'configuration_name'],
      [gateway('a'.repeat(61)), 'configuration_name'],
      [gateway('x', { purpose_code: undefined }), 'purpose_code'],
      [gateway('x', { purpose_code: '1' }), 'purpose_code'],
      [gateway('x', { merchant_category_code: '54' }), 'merchant_category_code'],
      [gateway('x', { merchant_category_code: { code: '5411' } }), 'merchant_category_code'],
      [gateway('x', { provider_name: 'stripe' }), 'provider_name'],
      [gateway('x', { provider_name: undefined }), 'provider_name'],
      [gateway('x', { redirect_url: 'javascript:alert(1)' }), 'redirect_url'],
      [gateway('x', { redirect_url: 'not a url' }), 'redirect_url'],
      [gateway('x', { merchant_vpa: 'shop@okaxis' }), 'merchant_vpa'],
      [gateway('x', { provider_name: 'upi_vpa', redirect_url: undefined }), 'merchant_vpa'],
      [gateway('x', { provider_name: 'upi_vpa', merchant_vpa: 'no-at-sign' }), 'merchant_vpa'],
    ];
    for (const [json, field] of cases) {
      const res = await t.post(`/v21.0/${waba}/payment_configuration`, { headers: auth(), json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException' });
      expect(res.body.error.error_data.details.startsWith(`${field}: `), `${JSON.stringify(json)} → ${res.body.error.error_data.details}`).toBe(true);
    }
    const notObject = await t.post('/payment_configuration', { headers: auth(), json: ['x'] });
    expect(notObject.status).toBe(400);
    expect((await t.post('/payment_configuration/razorpay-prod', { headers: auth(), json: {} })).body.error.error_data.details).toMatch(/^data_endpoint_url: /);
    expect((await t.request('DELETE', '/payment_configuration', { headers: auth(), json: {} })).body.error.error_data.details).toMatch(/^configuration_name: /);

    const dup = await t.post('/payment_configuration', { headers: auth(), json: gateway('razorpay-prod', { provider_name: 'zaakpay' }) });
    expect(dup.status).toBe(400);
    expect(dup.body.error.error_data.details).toMatch(/^configuration_name: a payment configuration named "razorpay-prod" already exists/);
    expect((await t.get('/payment_configuration/razorpay-prod', { headers: auth() })).body.data[0].provider_name).toBe('razorpay');
  });

  it("another WABA's id is Graph's unknown node, and a key sees only its own WABA's configurations", async () => {
    for (const res of [
      await t.get(`/v21.0/${otherWaba}/payment_configurations`, { headers: auth() }),
      await t.get(`/v21.0/${otherWaba}/payment_configuration/razorpay-prod`, { headers: auth() }),
      await t.post(`/v21.0/${otherWaba}/payment_configuration`, { headers: auth(), json: gateway('sneaky') }),
      await t.request('DELETE', `/v21.0/${otherWaba}/payment_configuration`, { headers: auth(), json: { configuration_name: 'razorpay-prod' } }),
      await t.post(`/v21.0/${otherWaba}/generate_payment_configuration_oauth_link`, { headers: auth(), json: { configuration_name: 'razorpay-prod' } }),
    ]) {
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33 });
    }
    // The other key: its WABA has none, and p's names are unknown to it (not refused as duplicates).
    expect((await t.get('/payment_configurations', { headers: auth(other) })).body).toEqual({ data: [{ payment_configurations: [] }] });
    expect((await t.get('/payment_configuration/razorpay-prod', { headers: auth(other) })).status).toBe(400);
    expect((await t.request('DELETE', '/payment_configuration', { headers: auth(other), json: { configuration_name: 'razorpay-prod' } })).status).toBe(400);
    const own = await t.post('/payment_configuration', { headers: auth(other), json: gateway('razorpay-prod') });
    expect(own.status, own.text).toBe(200);
    expect((await t.get('/payment_configuration/razorpay-prod', { headers: auth() })).body.data[0].status).toBe('Active');
    expect(await t.deps.db.kysely.selectFrom('waba_payment_configurations').select('configuration_name').where('configuration_name', '=', 'sneaky').execute()).toEqual([]);
    // Without a key the edges are 360dialog's 401 / Graph's 190.
    expect((await t.get(`/v21.0/${waba}/payment_configurations`)).body.error.code).toBe(190);
  });
});

describeEachDb("payment configurations on a number on Meta's network", (kind) => {
  const WABA = '102290129340398';
  let meta: MetaNumber;
  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: '106540352242955', wabaId: WABA });
  });
  afterAll(async () => {
    await meta?.close();
  });

  it('asks Meta with the checked parameters and answers as Meta does', async () => {
    const { graph, t, p } = meta;
    graph.reset();
    const listed = { data: [{ payment_configurations: [{ configuration_name: 'rp', status: 'Active', provider_name: 'RazorPay' }] }] };
    graph.respond(
      { status: 200, json: listed },
      { status: 200, json: { oauth_url: 'https://www.facebook.com/payment/onboarding/init/', expiration: 1721687287, success: true } },
      { status: 200, json: { data: [{ configuration_name: 'rp', status: 'Needs_Connecting' }] } },
      { status: 200, json: { oauth_url: 'https://www.facebook.com/payment/onboarding/init/', expiration: 1721687288 } },
      { status: 200, json: { success: true } },
    );
    const headers = bearer(p.channel_api_key);
    expect((await t.get(`/v21.0/${WABA}/payment_configurations`, { headers })).body).toEqual(listed);
    const created = await t.post(`/v21.0/${WABA}/payment_configuration`, { headers, json: { configuration_name: 'rp', purpose_code: '00', merchant_category_code: '0000', provider_name: 'RazorPay', redirect_url: 'https://m.example.com/' } });
    expect(created.body).toEqual({ oauth_url: 'https://www.facebook.com/payment/onboarding/init/', expiration: 1721687287, success: true });
    expect((await t.get(`/v21.0/${WABA}/payment_configuration/rp`, { headers })).body.data[0].status).toBe('Needs_Connecting');
    expect((await t.post(`/v21.0/${WABA}/generate_payment_configuration_oauth_link`, { headers, json: { configuration_name: 'rp' } })).body.expiration).toBe(1721687288);
    expect((await t.request('DELETE', `/v21.0/${WABA}/payment_configuration`, { headers, json: { configuration_name: 'rp' } })).body).toEqual({ success: true });
    const paths = graph.requests.map((r) => `${r.method} ${r.path.replace(/^\/v\d+\.\d+/, '')}`);
    expect(paths).toEqual([
      `GET /${WABA}/payment_configurations`,
      `POST /${WABA}/payment_configuration`,
      `GET /${WABA}/payment_configuration/rp`,
      `POST /${WABA}/generate_payment_configuration_oauth_link`,
      `DELETE /${WABA}/payment_configuration`,
    ]);
    expect(graph.requests[1]!.json).toEqual({ configuration_name: 'rp', purpose_code: '00', merchant_category_code: '0000', provider_name: 'razorpay', redirect_url: 'https://m.example.com/' });
    expect(graph.requests[4]!.json).toEqual({ configuration_name: 'rp' });
    // Refused before Meta is asked.
    const bad = await t.post(`/v21.0/${WABA}/payment_configuration`, { headers, json: { configuration_name: 'rp', provider_name: 'stripe', purpose_code: '00', merchant_category_code: '0000' } });
    expect(bad.status).toBe(400);
    expect(graph.requests).toHaveLength(5);
  });
});
