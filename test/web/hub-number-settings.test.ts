// The Hub's channel page shows the number's settings, set through the APIs: webhook signing (an app
// secret: "signed since …" or "unsigned", never the secret), the Official Business Account request
// (PENDING, then REJECTED with its reason), the display name request (the name escaped, its status)
// and the payment configurations of its WABA (name, provider, status); another partner's Hub sees
// none of them. Both databases.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, startTestApp, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../../src/clock.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { HubClient } from './hub-client.ts';

const SECRET = 'hubSecret-7d1f0c9e2a4b';
const NAME = 'Tom & <i>Jerry</i> Ltd';
const OBA = {
  business_website_url: 'https://www.luckyshrub.com',
  primary_country_of_operation: 'India',
  primary_language: 'English',
  supporting_links: ['https://www.retailreview.com/gardening/2025/lucky-shrub'],
};

describeEachDb("Partner Hub: a channel's number settings", (kind) => {
  const clock = new ManualClock(new Date('2026-03-01T10:00:00.000Z'));
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let hubA: HubClient;
  let hubB: HubClient;
  const ok = async (res: Promise<{ status: number; body: any; text: string }>) => {
    const r = await res;
    expect(r.status, r.text).toBe(200);
    return r.body;
  };
  /** The part of the page from `<h2>{title}</h2>` to the next heading (or the end). */
  const section = (html: string, title: string) => {
    const start = html.indexOf(`<h2>${title}</h2>`);
    expect(start, title).toBeGreaterThan(-1);
    const end = html.indexOf('<h2>', start + 1);
    return html.slice(start, end === -1 ? undefined : end);
  };
  /** The `<dd id="{id}">` of the settings, its inner HTML. */
  const fact = (html: string, id: string) => {
    const m = new RegExp(`<dd id="${id}">([\\s\\S]*?)</dd>`).exec(html);
    expect(m, id).not.toBeNull();
    return m![1]!;
  };
  const channelPage = async () => {
    const page = await hubA.get(`/hub/partner/${a.partner_id}/channels/${a.channel_id}`);
    expect(page.status).toBe(200);
    return section(page.html, 'Number settings');
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, dispatcher: true });
    a = await t.tenant();
    b = await t.tenant();
    const pnid = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', a.channel_id).executeTakeFirstOrThrow()).external_id;
    const waba = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', a.waba_account_id).executeTakeFirstOrThrow()).external_id;
    const auth = bearer(a.channel_api_key);
    await ok(t.put('/configs/app_secret', { headers: { 'D360-API-KEY': a.channel_api_key }, json: { app_secret: SECRET } }));
    // No two-step PIN on the number: the sandbox's review will reject the OBA request, with a reason.
    await ok(t.post(`/v21.0/${pnid}/official_business_account`, { headers: auth, json: OBA }));
    await ok(t.post(`/v21.0/${pnid}`, { headers: auth, json: { messaging_product: 'whatsapp', new_display_name: NAME } }));
    await ok(t.post(`/v21.0/${waba}/payment_configuration`, { headers: auth, json: { configuration_name: 'razorpay-prod', purpose_code: '00', merchant_category_code: '5411', provider_name: 'razorpay' } }));
    await ok(t.post(`/v21.0/${waba}/payment_configuration`, { headers: auth, json: { configuration_name: 'upi-main', purpose_code: '00', merchant_category_code: '5411', provider_name: 'upi_vpa', merchant_vpa: 'shop@okbank' } }));
    hubA = new HubClient(t.baseUrl);
    hubB = new HubClient(t.baseUrl);
    expect((await hubA.login(a.username, a.password)).status).toBe(303);
    expect((await hubB.login(b.username, b.password)).status).toBe(303);
  });
  afterAll(() => t?.close());

  it('shows signing since when, the pending OBA and display name requests (escaped), and the WABA\'s payment configurations; never the secret', async () => {
    const page = await hubA.get(`/hub/partner/${a.partner_id}/channels/${a.channel_id}`);
    expect(page.html).not.toContain(SECRET);
    const s = section(page.html, 'Number settings');
    expect(fact(s, 'setting-app-secret')).toBe('signed (X-Hub-Signature-256) since 2026-03-01 10:00:00 UTC');
    expect(fact(s, 'setting-oba')).toContain('>PENDING<');
    const name = fact(s, 'setting-name-request');
    expect(name).toContain('<span class="requested-name">Tom &amp; &lt;i&gt;Jerry&lt;/i&gt; Ltd</span>');
    expect(name).toContain('>PENDING_REVIEW<');
    expect(name).toContain('requested 2026-03-01 10:00:00 UTC');
    expect(page.html).not.toContain('<i>Jerry</i>');
    const rows = s.split('<tr>').slice(2);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('<code>razorpay-prod</code>');
    expect(rows[0]).toContain('<td>razorpay</td>');
    expect(rows[0]).toContain('>Needs_Connecting<');
    expect(rows[1]).toContain('<code>upi-main</code>');
    expect(rows[1]).toContain('<td>upi_vpa</td>');
    expect(rows[1]).toContain('>Active<');
    // Only name, provider and status: not the UPI handle.
    expect(s).not.toContain('shop@okbank');
  });

  it('after the sandbox reviews: the OBA request REJECTED with its reason, the display name APPROVED', async () => {
    clock.advance(t.deps.config.templateReviewMs + 1);
    await t.jobs!.runDue();
    const s = await channelPage();
    const oba = fact(s, 'setting-oba');
    expect(oba).toContain('>REJECTED<');
    expect(oba).toContain('Two-step verification is not enabled on this business phone number.');
    expect(fact(s, 'setting-name-request')).toContain('>APPROVED<');
  });

  it('an app secret removed: unsigned again', async () => {
    await ok(t.delete('/configs/app_secret', { headers: { 'D360-API-KEY': a.channel_api_key } }));
    expect(fact(await channelPage(), 'setting-app-secret')).toBe('<span class="muted">unsigned</span>');
    await ok(t.put('/configs/app_secret', { headers: { 'D360-API-KEY': a.channel_api_key }, json: { app_secret: SECRET } }));
  });

  it("another partner's Hub sees none of them: its own channel shows its own (none), and A's channel is refused", async () => {
    const own = await hubB.get(`/hub/partner/${b.partner_id}/channels/${b.channel_id}`);
    expect(own.status).toBe(200);
    const s = section(own.html, 'Number settings');
    expect(fact(s, 'setting-app-secret')).toBe('<span class="muted">unsigned</span>');
    expect(fact(s, 'setting-oba')).toContain('>NOT_STARTED<');
    expect(fact(s, 'setting-name-request')).toBe('<span class="muted">none</span>');
    expect(s).toContain('id="payments-empty"');
    for (const path of [`/hub/partner/${b.partner_id}/channels/${a.channel_id}`, `/hub/partner/${a.partner_id}/channels/${a.channel_id}`]) {
      const res = await hubB.get(path);
      expect([403, 404], path).toContain(res.status);
      for (const x of [SECRET, 'Jerry', 'razorpay-prod', 'upi-main', 'REJECTED', 'signed (']) expect(res.html, path).not.toContain(x);
    }
  });
});
