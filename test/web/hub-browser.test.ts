// A partner runs their integration from the Hub in Chromium: logs in with the keyboard, sets the
// webhook and redirect URLs, reveals and rotates the signing secret, sends a test event, creates,
// copies and revokes an API key, browses clients, creates, edits and deletes a template, browses
// channels, generates a channel key, retries
// deliveries and reads usage. Every page is screenshotted under test-artifacts/screenshots.
// Forms post, redirect and get: reloading the page a form led to re-posts nothing, and a secret
// shown there is gone on the reload.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { channelKey, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, launchIsolatedPage, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createClient } from '../../src/services/clients.ts';
import { createChannel } from '../../src/services/channels.ts';

const browserCheck = await checkBrowser();

describeBrowser('Partner Hub in Chromium', browserCheck, () => {
  let t: TestApp;
  let a: BootstrapResult;
  let receiver: Receiver;
  let session: IsolatedBrowser;
  let page: Page;
  let base: string;
  const api = (path: string) => `/api/v2/partners/${a.partner_id}${path}`;

  /** Inputs, selects and textareas that no <label> (or aria-label) names. */
  // (Browser-side code is passed as text: the project compiles without the DOM library.)
  const unlabelled = () =>
    page.evaluate<string[]>(
      `[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter((e) => !(e.id && document.querySelector('label[for="' + e.id + '"]')) && !e.getAttribute('aria-label'))
        .map((e) => e.outerHTML)`,
    );
  const focusedId = () => page.evaluate<string | undefined>('document.activeElement?.id');
  const visit = async (path: string, shot: string) => {
    const res = await page.goto(`${t.baseUrl}${path}`);
    expect(res?.status(), path).toBe(200);
    expect(await unlabelled(), path).toEqual([]);
    await screenshot(page, shot);
  };
  const text = (selector: string) => page.locator(selector).innerText();

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp('sqlite', {
      dispatcher: true,
      // No retries: an event that cannot be delivered fails at once (so the log has failures).
      env: { OPENWABA_WEBHOOK_RETRY_SCHEDULE: '0,1h', OPENWABA_WEBHOOK_RETRY_HORIZON: '30m', OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=20ms,delivered=40ms,read=60ms', OPENWABA_TEMPLATE_REVIEW_DELAY: '300ms' },
    });
    a = await t.tenant({ clientName: 'Acme Bakery' });
    base = `/hub/partner/${a.partner_id}`;
    // A dozen more clients, each with a channel; three still being set up.
    for (let i = 1; i <= 12; i++) {
      const c = await createClient(t.deps, a.partner_id, { name: `Client ${String(i).padStart(2, '0')}`, email: `c${i}@example.com` });
      await createChannel(t.deps, { partnerId: a.partner_id, clientId: c.id, phoneNumber: `4916000000${String(i).padStart(2, '0')}`, phoneName: `Shop ${i}`, status: i <= 3 ? 'submitted' : 'ready' });
    }
    // A conversation on the bootstrap channel, with its webhook going to the receiver.
    const key = channelKey(a.channel_api_key);
    expect((await t.post('/v1/configs/webhook', { headers: key, json: { url: `${receiver.url}/channel` } })).status).toBe(200);
    expect((await t.post('/sandbox/v1/inbound', { headers: key, json: { from: '4917612345678', name: 'Jane', text: { body: 'hi' } } })).status).toBe(200);
    expect((await t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', to: '4917612345678', type: 'text', text: { body: 'hello' } } })).status).toBe(200);

    session = await launchIsolatedPage(t.baseUrl);
    page = session.page;
    await session.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
  });

  afterAll(async () => {
    await session?.close();
    await t?.close();
    await receiver?.close();
  });

  it('logs in with the keyboard (a wrong password first)', async () => {
    await visit('/hub', 'hub-login');
    expect(await focusedId()).toBe('username');
    await page.keyboard.type(a.username);
    await page.keyboard.press('Tab');
    expect(await focusedId()).toBe('password');
    await page.keyboard.type('wrong password');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#login-error');
    expect(await text('#login-error')).toContain('Wrong username or password');
    await screenshot(page, 'hub-login-error');

    await page.fill('#password', a.password);
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<{ tag: string; outline: string }>('({ tag: document.activeElement.tagName, outline: getComputedStyle(document.activeElement).outlineStyle })');
    expect(focused).toEqual({ tag: 'BUTTON', outline: 'solid' });
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/hub/partner/${a.partner_id}`);
    expect(await text('#partner-id')).toBe(a.partner_id);
    expect(await unlabelled()).toEqual([]);
    await screenshot(page, 'hub-integration');
  });

  it('sets the webhook and redirect URLs (an invalid one is shown next to its field)', async () => {
    await page.fill('#webhook_url', 'hook.example.com/no-scheme');
    await page.click('text=Save URLs');
    expect(await text('#webhook_url-error')).toMatch(/Webhook URL must be an absolute URL/);
    expect(await page.getAttribute('#webhook_url', 'aria-invalid')).toBe('true');
    await screenshot(page, 'hub-integration-url-error');

    await page.fill('#webhook_url', `${receiver.url}/partner`);
    await page.fill('#partner_redirect_url', 'https://partner.example/onboarded');
    await page.click('text=Save URLs');
    await page.waitForSelector('.notice');
    expect(await page.inputValue('#webhook_url')).toBe(`${receiver.url}/partner`);
    const p = await t.get(api(''), { headers: partnerKey(a.partner_api_key) });
    expect(p.body).toMatchObject({ webhook_url: `${receiver.url}/partner`, partner_redirect_url: 'https://partner.example/onboarded' });
  });

  it('reveals and rotates the signing secret', async () => {
    expect(await page.locator('#webhook-secret').count()).toBe(0);
    await page.click('#reveal-secret');
    const shown = await page.inputValue('#webhook-secret');
    const stored = (await t.get(api('/webhook_secret'), { headers: partnerKey(a.partner_api_key) })).body.webhook_secret;
    expect(shown).toBe(stored);
    expect(page.url()).not.toContain(shown);
    await screenshot(page, 'hub-integration-secret');
    // A reload asks for nothing again and shows the secret no more.
    await page.reload();
    expect(await page.locator('#webhook-secret').count()).toBe(0);
    expect(await text('.notice')).toContain('The secret was shown once');
    await page.click('#reveal-secret');
    // Rotating asks first: cancelled, nothing changes.
    page.once('dialog', (d) => void d.dismiss());
    await page.click('#rotate-secret');
    expect((await t.get(api('/webhook_secret'), { headers: partnerKey(a.partner_api_key) })).body.webhook_secret).toBe(stored);
    page.once('dialog', (d) => {
      expect(d.message()).toContain('Rotate the webhook signing secret?');
      void d.accept();
    });
    await page.click('#rotate-secret');
    const rotated = await page.inputValue('#webhook-secret');
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(shown);
    expect((await t.get(api('/webhook_secret'), { headers: partnerKey(a.partner_api_key) })).body.webhook_secret).toBe(rotated);
    await page.reload();
    expect(await page.locator('#webhook-secret').count()).toBe(0);
    expect((await t.get(api('/webhook_secret'), { headers: partnerKey(a.partner_api_key) })).body.webhook_secret).toBe(rotated);
  });

  it('sends a test event and shows how the receiver answered', async () => {
    const before = receiver.bodies('/partner').length;
    await page.click('#send-test');
    await page.waitForSelector('#test-result');
    expect(await text('#test-status')).toBe('delivered');
    expect(await text('#test-code')).toBe('200');
    expect(await text('#test-duration')).toMatch(/^\d+ ms$/);
    const tests = () => receiver.bodies('/partner').slice(before).filter((b) => b.event === 'test');
    expect(tests()).toHaveLength(1);
    await screenshot(page, 'hub-integration-test-event');
    // A reload shows the same event again and sends no other.
    await page.reload();
    expect(await text('#test-status')).toBe('delivered');
    expect(tests()).toHaveLength(1);
  });

  it('creates a key, copies it, uses it, and revokes it', async () => {
    await visit(`${base}/api-keys`, 'hub-api-keys');
    await page.fill('#key-name', 'CRM integration');
    await page.click('#create-key');
    const key = (await text('#new-api-key')).trim();
    expect(key).toMatch(/^owpk_/);
    expect(page.url()).toMatch(/\/api-keys\?created=pak_/);
    expect(page.url()).not.toContain(key);
    await page.click('#copy-key');
    await page.waitForSelector('[data-copy-status="new-api-key"]:has-text("Copied")');
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(key);
    await screenshot(page, 'hub-api-key-created');
    expect((await t.get(api(''), { headers: partnerKey(key) })).status).toBe(200);

    // Reloading shows the key no more (it was shown once) and creates no other.
    await page.reload();
    expect(await page.content()).not.toContain(key);
    expect(await text('.notice')).toContain('“CRM integration” was shown once');
    expect(await page.locator('#keys tr', { hasText: 'CRM integration' }).count()).toBe(1);
    await screenshot(page, 'hub-api-key-reloaded');
    await page.goto(`${t.baseUrl}${base}/api-keys`);
    const row = page.locator('#keys tr', { hasText: 'CRM integration' });
    expect(await row.locator('td').nth(1).innerText()).toBe(`${key.slice(0, 11)}…`);
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Revoke CRM integration' }).click();
    await page.waitForSelector('.notice');
    expect(await page.locator('#keys tr', { hasText: 'CRM integration' }).count()).toBe(0);
    expect((await t.get(api(''), { headers: partnerKey(key) })).status).toBe(401);
    expect((await t.get(api(''), { headers: partnerKey(a.partner_api_key) })).status).toBe(200);
  });

  it('browses clients with search and paging', async () => {
    await visit(`${base}/clients?limit=10`, 'hub-clients');
    expect(await page.locator('#clients tbody tr').count()).toBe(10);
    expect(await text('.pager span')).toBe('1–10 of 13');
    await page.click('a[rel=next]');
    expect(await page.locator('#clients tbody tr').count()).toBe(3);
    expect(await text('.pager span')).toBe('11–13 of 13');
    await page.click('a[rel=prev]');
    expect(await text('.pager span')).toBe('1–10 of 13');

    await page.fill('#f-email', 'c7@example.com');
    await page.click('button:has-text("Search")');
    expect(await page.locator('#clients tbody tr').count()).toBe(1);
    expect(await text('#clients tbody tr')).toContain('Client 07');
    await page.fill('#f-email', '');
    await page.fill('#f-name', 'Acme Bakery');
    await page.click('button:has-text("Search")');
    expect(await text('#clients tbody')).toContain('Acme Bakery');
    await screenshot(page, 'hub-clients-search');
  });

  it('creates a template (a refused name first), sees it approved, reads its placeholders, edits it (reviewed again), and deletes it after confirming', async () => {
    await visit(`${base}/templates`, 'hub-templates');
    // Each of the 13 clients' WABAs has its approved hello_world.
    expect(await page.locator('#templates tbody tr').count()).toBe(13);
    await page.click('#new-template');
    expect(await unlabelled()).toEqual([]);
    await page.selectOption('#t-waba', a.waba_account_id);
    await page.fill('#t-name', 'Spring Sale');
    await page.click('#create-template');
    expect(await text('#t-name-error')).toContain('name: must contain only lower-case letters, digits and underscores (got "Spring Sale")');
    expect(await page.getAttribute('#t-name', 'aria-invalid')).toBe('true');
    await screenshot(page, 'hub-template-new-error');
    await page.fill('#t-name', 'spring_sale');
    await page.click('#create-template');
    await page.waitForURL(/\/templates\/\w+\/\d+\?created=1$/);
    expect(await text('#template-status')).toBe('PENDING');
    // The sandbox reviews it after OPENWABA_TEMPLATE_REVIEW_DELAY, as one created through the API.
    await expect.poll(async () => (await page.reload(), text('#template-status')), { timeout: 10_000 }).toBe('APPROVED');
    expect(await page.locator('#template-body .placeholder').allInnerTexts()).toEqual(['{{1}}', '{{2}}']);
    await screenshot(page, 'hub-template');
    // An edit: the form holds the stored components; a save sends the template back to review.
    await page.click('#edit-template');
    expect(await unlabelled()).toEqual([]);
    expect(JSON.parse(await page.inputValue('#t-components'))[1].text).toBe('Hi {{1}}, your order {{2}} has shipped.');
    // The category is shown, kept, and looks it: not the white of a field to type in.
    expect(await page.inputValue('#t-category')).toBe('UTILITY');
    expect(await page.evaluate<string>(`getComputedStyle(document.getElementById('t-category')).backgroundColor`)).not.toBe('rgb(255, 255, 255)');
    await screenshot(page, 'hub-template-edit');
    const edited = [{ type: 'BODY', text: 'Hi {{1}}, order {{2}} is on its way.', example: { body_text: [['Jane', '#1234']] } }];
    await page.fill('#t-components', JSON.stringify(edited, null, 2));
    await page.click('#save-template');
    await page.waitForURL(/\/templates\/\w+\/\d+\?edited=1$/);
    expect(await text('#template-status')).toBe('PENDING');
    expect(await text('.notice')).toContain('An edit sends a template back to review');
    await expect.poll(async () => (await page.reload(), text('#template-status')), { timeout: 10_000 }).toBe('APPROVED');
    expect(await text('#template-body')).toBe('Hi {{1}}, order {{2}} is on its way.');
    await page.click('#delete-template');
    expect(await unlabelled()).toEqual([]);
    await screenshot(page, 'hub-template-delete');
    await page.click('#confirm-delete');
    expect(await text('.notice')).toBe('Template “spring_sale” deleted.');
    expect(await page.locator('#templates tbody tr', { hasText: 'spring_sale' }).count()).toBe(0);
    const left = await t.get(api(`/waba_accounts/${a.waba_account_id}/waba_templates`), { headers: partnerKey(a.partner_api_key) });
    expect(left.body.waba_templates.map((x: { name: string }) => x.name)).toEqual(['hello_world']);
  });

  it('browses channels with search, status and paging, and opens one', async () => {
    await visit(`${base}/channels?limit=10&sort=setup_info.phone_number`, 'hub-channels');
    expect(await text('.pager span')).toBe('1–10 of 13');
    await page.click('a[rel=next]');
    expect(await page.locator('#channels tbody tr').count()).toBe(3);

    await page.goto(`${t.baseUrl}${base}/channels`);
    await page.selectOption('#f-status', 'submitted');
    await page.click('button:has-text("Search")');
    expect(await page.locator('#channels tbody tr').count()).toBe(3);
    await page.fill('#f-q', 'shop 2');
    await page.click('button:has-text("Search")');
    expect(await page.locator('#channels tbody tr').count()).toBe(1);
    expect(await text('#channels tbody')).toContain('+491600000002');
    await screenshot(page, 'hub-channels-search');

    await page.goto(`${t.baseUrl}${base}/channels?q=${a.phone_number}`);
    await page.click(`text=+${a.phone_number}`);
    expect(await text('#channel-id')).toBe(a.channel_id);
    expect(await text('#channel-status')).toBe('ready');
    expect(await text('#channel-webhook')).toBe(`${receiver.url}/channel`);
    const rows = await page.locator('#messages tbody tr').allInnerTexts();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('→ out'); // newest first
    expect(rows[1]).toContain('← in');
    expect(await unlabelled()).toEqual([]);
  });

  it('generates a channel key: shown once, works, and the previous key stops working', async () => {
    page.once('dialog', (d) => void d.accept());
    await page.click('#generate-channel-key');
    const key = (await text('#new-channel-key')).trim();
    expect(key).toMatch(/^[A-Za-z0-9]{32}$/);
    await screenshot(page, 'hub-channel');
    // A reload neither shows the key again nor generates another.
    await page.reload();
    expect(await page.content()).not.toContain(key);
    expect(await text('.notice')).toContain('The new key was shown once');
    expect((await t.get('/v1/configs/webhook', { headers: channelKey(key) })).status).toBe(200);
    expect((await t.get('/v1/configs/webhook', { headers: channelKey(a.channel_api_key) })).status).toBe(401);
  });

  it('lists deliveries, retries one, then all failed ones', async () => {
    await visit(`${base}/webhooks?status=failed&event_type=client_created`, 'hub-webhooks');
    const failed = await page.locator('#events tbody tr').count();
    expect(failed).toBe(13); // created before the webhook URL was set
    await page.locator('#events tbody tr a').first().click();
    expect(await text('#event-status')).toBe('failed');
    expect(await text('#attempts tbody')).toContain('no_endpoint');
    await page.click('#retry-event');
    await expect.poll(async () => (await page.reload(), text('#event-status')), { timeout: 10_000 }).toBe('delivered');
    expect(await text('#attempts tbody')).toContain('200');
    await screenshot(page, 'hub-webhook-event');

    await page.goto(`${t.baseUrl}${base}/webhooks?status=failed`);
    page.once('dialog', (d) => void d.accept());
    await page.click('#retry-failed');
    expect(await text('.notice')).toMatch(/^\d+ failed event\(s\) queued/);
    await expect.poll(async () => (await page.reload(), page.locator('#no-results').count()), { timeout: 15_000 }).toBe(1);
    await screenshot(page, 'hub-webhooks-retried');
  });

  it('shows usage per client and month', async () => {
    await visit(`${base}/usage?limit=25`, 'hub-usage');
    const month = new Date().toISOString().slice(0, 7);
    const headers = await page.locator('#usage thead th').allInnerTexts();
    expect(headers.at(-2)).toBe(month);
    // One inbound and one outbound (read) message on Acme Bakery's channel.
    const acme = page.locator(`#usage tr[data-client-id="${a.client_id}"]`);
    await expect.poll(() => acme.locator('.qty-total').innerText()).toBe('2');
    expect(await page.locator('#usage tbody tr').count()).toBe(13);
  });

  it('fits a phone screen (page speed: npm run bench:pages)', async () => {
    await page.setViewportSize({ width: 375, height: 667 });
    for (const path of [base, `${base}/channels`, `${base}/channels/${a.channel_id}`, `${base}/templates`, `${base}/templates/new`, `${base}/webhooks`, `${base}/usage`]) {
      await page.goto(`${t.baseUrl}${path}`);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow, path).toBeLessThanOrEqual(0);
    }
    await screenshot(page, 'hub-usage-phone');
    await page.goto(`${t.baseUrl}${base}/channels`);
    await screenshot(page, 'hub-channels-phone');
  });

  it('logs out; the pages then ask for a login, and another partner gets 403', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    const other = await t.tenant();
    const res = await page.goto(`${t.baseUrl}/hub/partner/${other.partner_id}/channels`);
    expect(res?.status()).toBe(403);
    await screenshot(page, 'hub-forbidden');
    await page.goto(`${t.baseUrl}${base}`);
    await page.click('text=Log out');
    await page.waitForURL(`${t.baseUrl}/hub`);
    await page.goto(`${t.baseUrl}${base}/api-keys`);
    expect(new URL(page.url()).pathname).toBe('/hub');
    expect(session.errors).toEqual([]);
    expect(session.blocked).toEqual([]);
  });
});
