// In Chromium: a business on a partner's page clicks "Connect WhatsApp", goes through every
// onboarding step (one form by keyboard only, one step on a phone-sized screen), and lands back
// on the partner's page with ?client=…&channels=[…]&state=xyz, while the partner's server hears
// client_created, channel_created, channel_submitted and channel_ready.
import type http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, launchIsolatedPage, newIsolatedPage, screenshot, type IsolatedBrowser, type IsolatedPage } from '../helpers/browser.ts';
import { LocalServer } from '../helpers/local-server.ts';
import { waitUntil } from '../helpers/wait.ts';

const browserCheck = await checkBrowser();

/** The partner's web server: a page with the connect link, the redirect target, and its webhook. */
class PartnerSite extends LocalServer {
  readonly events: { event: string; data: any }[] = [];
  readonly landings: string[] = [];
  link = '';
  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      if (req.method === 'POST' && url === '/events') {
        this.events.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        this.arrived();
        res.writeHead(200).end('ok');
        return;
      }
      if (url.startsWith('/done')) {
        this.landings.push(url);
        this.arrived();
      }
      const esc = (s: string) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
      const body = url.startsWith('/done')
        ? `<h1>Connected</h1><p id="query">${esc(decodeURIComponent(url.slice(url.indexOf('?'))))}</p>`
        : `<h1>Acme Bots</h1><p><a id="connect" href="${esc(this.link)}">Connect WhatsApp</a></p>`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>Acme Bots</title>${body}`);
    });
  }
}

describeBrowser('Integrated Onboarding in Chromium', browserCheck, () => {
  let t: TestApp;
  let site: PartnerSite;
  let session: IsolatedBrowser;
  let page: Page;
  /** Further pages opened in the same browser (their errors and blocked requests count too). */
  const others: IsolatedPage[] = [];
  let pid: string;

  const noHorizontalScroll = () => page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');
  const focusedId = () => page.evaluate<string | undefined>('document.activeElement?.id');

  beforeAll(async () => {
    site = await new PartnerSite().start();
    t = await startTestApp('sqlite', { dispatcher: true, env: { OPENWABA_ONBOARDING_SETUP_DELAY: '300ms' } });
    const tenant = await t.tenant({ brandName: 'Acme Bots' });
    pid = tenant.partner_id;
    // The redirect URL is the page with the button (reference §3); the link's redirect_url is
    // another page on that origin.
    await t.patch(`/api/v2/partners/${pid}`, { headers: partnerKey(tenant.partner_api_key), json: { webhook_url: `${site.url}/events`, partner_redirect_url: `${site.url}/` } });
    site.link = `${t.baseUrl}/dashboard/app/${pid}/permissions?number=4915112349999&email=dana%40shop.example&partner=crm-9&redirect_url=${encodeURIComponent(`${site.url}/done`)}&state=xyz`;
    // Pages may talk to the app and the partner's site, nothing else.
    session = await launchIsolatedPage(t.baseUrl, { alsoAllow: [site.url] });
    page = session.page;
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
    await site?.close();
  });

  it('walks from the partner’s page through every step back to the partner, with the partner events', async () => {
    await page.goto(`${site.url}/`);
    await screenshot(page, 'onboarding-00-partner-page');
    await page.click('#connect');

    // 1. Sign up, by keyboard only: the name field has focus, the email is prefilled.
    await page.waitForURL(/\/dashboard\/app\/.+\/permissions/);
    await expect(page.title()).resolves.toContain('Sign up · Acme Bots');
    await expect(page.getByLabel('Email').inputValue()).resolves.toBe('dana@shop.example');
    await screenshot(page, 'onboarding-01-signup');
    await expect(focusedId()).resolves.toBe('name');
    await page.keyboard.type('Dana Doe');
    await page.keyboard.press('Tab'); // email (prefilled)
    await page.keyboard.press('Tab'); // password
    await expect(focusedId()).resolves.toBe('password');
    await page.keyboard.type('dana-password-1');
    await page.keyboard.press('Enter');

    // 2. Phone number, on a phone-sized screen: no horizontal scrolling.
    await page.waitForURL(/\/onboarding$/);
    await page.setViewportSize({ width: 375, height: 667 });
    await expect(page.getByLabel('Phone number with country code').inputValue()).resolves.toBe('4915112349999');
    await expect(noHorizontalScroll()).resolves.toBe(true);
    await screenshot(page, 'onboarding-02-phone-375x667');
    await page.getByLabel('Display name').fill('Dana’s Deli');
    await page.getByRole('button', { name: 'Send verification code' }).click();

    // 3. Verification: the sandbox shows the code.
    await page.locator('#sandbox-code').waitFor();
    await expect(noHorizontalScroll()).resolves.toBe(true);
    await screenshot(page, 'onboarding-03-verify-375x667');
    await page.setViewportSize({ width: 1280, height: 900 });
    const code = (await page.locator('#sandbox-code').textContent())!.trim();
    expect(code).toMatch(/^\d{6}$/);
    await page.getByLabel('6-digit code').fill(code);
    await page.keyboard.press('Enter');

    // 4. Permission, naming the partner.
    await page.getByRole('heading', { name: 'Allow Acme Bots to use your number' }).waitFor();
    await screenshot(page, 'onboarding-04-permission');
    await page.getByLabel(/I allow Acme Bots to manage/).check();
    await page.getByRole('button', { name: 'Grant permission and continue' }).click();

    // Back on the partner's page, with literal brackets in the URL it was sent to.
    await page.waitForURL(`${site.url}/done?**`);
    await page.locator('#query').waitFor();
    await screenshot(page, 'onboarding-05-partner-done');
    const user = await t.deps.db.kysely.selectFrom('onboarding_users').selectAll().where('email', '=', 'dana@shop.example').executeTakeFirstOrThrow();
    const channel = await t.deps.db.kysely.selectFrom('channels').selectAll().where('client_id', '=', user.client_id!).executeTakeFirstOrThrow();
    expect(site.landings).toEqual([`/done?client=${user.client_id}&channels=[${channel.id}]&state=xyz`]);
    expect(channel).toMatchObject({ phone_number: '4915112349999', phone_name: 'Dana’s Deli', network: 'sandbox' });

    const want = ['client_created', 'channel_created', 'channel_submitted', 'channel_ready'];
    const mine = () => site.events.filter((e) => (e.event === 'client_created' ? e.data.id : e.data.client_id) === user.client_id);
    await waitUntil(`partner events ${want.join(', ')}`, () => want.every((w) => mine().some((e) => e.event === w)), { timeoutMs: 10_000, everyMs: 50 });
    expect(mine().map((e) => e.event).sort()).toEqual([...want].sort());
    expect(mine().find((e) => e.event === 'client_created')!.data.partner_payload).toBe('crm-9');
  });

  it('shows a returning client their numbers, lets them withdraw one, and reports it revoked', async () => {
    await page.goto(site.link.replace('&state=xyz', '&state=again&next=login'));
    await page.getByRole('heading', { name: 'Your WhatsApp numbers' }).waitFor();
    await page.setViewportSize({ width: 375, height: 667 });
    await expect(noHorizontalScroll()).resolves.toBe(true);
    await screenshot(page, 'onboarding-06-channels-375x667');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('button', { name: /Withdraw \+4915112349999 from Acme Bots/ }).click();
    await page.getByRole('button', { name: 'Yes, withdraw it' }).waitFor();
    await screenshot(page, 'onboarding-07-withdraw-confirm');
    await page.keyboard.press('Enter'); // the confirm button has focus
    await page.getByText('access withdrawn').waitFor();
    await screenshot(page, 'onboarding-08-channel-withdrawn');
    await page.getByRole('button', { name: 'Continue to Acme Bots' }).click();
    await page.waitForURL(`${site.url}/done?**`);
    const last = site.landings.at(-1)!;
    expect(last).toMatch(/^\/done\?client=[A-Za-z0-9]+CL&channels=\[\]&revoked=\[[A-Za-z0-9]+CH\]&state=again$/);
  });

  it('shows the log-in form, and a clear error page for a bad link', async () => {
    const other = await newIsolatedPage(session.browser, t.baseUrl, { alsoAllow: [site.url] });
    others.push(other);
    const p = other.page;
    await p.goto(`${t.baseUrl}/dashboard/app/${pid}?next=login&redirect_url=${encodeURIComponent(`${site.url}/done`)}`);
    await expect(p.getByRole('heading', { name: 'Log in' }).isVisible()).resolves.toBe(true);
    await screenshot(p, 'onboarding-09-login');
    const res = await p.goto(`${t.baseUrl}/dashboard/app/${pid}?redirect_url=javascript%3Aalert(1)`);
    expect(res?.status()).toBe(400);
    await expect(p.getByRole('alert').textContent()).resolves.toContain('redirect_url must use http or https');
    await screenshot(p, 'onboarding-10-error-bad-redirect');
    // A crafted link that would send the ids to another site: refused, the browser stays here.
    const crafted = await p.goto(`${t.baseUrl}/dashboard/app/${pid}?redirect_url=${encodeURIComponent('https://evil.example/steal')}`);
    expect(crafted?.status()).toBe(400);
    await expect(p.getByRole('alert').textContent()).resolves.toContain('must be on the same origin (scheme, host and port)');
    expect(p.url().startsWith(t.baseUrl)).toBe(true);
    // A partner that has not set its redirect URL yet (reference §3: required).
    const bare = await t.tenant({ brandName: 'Bare Bots' });
    const unset = await p.goto(`${t.baseUrl}/dashboard/app/${bare.partner_id}/permissions`);
    expect(unset?.status()).toBe(409);
    await expect(p.getByRole('alert').textContent()).resolves.toContain('Bare Bots must first set its redirect URL in the Partner Hub');
    await screenshot(p, 'onboarding-11-error-no-partner-redirect');
    await other.context.close();
  });

  it('ran without script errors and without leaving the app and the partner’s site', () => {
    const all = [session, ...others];
    expect(all.flatMap((s) => s.errors)).toEqual([]);
    expect(all.flatMap((s) => s.blocked)).toEqual([]);
  });
});
