// Where a client may be sent back to (reference §3): only once the partner has set its redirect
// URL (else a page telling the client so), and a link's redirect_url only on that URL's origin, so
// a crafted link cannot send a new client's ids to another site. The official connect button's
// URL, whose redirect_url is the page with the button, still works.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { addNumber, OnboardingClient, onboard } from './onboarding-client.ts';

const SITE = 'http://localhost:3000'; // the partner's site: the button's page and the redirect URL

describeEachDb('Integrated Onboarding: the redirect back to the partner', (kind) => {
  let t: TestApp;
  let pid: string;
  let key: string;
  let bare: { pid: string; key: string }; // no partner_redirect_url (yet)

  beforeAll(async () => {
    t = await startTestApp(kind);
    const tenant = await t.tenant({ brandName: 'Acme Bots' });
    [pid, key] = [tenant.partner_id, tenant.partner_api_key];
    await t.patch(`/api/v2/partners/${pid}`, { headers: partnerKey(key), json: { partner_redirect_url: `${SITE}/` } });
    const b = await t.tenant({ brandName: 'Bare <b>Bots</b> & Co' });
    bare = { pid: b.partner_id, key: b.partner_api_key };
  });
  afterAll(async () => {
    await t?.close();
  });

  const base = () => `/dashboard/app/${pid}`;
  const setRedirect = (id: string, apiKey: string, url: string | null) =>
    t.patch(`/api/v2/partners/${id}`, { headers: partnerKey(apiKey), json: { partner_redirect_url: url } });
  const counts = async () => ({
    clients: (await t.deps.db.kysely.selectFrom('clients').select('id').execute()).length,
    channels: (await t.deps.db.kysely.selectFrom('channels').select('id').execute()).length,
  });

  it('shows an error page, and starts nothing, while the partner has no redirect URL; works once it is set', async () => {
    const links = ['', '/permissions', '/permissions?number=4915112345000&state=s', `?redirect_url=${encodeURIComponent('https://elsewhere.example/back')}`];
    for (const link of links) {
      const res = await t.get(`/dashboard/app/${bare.pid}${link}`);
      expect(res.status, link).toBe(409);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers.location).toBeUndefined();
      // The onboarding pages' own error page, the partner's name escaped.
      expect(res.text).toContain('href="/assets/onboarding.css"');
      expect(res.text).toMatch(/role="alert">Bare &lt;b&gt;Bots&lt;\/b&gt; &amp; Co has not finished setting up WhatsApp onboarding: it has no redirect URL/);
      expect(res.text).toContain('must first set its redirect URL in the Partner Hub (Partner Integration) or with the Partner API (partner_redirect_url)');
      expect(res.text).not.toContain('<b>Bots');
      expect(res.text).not.toContain('elsewhere.example');
    }
    expect(await t.deps.db.kysely.selectFrom('web_sessions').select('id_hash').execute()).toHaveLength(0);
    expect((await setRedirect(bare.pid, bare.key, 'https://bare.example/io')).status).toBe(200);
    expect((await t.get(`/dashboard/app/${bare.pid}/permissions`)).status).toBe(200);
    expect((await setRedirect(bare.pid, bare.key, null)).status).toBe(200);
    expect((await t.get(`/dashboard/app/${bare.pid}/permissions`)).status).toBe(409);
  });

  it('refuses a redirect_url on another origin with a 400 page naming the rule, and sends nothing there', async () => {
    for (const evil of ['https://evil.example/steal', 'https://localhost:3000/', 'http://localhost:3001/', 'http://127.0.0.1:3000/', 'http://localhost.evil.example:3000/']) {
      const res = await t.get(`${base()}/permissions`, { query: { redirect_url: evil, state: 's' } });
      expect(res.status, evil).toBe(400);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers.location).toBeUndefined();
      expect(res.text).toContain('must be on the same origin (scheme, host and port) as Acme Bots&#39;s redirect URL, http://localhost:3000');
      expect(res.text).not.toContain(evil.replace(/\/$/, '')); // the crafted value is not repeated
    }

    // A client who has onboarded opens a crafted link: refused, and their session (and where it
    // leads) is unchanged.
    const c = new OnboardingClient(t.baseUrl);
    const done = await onboard(c, pid, { query: 'state=mine', name: 'Ivy', email: 'ivy@shop.example', password: 'ivy-password-1', number: '4915112345001' });
    expect(done.status).toBe(303);
    expect(done.location).toMatch(/^http:\/\/localhost:3000\/\?client=[A-Za-z0-9]+&channels=\[[A-Za-z0-9]+\]&state=mine$/);
    const crafted = await c.get(`${base()}?state=x&redirect_url=${encodeURIComponent('https://evil.example/steal')}`);
    expect(crafted.status).toBe(400);
    expect(crafted.headers['set-cookie']).toBeUndefined();
    const finish = await c.send('POST', `${base()}/finish`, { _csrf: c.csrf! });
    expect(finish.status).toBe(303);
    expect(finish.location).toBe(done.location);
  });

  it('honours a redirect_url on the same origin with another path and query, from the official connect button’s URL', async () => {
    const before = await counts();
    const page = `${SITE}/whatsapp/connect?tab=io`;
    // As 360dialog-connect-button builds it in env="local": the v1 base, ?number= first, then the
    // given parameters, URI-encoded, in its order.
    const link =
      `/dashboard/app/${pid}?number=4915112345002&email=${encodeURIComponent('kim@shop.example')}&name=Kim&state=${encodeURIComponent('st/1')}` +
      `&redirect_url=${encodeURIComponent(page)}&plan_selection=regular&flow=io&io_signature=abc&io_timestamp=1700000000`;
    const c = new OnboardingClient(t.baseUrl);
    expect((await c.get(link)).status).toBe(200);
    expect((await c.post(`${base()}/signup`, { name: 'Kim', email: 'kim@shop.example', password: 'kim-password-1' })).status).toBe(200);
    const res = await addNumber(c, pid, {});
    expect(res.status).toBe(303);
    const user = await t.deps.db.kysely.selectFrom('onboarding_users').selectAll().where('email', '=', 'kim@shop.example').executeTakeFirstOrThrow();
    const ch = await t.deps.db.kysely.selectFrom('channels').select(['id', 'phone_number']).where('client_id', '=', user.client_id!).executeTakeFirstOrThrow();
    expect(ch.phone_number).toBe('4915112345002');
    expect(res.location).toBe(`${page}&client=${user.client_id}&channels=[${ch.id}]&state=st%2F1`);
    expect(await counts()).toEqual({ clients: before.clients + 1, channels: before.channels + 1 });
  });

  it('checks again before committing: a partner that moved its redirect URL elsewhere gets nothing sent to the old origin', async () => {
    const c = new OnboardingClient(t.baseUrl);
    expect((await c.get(`${base()}/permissions?redirect_url=${encodeURIComponent(`${SITE}/back`)}`)).status).toBe(200);
    await c.post(`${base()}/signup`, { name: 'Lou', email: 'lou@shop.example', password: 'lou-password-1' });
    await c.post(`${base()}/phone`, { number: '4915112345003', display_name: 'Lou' });
    expect((await c.post(`${base()}/verify`, { code: c.code() })).html).toContain('name="grant"');
    const before = await counts();
    expect((await setRedirect(pid, key, 'https://acme.example/io')).status).toBe(200);
    try {
      const refused = await c.send('POST', `${base()}/permission`, { _csrf: c.csrf!, grant: 'yes' });
      expect(refused.status).toBe(400);
      expect(refused.location).toBeUndefined();
      expect(refused.html).toContain('same origin (scheme, host and port)');
      expect(await counts()).toEqual(before);
    } finally {
      expect((await setRedirect(pid, key, `${SITE}/`)).status).toBe(200);
    }
    const granted = await c.send('POST', `${base()}/permission`, { _csrf: c.csrf!, grant: 'yes' });
    expect(granted.status).toBe(303);
    expect(granted.location).toMatch(/^http:\/\/localhost:3000\/back\?client=[A-Za-z0-9]+&channels=\[[A-Za-z0-9]+\]$/);
  });

  it("takes the official button's link without a number, whose parameters follow the path with '&' instead of '?'", async () => {
    const glued = await t.get(`/dashboard/app/${pid}&email=ann%40example.com&name=Ann&state=s1&redirect_url=${encodeURIComponent(`${SITE}/io`)}`);
    expect(glued.status).toBe(302);
    expect(glued.headers.location).toBe(`/dashboard/app/${pid}?email=ann%40example.com&name=Ann&state=s1&redirect_url=${encodeURIComponent(`${SITE}/io`)}`);
    const page = await t.get(glued.headers.location as string);
    expect(page.status).toBe(200);
    expect(page.text).toContain('ann@example.com');
    // An unknown partner is sent on too, and then gets the 404 page.
    expect((await t.get(`/dashboard/app/nosuchpartner&email=a%40b.c`)).status).toBe(302);
    expect((await t.get('/dashboard/app/nosuchpartner?email=a%40b.c')).status).toBe(404);
    const odd = await t.get(`/dashboard/app/${pid}&<script>`);
    expect(odd.status).toBe(302);
    expect(odd.headers.location).not.toMatch(/[<>]/);
  });
});
