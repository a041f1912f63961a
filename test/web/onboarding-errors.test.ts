// What the onboarding refuses, and how: unknown partners, unusable redirect targets, forged or
// missing CSRF tokens, wrong codes, skipped steps, bad input, and repeated login failures. (A
// partner without a redirect URL, and redirect_url on another origin: onboarding-origin.test.ts.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { OnboardingClient } from './onboarding-client.ts';

describeEachDb('Integrated Onboarding: refusals', (kind) => {
  let t: TestApp;
  let pid: string;
  let otherPid: string; // another partner, with its own redirect URL
  let takenNumber: string;

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_LOGIN_MAX_FAILURES: '3' } });
    const tenant = await t.tenant({ brandName: 'Acme Bots' });
    pid = tenant.partner_id;
    takenNumber = tenant.phone_number;
    await t.patch(`/api/v2/partners/${pid}`, { headers: partnerKey(tenant.partner_api_key), json: { partner_redirect_url: 'https://partner.example/io' } });
    const second = await t.tenant();
    otherPid = second.partner_id;
    await t.patch(`/api/v2/partners/${otherPid}`, { headers: partnerKey(second.partner_api_key), json: { partner_redirect_url: 'https://other.example/io' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  const base = () => `/dashboard/app/${pid}`;
  const counts = async () => ({
    clients: (await t.deps.db.kysely.selectFrom('clients').select('id').execute()).length,
    channels: (await t.deps.db.kysely.selectFrom('channels').select('id').execute()).length,
  });

  /** A session at the verification step, with the code it was shown. */
  async function atVerify(email: string, number: string): Promise<OnboardingClient> {
    const c = new OnboardingClient(t.baseUrl);
    await c.get(`${base()}/permissions`);
    expect((await c.post(`${base()}/signup`, { name: 'Eve', email, password: 'a-long-password' })).status).toBe(200);
    expect((await c.post(`${base()}/phone`, { number, display_name: 'Eve Shop' })).status).toBe(200);
    return c;
  }

  it('answers an unknown partner with a 404 page (ids are shown escaped)', async () => {
    for (const path of ['/dashboard/app/nopeNOPEPA', '/dashboard/app/nopeNOPEPA/permissions?number=49151', '/dashboard/app/%3Cb%3Ex/permissions']) {
      const res = await t.get(path);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text).toContain('check the onboarding link');
      expect(res.text).not.toContain('<b>x');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('refuses redirect_url values that are not absolute http(s) URLs', async () => {
    for (const bad of ['javascript:alert(1)', '/relative/path', 'ftp://files.example/x', 'https://user:pw@partner.example/', 'data:text/html,hi', 'not a url']) {
      const res = await t.get(`${base()}/permissions`, { query: { redirect_url: bad } });
      expect(res.status, bad).toBe(400);
      expect(res.text).toContain('redirect_url');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const tooLong = await t.get(`${base()}/permissions`, { query: { state: 'x'.repeat(3000) } });
    expect(tooLong.status).toBe(400);
  });

  it('refuses form posts without the session’s CSRF token, or without a session', async () => {
    const c = new OnboardingClient(t.baseUrl);
    await c.get(`${base()}/permissions`);
    const form = { name: 'Mallory', email: 'mallory@shop.example', password: 'a-long-password' };
    const missing = await c.postRaw(`${base()}/signup`, form);
    expect(missing.status).toBe(403);
    expect(missing.html).toContain('This form is out of date');
    const wrong = await c.postRaw(`${base()}/signup`, { ...form, _csrf: 'x'.repeat(32) });
    expect(wrong.status).toBe(403);
    const other = new OnboardingClient(t.baseUrl);
    await other.get(`${base()}/permissions`);
    const foreign = await c.postRaw(`${base()}/signup`, { ...form, _csrf: other.csrf! });
    expect(foreign.status).toBe(403);
    const noSession = await new OnboardingClient(t.baseUrl).postRaw(`${base()}/signup`, { ...form, _csrf: c.csrf! });
    expect(noSession.status).toBe(403);
    expect(noSession.html).toContain('session has expired');
    // A session of another partner does not count here.
    const elsewhere = new OnboardingClient(t.baseUrl);
    expect((await elsewhere.get(`/dashboard/app/${otherPid}?redirect_url=https%3A%2F%2Fother.example%2Fx`)).status).toBe(200);
    expect((await elsewhere.post(`${base()}/signup`, form)).status).toBe(403);
    expect(await t.deps.db.kysely.selectFrom('onboarding_users').select('id').where('email', '=', 'mallory@shop.example').execute()).toHaveLength(0);
    // A JSON body is a form without a token, too.
    const json = await t.post(`${base()}/signup`, { headers: { cookie: c.cookie! }, json: form });
    expect(json.status).toBe(403);
  });

  it('voids a code after three wrong guesses; a new code works', async () => {
    const c = await atVerify('eve@shop.example', '4915199990001');
    const code = c.code();
    const wrongCode = code === '000000' ? '111111' : '000000';
    const malformed = await c.post(`${base()}/verify`, { code: '12ab' });
    expect(malformed.status).toBe(400);
    expect(malformed.html).toContain('3 attempts left'); // a typo costs no attempt
    const one = await c.post(`${base()}/verify`, { code: wrongCode });
    expect(one.status).toBe(400);
    expect(one.html).toContain('Wrong code: 2 attempts left.');
    expect((await c.post(`${base()}/verify`, { code: wrongCode })).html).toContain('Wrong code: 1 attempt left.');
    const third = await c.post(`${base()}/verify`, { code: wrongCode });
    expect(third.status).toBe(429);
    expect(third.html).toContain('this code no longer works');
    const late = await c.post(`${base()}/verify`, { code });
    expect(late.status).toBe(429);
    expect(late.html).not.toContain('name="grant"');
    const resent = await c.post(`${base()}/resend`);
    expect(resent.status).toBe(200);
    const ok = await c.post(`${base()}/verify`, { code: c.code() });
    expect(ok.status).toBe(200);
    expect(ok.html).toContain('name="grant"');
  });

  it('sends at most five codes per session', async () => {
    const c = await atVerify('frank@shop.example', '4915199990002');
    for (let i = 2; i <= 5; i++) expect((await c.post(`${base()}/resend`)).status).toBe(200);
    const sixth = await c.post(`${base()}/resend`);
    expect(sixth.status).toBe(429);
    expect(sixth.html).not.toContain('id="sandbox-code"');
  });

  it('does not let a step be skipped, and commits nothing without the permission box', async () => {
    const before = await counts();
    const c = new OnboardingClient(t.baseUrl);
    await c.get(`${base()}/permissions`);
    expect((await c.post(`${base()}/permission`, { grant: 'yes' })).status).toBe(409);
    expect((await c.post(`${base()}/phone`, { number: '4915199990003', display_name: 'X' })).status).toBe(409);
    await c.post(`${base()}/signup`, { name: 'Gina', email: 'gina@shop.example', password: 'a-long-password' });
    expect((await c.post(`${base()}/permission`, { grant: 'yes' })).status).toBe(409);
    expect((await c.post(`${base()}/verify`, { code: '123456' })).status).toBe(409);
    await c.post(`${base()}/phone`, { number: '4915199990003', display_name: 'Gina Shop' });
    await c.post(`${base()}/verify`, { code: c.code() });
    const unticked = await c.post(`${base()}/permission`, {});
    expect(unticked.status).toBe(400);
    expect(unticked.html).toContain('Tick the box to allow Acme Bots');
    const badPlan = await c.post(`${base()}/permission`, { grant: 'yes', plan: 'platinum' });
    expect(badPlan.status).toBe(400);
    expect(await counts()).toEqual(before);
  });

  it('refuses bad sign-up and phone input with the form and a clear message', async () => {
    const c = new OnboardingClient(t.baseUrl);
    await c.get(`${base()}/permissions`);
    const short = await c.post(`${base()}/signup`, { name: 'Hal', email: 'hal@shop.example', password: 'short' });
    expect(short.status).toBe(400);
    expect(short.html).toContain('Choose a password of 8 to 200 characters.');
    expect(short.html).toContain('value="hal@shop.example"');
    expect((await c.post(`${base()}/signup`, { name: 'Hal', email: 'not-an-email', password: 'a-long-password' })).status).toBe(400);
    expect((await c.post(`${base()}/signup`, { name: '', email: 'hal@shop.example', password: 'a-long-password' })).status).toBe(400);
    const dup = await c.post(`${base()}/signup`, { name: 'Eve again', email: 'EVE@shop.example', password: 'a-long-password' });
    expect(dup.status).toBe(409);
    expect(dup.html).toContain('log in instead');
    await c.post(`${base()}/signup`, { name: 'Hal', email: 'hal@shop.example', password: 'a-long-password' });
    const letters = await c.post(`${base()}/phone`, { number: '49151abc', display_name: 'Hal' });
    expect(letters.status).toBe(400);
    expect(letters.html).toContain('6 to 15 digits');
    expect((await c.post(`${base()}/phone`, { number: '4915199990004', display_name: ' ' })).status).toBe(400);
    const taken = await c.post(`${base()}/phone`, { number: `+${takenNumber}`, display_name: 'Hal' });
    expect(taken.status).toBe(409);
    expect(taken.html).toContain('is already connected');
  });

  it('throttles repeated login failures (429 with Retry-After), even for the right password', async () => {
    const c = new OnboardingClient(t.baseUrl);
    await c.get(`${base()}?next=login`);
    for (let i = 0; i < 3; i++) expect((await c.post(`${base()}/login`, { email: 'eve@shop.example', password: `guess-${i}-wrong` })).status).toBe(401);
    const blocked = await c.post(`${base()}/login`, { email: 'eve@shop.example', password: 'a-long-password' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.html).toContain('Too many failed logins');
    const unknown = await c.post(`${base()}/login`, { email: 'nobody@shop.example', password: 'whatever-it-is' });
    expect(unknown.status).toBe(429); // the address is blocked too
  });
});
