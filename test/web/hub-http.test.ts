// The Partner Hub over plain HTTP, on both databases: login and its throttle (shared with
// POST /api/v2/token), sessions, CSRF, tenant isolation, logout, bad input, escaping, speed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createClient } from '../../src/services/clients.ts';
import { setChannelStatus } from '../../src/services/channel-lifecycle.ts';
import { HubClient } from './hub-client.ts';

const MAX_FAILURES = 3;
let addressSeq = 0;
const nextAddress = () => `198.51.100.${++addressSeq}`;

describeEachDb('Partner Hub over HTTP', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  /** A signed-in client of partner A (from its own address). */
  let hubA: HubClient;
  const client = (address = nextAddress()) => new HubClient(t.baseUrl, { 'x-forwarded-for': address });

  beforeAll(async () => {
    t = await startTestApp(kind, {
      env: { OPENWABA_LOGIN_MAX_FAILURES: String(MAX_FAILURES), OPENWABA_LOGIN_WINDOW_SECONDS: '600', OPENWABA_TRUST_PROXY: 'true' },
    });
    a = await t.tenant();
    b = await t.tenant();
    hubA = client();
    expect((await hubA.login(a.username, a.password)).status).toBe(303);
  });
  afterAll(() => t?.close());

  describe('login', () => {
    it('shows a labelled login form; a signed-in user is sent to the partner page', async () => {
      const page = await client().get('/hub');
      expect(page.status).toBe(200);
      expect(page.html).toContain('<label for="username">');
      expect(page.html).toContain('<label for="password">');
      expect((await client().get('/hub/')).status).toBe(200);
      const signedIn = await hubA.get('/hub');
      expect(signedIn.status).toBe(303);
      expect(signedIn.location).toBe(`/hub/partner/${a.partner_id}`);
    });

    it("the server's root leads to the login; the logo does too; /favicon.ico is an empty 204, not an API error", async () => {
      const root = await client().get('/');
      expect(root.status).toBe(302);
      expect(root.location).toBe('/hub');
      expect((await client().get('/hub')).html).toContain('<a class="brand" href="/hub">openwaba</a>');
      const icon = await client().get('/favicon.ico');
      expect(icon.status).toBe(204);
      // Signed in: the menu leads to the sandbox phone too.
      const page = await hubA.get(`/hub/partner/${a.partner_id}`);
      expect(page.html).toContain('<a href="/hub/sandbox-phone">Sandbox phone</a>');
      expect(page.html).toMatch(/<form method="post" action="[^"]*\/webhook-secret\/rotate#signing-secret" data-confirm="Rotate the webhook signing secret\?/);
    });

    it('a correct login sets an HttpOnly, SameSite=Lax session cookie on /hub and redirects to the partner page', async () => {
      const c = client();
      const res = await c.postLogin({ username: a.username.toUpperCase(), password: a.password });
      expect(res.status).toBe(303);
      expect(res.location).toBe(`/hub/partner/${a.partner_id}`);
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(/^ow_hub=[A-Za-z0-9]+;/);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
      expect(cookie).toMatch(/Path=\/hub/);
      const page = await c.get(res.location!);
      expect(page.status).toBe(200);
      expect(page.html).toContain(`<code id="partner-id">${a.partner_id}</code>`);
      expect(page.html).toContain(`<span id="hub-username">${a.username}</span>`);
    });

    it('a wrong password answers 401 with the form again; missing fields 400', async () => {
      const res = await client().postLogin({ username: a.username, password: 'wrong' });
      expect(res.status).toBe(401);
      expect(res.html).toContain('Wrong username or password');
      expect(String(res.headers['set-cookie'] ?? '')).not.toMatch(/(^|,\s*)ow_hub=/);
      expect((await client().postLogin({ username: a.username })).status).toBe(400);
      expect((await client().postLogin({ username: [a.username, 'x'], password: a.password })).status).toBe(400);
    });

    it('repeated failures are throttled (429 with Retry-After), even for the right password', async () => {
      const c = client();
      const username = (await t.tenant()).username;
      for (let i = 0; i < MAX_FAILURES; i++) expect((await c.postLogin({ username, password: `wrong${i}` })).status).toBe(401);
      const blocked = await c.postLogin({ username, password: 'wrong again' });
      expect(blocked.status).toBe(429);
      expect(blocked.html).toMatch(/Too many failed logins; try again in \d+ s/);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('shares its counters with POST /api/v2/token (the same throttle)', async () => {
      const victim = await t.tenant();
      for (let i = 0; i < MAX_FAILURES; i++) {
        const res = await t.post('/api/v2/token', { headers: { 'x-forwarded-for': nextAddress() }, json: { username: victim.username, password: 'nope' } });
        expect(res.status).toBe(401);
      }
      const res = await client().postLogin({ username: victim.username, password: victim.password });
      expect(res.status).toBe(429);
      expect(String(res.headers['set-cookie'] ?? '')).not.toMatch(/(^|,\s*)ow_hub=/);
    });

    it('refuses a login form posted from another site', async () => {
      const res = await client().postLogin({ username: a.username, password: a.password }, { origin: 'https://evil.example' });
      expect(res.status).toBe(403);
      expect(res.headers['set-cookie']).toBeUndefined();
    });
  });

  describe('sessions and tenants', () => {
    it('without a session every partner page, GET or POST, redirects to the login page', async () => {
      for (const path of ['', '/api-keys', '/clients', '/channels', `/channels/${a.channel_id}`, '/webhooks', '/usage']) {
        const res = await client().get(`/hub/partner/${a.partner_id}${path}`);
        expect(res.status, path).toBe(303);
        // The login comes back to the page asked for.
        expect(res.location).toBe(`/hub?next=${encodeURIComponent(`/hub/partner/${a.partner_id}${path}`)}`);
      }
      const post = await client().postRaw(`/hub/partner/${a.partner_id}/api-keys`, { name: 'x', _csrf: 'x' });
      expect(post.status).toBe(303);
      const garbage = await client().get(`/hub/partner/${a.partner_id}`, { cookie: 'ow_hub=' + 'x'.repeat(500) });
      expect(garbage.status).toBe(303);
    });

    it('the login brings you back to the page you asked for, if it is one of your own partner pages', async () => {
      const asked = `/hub/partner/${a.partner_id}/webhooks?status=pending`;
      const c = client();
      const redirected = await c.get(asked);
      const loginPage = await c.get(redirected.location!);
      expect(loginPage.html).toContain(`<input type="hidden" name="next" value="${asked.replace('&', '&amp;')}">`);
      const login = await c.postLogin({ username: a.username, password: a.password, next: asked });
      expect(login.status).toBe(303);
      expect(login.location).toBe(asked);
      // Anything else goes to the partner's home: another site, another partner, odd paths.
      for (const next of ['https://evil.example/x', '//evil.example/x', `/hub/partner/${b.partner_id}/clients`, `/hub/partner/${a.partner_id}//evil`, '/hub/partner/x\\y', '/other']) {
        const res = await client().postLogin({ username: a.username, password: a.password, next });
        expect(res.status, next).toBe(303);
        expect(res.location, next).toBe(`/hub/partner/${a.partner_id}`);
      }
    });

    it("another partner's pages answer 403, and show none of its data", async () => {
      for (const path of ['', '/api-keys', '/clients', '/channels', `/channels/${b.channel_id}`, '/webhooks', '/usage']) {
        const res = await hubA.get(`/hub/partner/${b.partner_id}${path}`);
        expect(res.status, path).toBe(403);
        expect(res.html).toContain('another partner');
        expect(res.html).not.toContain(b.phone_number);
      }
      const post = await hubA.post(`/hub/partner/${b.partner_id}/api-keys`, { name: 'sneaky' });
      expect(post.status).toBe(403);
      const keys = await t.get(`/api/v2/partners/${b.partner_id}/api_keys`, { headers: partnerKey(b.partner_api_key) });
      expect(keys.body.api_keys.map((k: { name: string }) => k.name)).toEqual(['bootstrap']);
      // A's channel under B's URL, and B's channel under A's URL, are both refused.
      expect((await hubA.get(`/hub/partner/${a.partner_id}/channels/${b.channel_id}`)).status).toBe(404);
    });

    it('a POST without or with a wrong _csrf is refused with 403 and changes nothing', async () => {
      const path = `/hub/partner/${a.partner_id}/api-keys`;
      expect((await hubA.postRaw(path, { name: 'no token' })).status).toBe(403);
      expect((await hubA.postRaw(path, { name: 'wrong token', _csrf: 'x'.repeat(hubA.csrf!.length) })).status).toBe(403);
      expect((await hubA.postRaw(path, { name: 'two tokens', _csrf: [hubA.csrf!, hubA.csrf!] })).status).toBe(403);
      expect((await hubA.postRaw(`/hub/partner/${a.partner_id}/webhook-secret`, {})).status).toBe(403);
      const keys = await t.get(`/api/v2/partners/${a.partner_id}/api_keys`, { headers: partnerKey(a.partner_api_key) });
      expect(keys.body.api_keys.map((k: { name: string }) => k.name)).toEqual(['bootstrap']);
      const ok = await hubA.post(path, { name: 'with token' });
      expect(ok.status).toBe(303);
      expect((await hubA.follow(ok)).html).toMatch(/<code id="new-api-key" class="secret">owpk_[A-Za-z0-9]+<\/code>/);
    });

    it('every form action checks the token and the partner', async () => {
      const posts = (pid: string, channelId: string) => [
        '/settings', '/webhook-secret', '/webhook-secret/rotate', '/webhook-test', '/api-keys', '/api-keys/pak_x/revoke',
        `/channels/${channelId}/api-key`, '/webhooks/evt_x/retry', '/webhooks/retry-failed',
      ].map((p) => `/hub/partner/${pid}${p}`);
      for (const path of posts(a.partner_id, a.channel_id)) {
        expect((await hubA.postRaw(path, { name: 'x' })).status, path).toBe(403);
        expect((await client().post(path, { name: 'x' })).status, path).toBe(303);
      }
      for (const path of posts(b.partner_id, b.channel_id)) expect((await hubA.post(path, { name: 'x' })).status, path).toBe(403);
      const channelKeys = await t.get(`/api/v2/partners/${b.partner_id}/channels/${b.channel_id}/api_keys`, { headers: partnerKey(b.partner_api_key) });
      expect(channelKeys.body.api_keys).toHaveLength(1);
      expect((await t.get('/v1/configs/webhook', { headers: { 'D360-API-KEY': b.channel_api_key } })).status).toBe(200);
    });

    it('logout needs the token, then ends the session for good', async () => {
      const c = client();
      await c.login(a.username, a.password);
      const oldCookie = c.cookie!;
      expect((await c.postRaw('/hub/logout', {})).status).toBe(403);
      expect((await c.get(`/hub/partner/${a.partner_id}`)).status).toBe(200);
      const out = await c.post('/hub/logout');
      expect(out.status).toBe(303);
      expect(out.location).toBe('/hub');
      expect(String(out.headers['set-cookie'])).toMatch(/ow_hub=;/);
      const after = await c.get(`/hub/partner/${a.partner_id}`, { cookie: oldCookie });
      expect(after.status).toBe(303);
      expect(after.location).toMatch(/^\/hub\?next=/);
    });
  });

  describe('pages', () => {
    it('the webhook secret is not in the page until revealed; rotating changes it', async () => {
      const api = (await t.get(`/api/v2/partners/${a.partner_id}/webhook_secret`, { headers: partnerKey(a.partner_api_key) })).body.webhook_secret as string;
      const page = await hubA.get(`/hub/partner/${a.partner_id}`);
      expect(page.html).not.toContain(api);
      // Revealing is a POST answered with 303; the page it leads to shows the secret, uncached.
      const reveal = await hubA.post(`/hub/partner/${a.partner_id}/webhook-secret`);
      expect(reveal.status).toBe(303);
      const revealed = await hubA.follow(reveal);
      expect(revealed.html).toContain(api);
      expect(revealed.headers['cache-control']).toBe('no-store');
      const rotated = await hubA.follow(await hubA.post(`/hub/partner/${a.partner_id}/webhook-secret/rotate`));
      const fresh = (await t.get(`/api/v2/partners/${a.partner_id}/webhook_secret`, { headers: partnerKey(a.partner_api_key) })).body.webhook_secret as string;
      expect(fresh).not.toBe(api);
      expect(rotated.html).toContain(fresh);
    });

    it('bad URLs are shown next to their field with 400; good ones are saved as the API would', async () => {
      const path = `/hub/partner/${a.partner_id}/settings`;
      const bad = await hubA.post(path, { webhook_url: 'ftp://example.com/x', partner_redirect_url: 'not a url' });
      expect(bad.status).toBe(400);
      expect(bad.html).toContain('id="webhook_url-error"');
      expect(bad.html).toContain('Webhook URL must use https or http');
      expect(bad.html).toContain('id="partner_redirect_url-error"');
      expect(bad.html).toContain('value="not a url"');
      const good = await hubA.post(path, { webhook_url: 'https://example.com/hook', partner_redirect_url: 'https://example.com/done' });
      expect(good.status).toBe(303);
      const p = await t.get(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(a.partner_api_key) });
      expect(p.body).toMatchObject({ webhook_url: 'https://example.com/hook', partner_redirect_url: 'https://example.com/done' });
      expect((await hubA.post(path, { webhook_url: 'x'.repeat(5000) })).status).toBe(400);
      expect((await hubA.post(path, { webhook_url: 'https://a.example/\u0000' })).status).toBe(400);
    });

    it('what clients typed is escaped', async () => {
      await createClient(t.deps, a.partner_id, { name: '<script>alert(1)</script>', email: 'x@example.com' });
      const page = await hubA.get(`/hub/partner/${a.partner_id}/clients`);
      expect(page.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page.html).not.toContain('<script>alert(1)');
      const usage = await hubA.get(`/hub/partner/${a.partner_id}/usage`);
      expect(usage.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    });

    it('a page past the end shows nothing, says so, and leads back to the last page', async () => {
      const page = await hubA.get(`/hub/partner/${a.partner_id}/clients?limit=10&offset=99999`);
      expect(page.status).toBe(200);
      const total = Number(/<span>0–0 of (\d+)<\/span>/.exec(page.html)?.[1]);
      expect(total).toBeGreaterThan(0);
      const last = Math.floor((total - 1) / 10) * 10;
      expect(page.html).toContain(`offset=${last}" rel="prev"`);
      expect(page.html).not.toContain('rel="next"');
    });

    it('bad list parameters, unknown ids and bad months are clear 4xx pages', async () => {
      const base = `/hub/partner/${a.partner_id}`;
      const cases: [string, number][] = [
        [`${base}/channels?limit=abc`, 400],
        [`${base}/channels?offset=-1`, 400],
        [`${base}/channels?sort=nope`, 400],
        [`${base}/clients?limit=0`, 400],
        [`${base}/clients?name=a&name=b`, 400],
        [`${base}/webhooks?status=${'x'.repeat(60)}`, 400],
        [`${base}/usage?from=2026-13`, 400],
        [`${base}/usage?from=2000-01&to=2026-01`, 400],
        [`${base}/channels/nope`, 404],
        [`${base}/webhooks/nope`, 404],
      ];
      for (const [path, status] of cases) {
        const res = await hubA.get(path);
        expect(res.status, path).toBe(status);
        expect(res.headers['content-type'], path).toMatch(/^text\/html/);
        // Still inside the Hub: its menu is there.
        expect(res.html, path).toContain('<nav aria-label="Hub">');
      }
      for (const path of ['/hub/nope', `${base}/nope`, '/hub/partner']) {
        const res = await hubA.get(path);
        expect(res.status, path).toBe(404);
        expect(res.headers['content-type'], path).toMatch(/^text\/html/);
      }
      expect((await hubA.get(`${base}/channels?limit=`)).status).toBe(200);
      // Usage ranges are explained in months, the form's own terms.
      expect((await hubA.get(`${base}/usage?from=2026-12&to=2026-01`)).html).toContain('From (2026-12) must not be after To (2026-01)');
      expect((await hubA.get(`${base}/usage?from=2000-01&to=2026-12`)).html).toContain('From 2000-01 to 2026-12 is 324 months; at most 120 are shown at once');
      expect((await hubA.post(`${base}/api-keys/nope/revoke`)).status).toBe(404);
      expect((await hubA.post(`${base}/webhooks/nope/retry`)).status).toBe(404);
      const blank = await hubA.post(`${base}/api-keys`, { name: '   ' });
      expect(blank.status).toBe(400);
      expect(blank.html).toContain('must be 1 to 100 characters long');
      expect((await hubA.post(`${base}/api-keys`, { name: 'n'.repeat(101) })).status).toBe(400);
    });

    it('a terminated channel offers no new key, and refuses one', async () => {
      const c = await t.tenant();
      const hub = client();
      await hub.login(c.username, c.password);
      await setChannelStatus(t.deps, c.channel_id, 'terminated', { partnerId: c.partner_id });
      const page = await hub.get(`/hub/partner/${c.partner_id}/channels/${c.channel_id}`);
      expect(page.status).toBe(200);
      expect(page.html).not.toContain('generate-channel-key');
      const res = await hub.post(`/hub/partner/${c.partner_id}/channels/${c.channel_id}/api-key`);
      expect(res.status).toBe(400);
      expect(res.html).toContain('is terminated');
    });

    it('every page answers with the security headers (their speed: npm run bench:pages)', async () => {
      const base = `/hub/partner/${a.partner_id}`;
      for (const path of [base, `${base}/api-keys`, `${base}/clients`, `${base}/channels`, `${base}/channels/${a.channel_id}`, `${base}/webhooks`, `${base}/usage`]) {
        const res = await hubA.get(path);
        expect(res.status, path).toBe(200);
        expect(res.headers['content-security-policy']).toContain("script-src 'self'");
        expect(res.headers['cache-control']).toBe('no-store');
      }
    });
  });
});
