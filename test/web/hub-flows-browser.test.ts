// A partner manages WhatsApp Flows from the Hub in Chromium: creates one (a refused endpoint and
// no category first), reads it with its Flow JSON, fixes its Flow JSON in the textarea, is refused
// a publication while it has validation errors (in the Partner API's words), publishes it after
// confirming, deprecates it, and deletes a draft. Every form field is labelled; the pages fit a
// phone screen. Screenshots under test-artifacts/screenshots.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, launchIsolatedPage, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const browserCheck = await checkBrowser();
/** A terminal screen that passes the Flow JSON check: letters in its id, a Footer that completes the flow. */
const screen = (id: string) => ({ id, title: id, terminal: true, layout: { type: 'SingleColumnLayout', children: [{ type: 'Footer', label: 'Done', 'on-click-action': { name: 'complete', payload: {} } }] } });

describeBrowser('Partner Hub flows in Chromium', browserCheck, () => {
  let t: TestApp;
  let a: BootstrapResult;
  let session: IsolatedBrowser;
  let page: Page;
  let base: string;
  const apiFlows = () => `/api/v2/partners/${a.partner_id}/waba_accounts/${a.waba_account_id}/flows`;

  /** Inputs, selects and textareas that no <label> (or aria-label) names. */
  const unlabelled = () =>
    page.evaluate<string[]>(
      `[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter((e) => !(e.id && document.querySelector('label[for="' + e.id + '"]')) && !e.getAttribute('aria-label'))
        .map((e) => e.outerHTML)`,
    );
  const text = (selector: string) => page.locator(selector).innerText();

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    a = await t.tenant({ clientName: 'Acme Bakery' });
    base = `/hub/partner/${a.partner_id}`;
    session = await launchIsolatedPage(t.baseUrl);
    page = session.page;
    await page.goto(`${t.baseUrl}/hub`);
    await page.fill('#username', a.username);
    await page.fill('#password', a.password);
    await Promise.all([page.waitForURL(new RegExp(`${base}$`)), page.press('#password', 'Enter')]);
  });

  afterAll(async () => {
    await session?.close();
    await t?.close();
  });

  it('creates a flow, fixes its Flow JSON, publishes it after confirming, and deprecates it', async () => {
    await page.click('nav[aria-label="Hub"] >> text=Flows');
    expect(await text('#no-results')).toBe('No flows match.');
    await page.click('#new-flow');
    expect(await unlabelled()).toEqual([]);
    await page.selectOption('#fl-waba', a.waba_account_id);
    await page.fill('#fl-name', 'Sign up');
    await page.fill('#fl-endpoint', 'ftp://example.com/flow');
    await page.click('#create-flow');
    expect(await text('#fl-categories-error')).toContain('categories: is required');
    await page.check('#fl-category-SIGN_UP');
    await page.click('#create-flow');
    expect(await text('#fl-endpoint-error')).toBe('(#100) Invalid Endpoint URI: endpoint_uri must use https or http');
    expect(await page.getAttribute('#fl-endpoint', 'aria-invalid')).toBe('true');
    expect(await page.isChecked('#fl-category-SIGN_UP')).toBe(true);
    await screenshot(page, 'hub-flow-new-error');
    await page.fill('#fl-endpoint', '');
    // A Flow JSON with a problem: two screens with one id.
    await page.fill('#fl-json', JSON.stringify({ version: '7.0', screens: [screen('WELCOME'), screen('WELCOME')] }, null, 2));
    await page.click('#create-flow');
    await page.waitForURL(/\/flows\/\w+\/\d+\?done=1$/);
    expect(await text('.notice')).toContain('Flow “Sign up” created as a DRAFT. Its Flow JSON has 1 validation error');
    expect(await text('#flow-status')).toBe('DRAFT');
    expect(await text('#validation-errors')).toContain('INVALID_PROPERTY_VALUE');
    expect(await unlabelled()).toEqual([]);
    await screenshot(page, 'hub-flow-draft');

    // Publishing is refused while it has validation errors, in the API's words.
    await page.click('#publish-flow');
    await page.click('#confirm-publish');
    expect(await text('.alert')).toMatch(/^\(#139002\) Publishing Flow with validation errors: flow \d+ has 1 validation error, the first: /);
    await screenshot(page, 'hub-flow-publish-refused');
    await page.click('text=Cancel');

    // Fixed in the textarea, which holds the stored JSON.
    expect(JSON.parse(await page.inputValue('#fl-json'))).toEqual({ version: '7.0', screens: [screen('WELCOME'), screen('WELCOME')] });
    await page.fill('#fl-json', JSON.stringify({ version: '7.0', screens: [screen('WELCOME'), screen('DONE')] }, null, 2));
    await page.click('#upload-flow-json');
    expect(await text('.notice')).toBe('Flow JSON saved. Its Flow JSON has no validation errors.');
    expect(await page.locator('#validation-errors').count()).toBe(0);
    expect(await text('#flow-json')).toContain('"id": "DONE"');

    await page.click('#publish-flow');
    expect(await unlabelled()).toEqual([]);
    await screenshot(page, 'hub-flow-publish-confirm');
    await page.click('#confirm-publish');
    expect(await text('.notice')).toBe('Flow “Sign up” published.');
    expect(await text('#flow-status')).toBe('PUBLISHED');
    // A reload shows the page without the notice, and publishes nothing again.
    await page.reload();
    expect(await page.locator('.notice').count()).toBe(0);
    await page.click('#deprecate-flow');
    await page.click('#confirm-deprecate');
    expect(await text('#flow-status')).toBe('DEPRECATED');
    const flows = (await t.get(apiFlows(), { headers: partnerKey(a.partner_api_key) })).body.flows;
    expect(flows.map((f: { name: string; status: string }) => [f.name, f.status])).toEqual([['Sign up', 'DEPRECATED']]);
  });

  it('deletes a draft after confirming, back on the list', async () => {
    const created = await t.post(apiFlows(), { headers: partnerKey(a.partner_api_key), json: { name: 'Throwaway', categories: ['OTHER'] } });
    await page.goto(`${t.baseUrl}${base}/flows`);
    await page.click('text=Throwaway');
    expect(await text('#no-flow-json')).toBe('No Flow JSON yet.');
    await page.click('#delete-flow');
    await page.click('#confirm-delete');
    await page.waitForURL(/\/flows\?waba_account_id=\w+&done=1$/);
    expect(await text('.notice')).toBe('Flow “Throwaway” deleted.');
    expect(await page.locator('#flows tbody tr', { hasText: 'Throwaway' }).count()).toBe(0);
    expect((await t.get(`${apiFlows()}/${created.body.id}`, { headers: partnerKey(a.partner_api_key) })).status).toBe(404);
  });

  it('fits a phone screen', async () => {
    const [flow] = (await t.get(apiFlows(), { headers: partnerKey(a.partner_api_key) })).body.flows;
    await page.setViewportSize({ width: 375, height: 667 });
    for (const path of [`${base}/flows`, `${base}/flows/new`, `${base}/flows/${a.waba_account_id}/${flow.id}`, `${base}/flows/${a.waba_account_id}/${flow.id}/deprecate`]) {
      await page.goto(`${t.baseUrl}${path}`);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    await page.goto(`${t.baseUrl}${base}/flows/new`);
    await screenshot(page, 'hub-flow-new-phone');
  });
});
