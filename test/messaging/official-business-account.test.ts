// The Official Business Account request (POST /{version}/{phone-number-id}/official_business_account;
// messaging/official-business-account.ts): on a sandbox number it is PENDING, then the sandbox's
// review approves it after the review delay (is_official_business_account true) or rejects it with a
// status_message; bad input is Graph's code 100 naming the field, nothing stored; another tenant's
// number id is refused; a number on Meta's network passes the checked request to Meta.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { reviewOba } from '../../src/messaging/official-business-account.ts';

// Meta's example request (official-business-accounts page).
const REQUEST = {
  additional_supporting_information: 'We are also featured in Planet Succulent and Prickly Digest',
  business_website_url: 'https://www.luckyshrub.com',
  parent_business_or_brand: 'Lucky Shrub LLC',
  primary_country_of_operation: 'United States of America',
  primary_language: 'English',
  supporting_links: [
    'https://www.retailreview.com/gardening/2025/lucky-shrub',
    'https://www.faster-company.com/2025/online-nursies-are-making-green-waves',
    'https://www.succulentscene.com/2025/new-online-retailers',
    'https://www.pricklypages.com/2025/succullents/where-to-buy',
    'https://www.spinyliving.com/2025/latest-news',
  ],
};

describeEachDb('Official Business Account request on a sandbox number', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  const pnidOf = async (q: BootstrapResult) => (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', q.channel_id).executeTakeFirstOrThrow()).external_id;
  const node = async (q: BootstrapResult, fields = 'official_business_account,is_official_business_account') => {
    const res = await t.get(`/v21.0/${await pnidOf(q)}`, { headers: bearer(q.channel_api_key), query: { fields } });
    expect(res.status, res.text).toBe(200);
    return res.body as Record<string, any>;
  };
  const request = async (q: BootstrapResult, json: unknown) => t.post(`/v21.0/${await pnidOf(q)}/official_business_account`, { headers: bearer(q.channel_api_key), json });
  const enablePin = async (q: BootstrapResult) => expect((await t.post(`/v21.0/${await pnidOf(q)}`, { headers: bearer(q.channel_api_key), json: { pin: '482913' } })).status).toBe(200);

  beforeAll(async () => {
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_TEMPLATE_REVIEW_DELAY: '300ms' } });
    p = await t.tenant();
    other = await t.tenant();
  });
  afterAll(() => t?.close());

  it('NOT_STARTED before a request; a request is PENDING, then APPROVED: is_official_business_account becomes true', async () => {
    expect(await node(p)).toEqual({ official_business_account: { oba_status: 'NOT_STARTED' }, is_official_business_account: false, id: await pnidOf(p) });
    await enablePin(p);
    const res = await request(p, REQUEST);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(await node(p)).toMatchObject({ official_business_account: { oba_status: 'PENDING' }, is_official_business_account: false });
    await expect.poll(async () => (await node(p)).official_business_account.oba_status, { timeout: 8000, interval: 100 }).toBe('APPROVED');
    expect(await node(p)).toEqual({ official_business_account: { oba_status: 'APPROVED' }, is_official_business_account: true, id: await pnidOf(p) });
    // The other tenant's number is untouched; the same fields come on the WABA's phone number list.
    expect(await node(other)).toMatchObject({ official_business_account: { oba_status: 'NOT_STARTED' }, is_official_business_account: false });
    const waba = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', p.waba_account_id).executeTakeFirstOrThrow()).external_id;
    const list = await t.get(`/v21.0/${waba}/phone_numbers`, { headers: bearer(p.channel_api_key), query: { fields: 'is_official_business_account' } });
    expect(list.body.data).toEqual([{ is_official_business_account: true, id: await pnidOf(p) }]);
  });

  it('a request the rules refuse is REJECTED with a status_message; a newer request replaces it', async () => {
    const q = await t.tenant();
    await enablePin(q);
    expect((await request(q, { ...REQUEST, parent_business_or_brand: 'Reject Holdings' })).status).toBe(200);
    await expect.poll(async () => (await node(q)).official_business_account.oba_status, { timeout: 8000, interval: 100 }).toBe('REJECTED');
    const rejected = await node(q);
    expect(rejected.is_official_business_account).toBe(false);
    expect(rejected.official_business_account.status_message).toMatch(/notability/);
    // A form body, the links as JSON text (as Graph takes them): PENDING again, then APPROVED.
    const form = new URLSearchParams({ ...REQUEST, supporting_links: JSON.stringify(REQUEST.supporting_links) });
    const res = await t.post(`/v21.0/${await pnidOf(q)}/official_business_account`, { headers: { ...bearer(q.channel_api_key), 'content-type': 'application/x-www-form-urlencoded' }, raw: form.toString() });
    expect(res.status, res.text).toBe(200);
    expect((await node(q)).official_business_account).toEqual({ oba_status: 'PENDING' });
    await expect.poll(async () => (await node(q)).is_official_business_account, { timeout: 8000, interval: 100 }).toBe(true);
  });

  it('without two-step verification the request is REJECTED, as Meta requires it', async () => {
    const q = await t.tenant();
    expect((await request(q, REQUEST)).status).toBe(200);
    await expect.poll(async () => (await node(q)).official_business_account.oba_status, { timeout: 8000, interval: 100 }).toBe('REJECTED');
    expect((await node(q)).official_business_account.status_message).toMatch(/two-step verification/i);
  });

  it("bad input is Graph's code 100 naming the field; nothing is stored", async () => {
    const refused = async (json: unknown, field: string) => {
      const res = await request(other, json);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException', fbtrace_id: expect.any(String) });
      expect(res.body.error.error_data.details).toContain(field);
    };
    const without = (k: keyof typeof REQUEST) => Object.fromEntries(Object.entries(REQUEST).filter(([key]) => key !== k));
    for (const k of ['business_website_url', 'primary_country_of_operation', 'primary_language', 'supporting_links'] as const) await refused(without(k), k);
    await refused({ ...REQUEST, business_website_url: 'luckyshrub' }, 'business_website_url');
    await refused({ ...REQUEST, business_website_url: 'javascript:alert(1)' }, 'business_website_url');
    await refused({ ...REQUEST, business_website_url: 42 }, 'business_website_url');
    await refused({ ...REQUEST, business_website_url: `https://x.com/${'a'.repeat(2100)}` }, 'business_website_url');
    await refused({ ...REQUEST, primary_country_of_operation: '   ' }, 'primary_country_of_operation');
    await refused({ ...REQUEST, primary_language: ['English'] }, 'primary_language');
    await refused({ ...REQUEST, supporting_links: [] }, 'supporting_links');
    await refused({ ...REQUEST, supporting_links: [...REQUEST.supporting_links, 'https://six.example.com'] }, 'supporting_links');
    await refused({ ...REQUEST, supporting_links: 'https://one.example.com' }, 'supporting_links');
    await refused({ ...REQUEST, supporting_links: ['https://ok.example.com', 'ftp://files.example.com'] }, 'supporting_links[1]');
    await refused({ ...REQUEST, supporting_links: [{ url: 'https://ok.example.com' }] }, 'supporting_links[0]');
    await refused({ ...REQUEST, parent_business_or_brand: 'x'.repeat(257) }, 'parent_business_or_brand');
    await refused({ ...REQUEST, additional_supporting_information: false }, 'additional_supporting_information');
    await refused({ ...REQUEST, primary_langauge: 'English' }, 'primary_langauge');
    await refused({ ...REQUEST, messaging_product: 'sms' }, 'messaging_product');
    await refused([REQUEST], 'body');
    expect(await t.deps.db.kysely.selectFrom('channel_oba_requests').selectAll().where('channel_id', '=', other.channel_id).execute()).toEqual([]);
    expect((await node(other)).official_business_account).toEqual({ oba_status: 'NOT_STARTED' });
  });

  it("another tenant's number id is refused; no key is refused", async () => {
    const foreign = await t.post(`/v21.0/${await pnidOf(other)}/official_business_account`, { headers: bearer(p.channel_api_key), json: REQUEST });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe(100);
    expect(await t.deps.db.kysely.selectFrom('channel_oba_requests').selectAll().where('channel_id', '=', other.channel_id).execute()).toEqual([]);
    const none = await t.post(`/v21.0/${await pnidOf(p)}/official_business_account`, { json: REQUEST });
    expect(none.status).toBe(401);
  });
});

describe("the sandbox's OBA review rules", () => {
  it('approves Meta\'s example; refuses by each rule', () => {
    expect(reviewOba(REQUEST, true)).toEqual({ decision: 'APPROVED', reason: null });
    expect(reviewOba({ ...REQUEST, parent_business_or_brand: 'reject me' }, true).decision).toBe('REJECTED');
    expect(reviewOba(REQUEST, false).reason).toMatch(/two-step/i);
    expect(reviewOba({ ...REQUEST, business_website_url: 'http://www.luckyshrub.com' }, true).reason).toMatch(/https/);
    const own = { ...REQUEST, supporting_links: ['https://luckyshrub.com/press', 'https://www.luckyshrub.com/about'] };
    expect(reviewOba(own, true).reason).toMatch(/own website/);
  });
});

const META_NUMBER = '106540352242922';

describeEachDb("Official Business Account request on Meta's network: asked of Meta", (kind) => {
  let meta: MetaNumber | undefined;
  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: META_NUMBER, wabaId: '102290129342922' });
  });
  afterAll(async () => {
    await meta?.close();
  });

  it("the checked request goes to Meta's edge, the node's field is Meta's; bad input never reaches Meta", async () => {
    const { graph, t, p } = meta!;
    graph.reset();
    graph.respond({ status: 200, json: { success: true } }, { status: 200, json: { official_business_account: { oba_status: 'PENDING' }, id: META_NUMBER } });
    const res = await t.post(`/v21.0/${META_NUMBER}/official_business_account`, { headers: bearer(p.channel_api_key), json: REQUEST });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true });
    const got = await t.get(`/v21.0/${META_NUMBER}`, { headers: bearer(p.channel_api_key), query: { fields: 'official_business_account' } });
    expect(got.body).toEqual({ official_business_account: { oba_status: 'PENDING' }, id: META_NUMBER });
    expect(graph.requests.map((r) => [r.method, r.path.replace(/^\/v\d+\.\d+/, '')])).toEqual([
      ['POST', `/${META_NUMBER}/official_business_account`],
      ['GET', `/${META_NUMBER}?fields=official_business_account`],
    ]);
    expect(graph.requests[0]!.json).toEqual(REQUEST);
    const bad = await t.post(`/v21.0/${META_NUMBER}/official_business_account`, { headers: bearer(p.channel_api_key), json: { ...REQUEST, supporting_links: [] } });
    expect(bad.status).toBe(400);
    expect(graph.requests).toHaveLength(2);
    expect(await t.deps.db.kysely.selectFrom('channel_oba_requests').selectAll().execute()).toEqual([]);
  });
});
