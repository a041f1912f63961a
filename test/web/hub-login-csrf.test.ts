// Login CSRF on the Partner Hub, on both databases: the login form carries a token keyed to a
// pre-login cookie (src/web/hub/login-csrf.ts). A post without it, or with another browser's, is
// answered with the form again (403) before any credential check; the right one signs in.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { ManualClock } from '../../src/clock.ts';
import { LOGIN_CSRF_TTL_MS } from '../../src/web/hub/login-csrf.ts';
import { HubClient } from './hub-client.ts';

const MAX_FAILURES = 3;
let addressSeq = 0;
const nextAddress = () => `203.0.113.${++addressSeq}`;

describeEachDb('Partner Hub login CSRF', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  const clock = new ManualClock(new Date());
  const client = () => new HubClient(t.baseUrl, { 'x-forwarded-for': nextAddress() });
  const tokenOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const sessionCookie = (res: { headers: Record<string, unknown> }) => /(^|,\s*)ow_hub=[A-Za-z0-9]/.test(String(res.headers['set-cookie'] ?? ''));
  /** Whether the client is signed in: its partner page opens instead of redirecting to the login. */
  const signedIn = async (c: HubClient) => (await c.get(`/hub/partner/${a.partner_id}`)).status === 200;

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, env: { OPENWABA_LOGIN_MAX_FAILURES: String(MAX_FAILURES), OPENWABA_LOGIN_WINDOW_SECONDS: '600', OPENWABA_TRUST_PROXY: 'true' } });
    a = await t.tenant();
  });
  afterAll(() => t?.close());

  it('the login page sets an HttpOnly, SameSite=Lax pre-login cookie and puts a token in the form', async () => {
    const page = await client().get('/hub');
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<form method="post" action="\/hub\/login" class="card">\s*<input type="hidden" name="_csrf" value="[^"]+">/);
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toMatch(/^ow_hub_login=[A-Za-z0-9]+;/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\/hub/);
    // The token does not reveal the cookie.
    expect(tokenOf(page.html)).not.toContain(cookie.split(';')[0]!.split('=')[1]);
  });

  it('a login without a token answers the form again with 403 and does not sign in (nor check the password)', async () => {
    const c = client();
    await c.get('/hub');
    const res = await c.postRaw('/hub/login', { username: a.username, password: a.password });
    expect(res.status).toBe(403);
    expect(res.html).toContain('This login form has expired or was not sent from this site');
    expect(res.html).toContain(`value="${a.username}"`);
    expect(tokenOf(res.html)).toBeTruthy();
    expect(sessionCookie(res)).toBe(false);
    expect(await signedIn(c)).toBe(false);
    // No cookie at all (a cross-site post of a browser that never opened the Hub): the same.
    const bare = await new HubClient(t.baseUrl, { 'x-forwarded-for': nextAddress() }).postRaw('/hub/login', { username: a.username, password: a.password, _csrf: '' });
    expect(bare.status).toBe(403);
    expect(sessionCookie(bare)).toBe(false);
  });

  it('refused posts are not counted by the login throttle (no credential check happened)', async () => {
    const c = client();
    await c.get('/hub');
    for (let i = 0; i < MAX_FAILURES + 2; i++) {
      const res = await c.postRaw('/hub/login', { username: a.username, password: `wrong${i}`, _csrf: 'x' });
      expect(res.status).toBe(403);
    }
    expect((await c.postLogin({ username: a.username, password: a.password })).status).toBe(303);
  });

  it("a token from another browser's login page (with this browser's cookie) answers 403", async () => {
    const victim = client();
    await victim.get('/hub');
    const attacker = client();
    const attackerToken = tokenOf((await attacker.get('/hub')).html)!;
    const res = await victim.postRaw('/hub/login', { username: a.username, password: a.password, _csrf: attackerToken });
    expect(res.status).toBe(403);
    expect(sessionCookie(res)).toBe(false);
    expect(await signedIn(victim)).toBe(false);
    // A tampered token of its own is refused too.
    const own = tokenOf((await victim.get('/hub')).html)!;
    const tampered = own.replace(/^\d+/, (n) => String(Number(n) + 1));
    expect((await victim.postRaw('/hub/login', { username: a.username, password: a.password, _csrf: tampered })).status).toBe(403);
  });

  it('with the right token the user is signed in, and the pre-login cookie is cleared', async () => {
    const c = client();
    const res = await c.postLogin({ username: a.username, password: a.password });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/hub/partner/${a.partner_id}`);
    expect(sessionCookie(res)).toBe(true);
    expect(String(res.headers['set-cookie'])).toMatch(/ow_hub_login=;/);
    expect(await signedIn(c)).toBe(true);
  });

  it('a failed login shows the form again with a working token (no script needed)', async () => {
    const c = client();
    const wrong = await c.postLogin({ username: a.username, password: 'wrong' });
    expect(wrong.status).toBe(401);
    expect(wrong.html).toContain('Wrong username or password.');
    const again = await c.postRaw('/hub/login', { username: a.username, password: a.password, _csrf: tokenOf(wrong.html)! });
    expect(again.status).toBe(303);
  });

  it('a login form older than its lifetime is refused', async () => {
    const c = client();
    const token = tokenOf((await c.get('/hub')).html)!;
    clock.advance(LOGIN_CSRF_TTL_MS + 1000);
    const res = await c.postRaw('/hub/login', { username: a.username, password: a.password, _csrf: token });
    expect(res.status).toBe(403);
    expect(await signedIn(c)).toBe(false);
  });
});
