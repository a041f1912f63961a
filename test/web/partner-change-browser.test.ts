// In Chromium (scripts on): a client user logs in on its partner's onboarding pages, follows
// "Move your numbers to another partner", names the new partner's id, picks one number, sends the
// request, sees it pending, and withdraws it; no script error, nothing loaded from elsewhere.
// (The same page without a browser, and every refusal: partner-change-client-page.test.ts.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, launchIsolatedPage, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { onboard, OnboardingClient } from './onboarding-client.ts';

const browserCheck = await checkBrowser();

describeBrowser('the client’s partner change page in Chromium', browserCheck, () => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let session: IsolatedBrowser;

  beforeAll(async () => {
    t = await startTestApp('sqlite', { env: { OPENWABA_ONBOARDING_SETUP_DELAY: '100ms' } });
    a = await t.tenant({ brandName: 'Old Bots' });
    b = await t.tenant({ brandName: 'New Bots' });
    await t.patch(`/api/v2/partners/${a.partner_id}`, { headers: partnerKey(a.partner_api_key), json: { partner_redirect_url: 'https://old.example/back' } });
    const web = new OnboardingClient(t.baseUrl);
    expect((await onboard(web, a.partner_id, { name: 'Pat', email: 'pat@pcr.example', password: 'pat-secret-1', number: '4915100000031' })).status).toBe(303);
    session = await launchIsolatedPage(t.baseUrl);
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
  });

  it('asks for a selective change, sees it pending, withdraws it', async () => {
    const page = session.page;
    await page.goto(`${t.baseUrl}/dashboard/app/${a.partner_id}?next=login`);
    await page.getByLabel('Email').fill('pat@pcr.example');
    await page.getByLabel('Password').fill('pat-secret-1');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('link', { name: 'Move your numbers to another partner' }).click();
    await page.getByRole('heading', { name: 'Change partner' }).waitFor();
    await page.getByLabel('Partner id of your new partner').fill(b.partner_id);
    await page.getByLabel('Only the numbers ticked:').check();
    await page.getByLabel(/\+4915100000031/).check();
    await screenshot(page, 'partner-change-01-form');
    await page.getByRole('button', { name: 'Request the partner change' }).click();
    await page.getByRole('status').filter({ hasText: 'sent' }).waitFor();
    const id = await page.locator('[data-pcr-status="pending"]').getAttribute('data-pcr-id');
    expect(id).toMatch(/PCR$/);
    const listed = await t.get(`/api/v2/partners/${b.partner_id}/selective_partner_change_requests/${id}`, { headers: partnerKey(b.partner_api_key) });
    expect(listed.body).toMatchObject({ status: 'pending', is_full_migration: true });
    await screenshot(page, 'partner-change-02-pending');
    await page.getByRole('button', { name: `Withdraw request ${id}` }).click();
    await page.getByRole('status').filter({ hasText: 'withdrawn' }).waitFor();
    await expect(page.locator(`[data-pcr-id="${id}"]`).getAttribute('data-pcr-status')).resolves.toBe('cancelled');
    expect(session.errors).toEqual([]);
    expect(session.blocked).toEqual([]);
  });
});
