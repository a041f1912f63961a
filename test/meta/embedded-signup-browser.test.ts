// In Chromium: a business signs up on a partner's onboarding link, connects its number with
// Facebook (a stand-in for Facebook's SDK and dialog, served by the test on its own origin, posting
// Meta's WA_EMBEDDED_SIGNUP message as Facebook does), grants permission, and lands back on the
// partner's page; the channel is on Meta's network. The page's CSP lets the SDK load, a message
// from any other origin is ignored, and a cancelled dialog says so and lets the client try again.
import type http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, launchIsolatedPage, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import { FakeGraph } from '../helpers/fake-graph.ts';

/**
 * Waits until `expression` is true in the page. Not page.waitForFunction: its polling evaluates
 * the expression with eval inside the page, which the page's CSP (no 'unsafe-eval') refuses
 * whenever the first look is not already true. page.evaluate goes through the DevTools protocol.
 */
async function until(page: { evaluate(expression: string): Promise<unknown> }, expression: string, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!(await page.evaluate(expression))) {
    if (Date.now() - t0 > ms) throw new Error(`not true within ${ms} ms: ${expression}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
import { LocalServer } from '../helpers/local-server.ts';

const browserCheck = await checkBrowser();

const PNID = '106540352288801';
const WABA = '102290129388801';
const CODE = 'AQDbrowser-' + 'x'.repeat(60);
const APP_ID = '1234567890123';
const CONFIG_ID = '987654321098765';

/** Facebook, as far as the page sees it: the JavaScript SDK and the Embedded Signup dialog. */
class FakeFacebook extends LocalServer {
  readonly served: string[] = [];
  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    this.served.push(url);
    this.arrived();
    const origin = JSON.stringify(this.url);
    if (url === '/en_US/sdk.js') {
      // FB.init records its options; FB.login opens the dialog and calls back with the code the
      // dialog hands it (as the real SDK does through its own cross-window messages).
      const sdk = `(function () {
  var ORIGIN = ${origin};
  window.FB = {
    init: function (o) { window.__fbInit = o; },
    login: function (cb, opts) {
      window.__fbLoginOpts = JSON.parse(JSON.stringify(opts));
      window.open(ORIGIN + '/dialog', 'facebook_es', 'width=480,height=640');
      function onMessage(e) {
        if (e.origin !== ORIGIN) return;
        var d; try { d = JSON.parse(e.data); } catch (x) { return; }
        if (!d || d.fakeSdk !== 'login') return;
        window.removeEventListener('message', onMessage);
        cb(d.code ? { status: 'connected', authResponse: { code: d.code } } : { status: 'unknown', authResponse: null });
      }
      window.addEventListener('message', onMessage);
    }
  };
  if (typeof window.fbAsyncInit === 'function') window.fbAsyncInit();
})();`;
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'access-control-allow-origin': '*' }).end(sdk);
      return;
    }
    if (url === '/dialog') {
      const finish = JSON.stringify(JSON.stringify({ type: 'WA_EMBEDDED_SIGNUP', event: 'FINISH', data: { phone_number_id: PNID, waba_id: WABA, business_id: '5550001' } }));
      const cancel = JSON.stringify(JSON.stringify({ type: 'WA_EMBEDDED_SIGNUP', event: 'CANCEL', data: { current_step: 'PHONE_NUMBER_SETUP' } }));
      const html = `<!doctype html><title>Facebook</title><h1>Embedded Signup</h1>
<button id="finish-session">Finish</button> <button id="finish-login">Done</button> <button id="cancel">Cancel</button>
<script>
  // Facebook's two answers, one button each, so that a test can put something between them.
  var o = window.opener;
  document.getElementById('finish-session').onclick = function () {
    o.postMessage(${finish}, '*');
  };
  document.getElementById('finish-login').onclick = function () {
    o.postMessage(JSON.stringify({ fakeSdk: 'login', code: ${JSON.stringify(CODE)} }), '*');
    window.close();
  };
  document.getElementById('cancel').onclick = function () {
    o.postMessage(${cancel}, '*');
    o.postMessage(JSON.stringify({ fakeSdk: 'login', code: null }), '*');
    window.close();
  };
</script>`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    res.writeHead(404).end();
  }
}

/** The partner's page the client comes back to. */
class PartnerSite extends LocalServer {
  readonly landings: string[] = [];
  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    if (url.startsWith('/done')) this.landings.push(url);
    this.arrived();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Acme Bots</title><h1 id="done">Connected</h1>');
  }
}

describeBrowser('Embedded Signup in Chromium', browserCheck, () => {
  let t: TestApp;
  let graph: FakeGraph;
  let facebook: FakeFacebook;
  let site: PartnerSite;
  let session: IsolatedBrowser;
  let page: Page;
  let pid: string;
  const cspViolations: string[] = [];
  /** Console warnings of the page (the script names messages it ignored). */
  const warnings: string[] = [];

  beforeAll(async () => {
    graph = await new FakeGraph().start();
    facebook = await new FakeFacebook().start();
    site = await new PartnerSite().start();
    t = await startTestApp('sqlite', {
      env: {
        OPENWABA_SECRET_KEY: 'e'.repeat(64),
        OPENWABA_META_APP_ID: APP_ID,
        OPENWABA_META_ES_CONFIG_ID: CONFIG_ID,
        OPENWABA_META_APP_SECRET: 'app-secret-' + 'z'.repeat(24),
        OPENWABA_META_GRAPH_URL: graph.url,
        OPENWABA_META_SDK_URL: `${facebook.url}/en_US/sdk.js`,
        OPENWABA_META_ES_ORIGINS: facebook.url,
      },
    });
    const tenant = await t.tenant({ brandName: 'Acme Bots' });
    pid = tenant.partner_id;
    await t.patch(`/api/v2/partners/${pid}`, { headers: partnerKey(tenant.partner_api_key), json: { partner_redirect_url: `${site.url}/done` } });
    session = await launchIsolatedPage(t.baseUrl, { alsoAllow: [facebook.url, site.url] });
    page = session.page;
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      if (m.type() === 'warning') warnings.push(m.text());
    });
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
    await graph?.close();
    await facebook?.close();
    await site?.close();
  });

  it('connects with Facebook (after a cancelled first try), grants permission and lands back at the partner, the channel on Meta', async () => {
    await page.goto(`${t.baseUrl}/dashboard/app/${pid}/permissions?state=fb-1`);
    await page.getByLabel('Your name').fill('Dana Doe');
    await page.getByLabel('Email').fill('dana@deli.example');
    await page.getByLabel(/Password/).fill('dana-password-1');
    await page.getByRole('button', { name: 'Create account' }).click();

    // The number step: the SDK loads (the CSP allows its origin) and FB.init runs.
    const connect = page.getByRole('button', { name: 'Connect with Facebook' });
    await page.getByRole('heading', { name: 'Connect your WhatsApp number' }).waitFor();
    await expect(page.getByLabel('Phone number with country code').count()).resolves.toBe(0);
    await until(page, '!document.getElementById("es-connect").disabled');
    expect(facebook.served).toContain('/en_US/sdk.js');
    await expect(page.evaluate('window.__fbInit')).resolves.toMatchObject({ appId: APP_ID, version: 'v23.0' });
    await screenshot(page, 'embedded-signup-01-number-step');

    // First try: the client closes Facebook's window half-way.
    let [dialog] = await Promise.all([page.waitForEvent('popup'), connect.click()]);
    await dialog.locator('#cancel').click();
    await page.getByText(/You left Facebook’s window before finishing \(at “PHONE_NUMBER_SETUP”\)/).waitFor();
    await until(page, '!document.getElementById("es-connect").disabled');
    expect(graph.requests).toHaveLength(0);

    // Second try. Facebook's FINISH message comes; then a message of the same shape from another
    // origin (this page's own), naming other ids, which must be ignored; then the code.
    [dialog] = await Promise.all([page.waitForEvent('popup'), connect.click()]);
    await page.evaluate(`window.__messages = 0; window.addEventListener('message', function () { window.__messages++; });`);
    await dialog.locator('#finish-session').click();
    await until(page, 'window.__messages >= 1');
    const forged = JSON.stringify({ type: 'WA_EMBEDDED_SIGNUP', event: 'FINISH', data: { phone_number_id: '111111111111111', waba_id: '222222222222222' } });
    await page.evaluate(`window.postMessage(${JSON.stringify(forged)}, '*')`);
    await until(page, 'window.__messages >= 2');
    // …and named in the console, for an operator whose Facebook answers from an origin not listed (OPENWABA_META_ES_ORIGINS).
    await expect.poll(() => warnings).toContain(`Embedded Signup: ignored a WA_EMBEDDED_SIGNUP message from ${t.baseUrl}, which OPENWABA_META_ES_ORIGINS does not list`);
    await expect(page.evaluate('window.__fbLoginOpts')).resolves.toEqual({
      config_id: CONFIG_ID,
      response_type: 'code',
      override_default_response_type: true,
      extras: { setup: {}, sessionInfoVersion: '3' },
    });
    await dialog.locator('#finish-login').click();

    // The permission step, with the number Meta named.
    await page.getByRole('heading', { name: 'Allow Acme Bots to use your number' }).waitFor();
    await expect(page.locator('#via-facebook').textContent()).resolves.toContain('with Facebook');
    await expect(page.locator('.onb-summary').textContent()).resolves.toContain('+15550108801');
    await screenshot(page, 'embedded-signup-02-permission');
    expect(graph.tokensIssued.has(CODE)).toBe(true);
    // The token never reached the browser.
    expect(await page.content()).not.toContain(graph.tokensIssued.get(CODE)!);
    await page.getByLabel(/I allow Acme Bots to manage/).check();
    await page.getByRole('button', { name: 'Grant permission and continue' }).click();

    // Back at the partner's page.
    await page.waitForURL(`${site.url}/done?**`);
    await page.locator('#done').waitFor();
    const user = await t.deps.db.kysely.selectFrom('onboarding_users').selectAll().where('email', '=', 'dana@deli.example').executeTakeFirstOrThrow();
    const channel = await t.deps.db.kysely.selectFrom('channels').selectAll().where('client_id', '=', user.client_id!).executeTakeFirstOrThrow();
    expect(site.landings).toEqual([`/done?client=${user.client_id}&channels=[${channel.id}]&state=fb-1`]);
    expect(channel).toMatchObject({ network: 'meta', external_id: PNID, phone_number: '15550108801', status: 'ready' });
    expect(graph.requests.filter((r) => r.path.endsWith('/register')).map((r) => r.path)).toEqual([`/v23.0/${PNID}/register`]);

    expect(session.errors).toEqual([]);
    expect(session.blocked).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
