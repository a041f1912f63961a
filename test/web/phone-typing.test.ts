// The business's typing indicator on the sandbox phone, in Chromium: a mark-as-read with
// typing_indicator makes "typing…" appear in the open chat without a page load; the business's
// reply hides it as it arrives; without a reply it goes after 25 seconds (the app's clock is moved).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import { signInPhone } from './phone-client.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { ManualClock } from '../../src/clock.ts';

const browserCheck = await checkBrowser();
const WA = '4917055508801';

describeBrowser('sandbox phone in Chromium: typing indicator', browserCheck, () => {
  let t: TestApp;
  let p: BootstrapResult;
  let session: IsolatedBrowser;
  let page: Page;
  const clock = new ManualClock(new Date('2026-12-07T09:00:00.000Z'));
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const typing = () => page.locator('#chat-typing');
  /** The user writes; resolves with the message's wamid once the chat shows it. */
  const userWrites = async (text: string) => {
    const before = await page.locator('li.msg.from-user').count();
    await page.getByLabel('Message').fill(text);
    await page.keyboard.press('Enter');
    await page.locator('li.msg.from-user').nth(before).waitFor({ timeout: 5000 });
    return (await page.locator('li.msg.from-user').nth(before).getAttribute('data-id'))!;
  };
  const markReadTyping = async (id: string) => {
    const res = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', status: 'read', message_id: id, typing_indicator: { type: 'text' } } });
    expect(res.status, res.text).toBe(200);
  };

  beforeAll(async () => {
    t = await startTestApp('sqlite', { clock });
    p = await t.tenant({ brandName: 'Pizza Bot' });
    session = await signInPhone(t.baseUrl, p.channel_api_key, { wa: WA, name: 'Jane' });
    page = session.page;
    await page.getByText('No messages yet').waitFor();
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
  });

  it('"typing…" appears after the mark-as-read and goes when the reply arrives', async () => {
    const id = await userWrites('one margherita please');
    expect(await typing().isHidden()).toBe(true);
    await page.evaluate('window.stay = 1');
    await markReadTyping(id);
    await typing().waitFor({ state: 'visible', timeout: 5000 });
    expect(await typing().textContent()).toBe('typing…');
    await screenshot(page, 'phone-typing');

    const res = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: WA, type: 'text', text: { body: 'On its way!' } } });
    expect(res.status, res.text).toBe(200);
    const reply = page.locator(`li.msg[data-id="${res.body.messages[0].id as string}"]`);
    await reply.waitFor({ timeout: 5000 });
    expect(await reply.locator('.text').textContent()).toBe('On its way!');
    expect(await typing().isHidden()).toBe(true);
    // The live script did it: the page was not reloaded.
    expect(await page.evaluate('window.stay')).toBe(1);
  });

  it('without a reply, "typing…" goes after 25 seconds', async () => {
    const id = await userWrites('and a cola');
    await markReadTyping(id);
    await typing().waitFor({ state: 'visible', timeout: 5000 });
    clock.advance(24_000);
    // A reload still shows it (drawn by the server while it holds).
    await page.reload();
    expect(await typing().isVisible()).toBe(true);
    clock.advance(1_000);
    await typing().waitFor({ state: 'hidden', timeout: 5000 });
  });
});
