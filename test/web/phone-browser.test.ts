// A developer opens the sandbox phone in Chromium at phone size (375×667), becomes a user of their
// sandbox channel and chats with their bot: what they write reaches the channel's webhook, the
// bot's interactive reply appears live with its ticks moving to read, and taps, a location and a
// reaction go back as WhatsApp would send them; a template's buttons keep the template's order.
// When the channel's key is revoked, the phone says so.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, launchIsolatedPage, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { hashSecret } from '../../src/crypto.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';
import { insertTemplate } from '../../src/messaging/templates/store.ts';
import { chatLive, inboundMessages, waitForInbound } from './phone-client.ts';

const browserCheck = await checkBrowser();
const WA = '4917055501234';

describeBrowser('sandbox phone in Chromium', browserCheck, () => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let session: IsolatedBrowser;
  let page: Page;
  async function shot(name: string) {
    // Phone size: nothing may scroll sideways. (Page-side code as strings: the tests compile without the DOM library.)
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow, `${name}: horizontal overflow`).toBeLessThanOrEqual(0);
    await screenshot(page, `phone-${name}`);
  }
  const businessSends = async (body: Record<string, unknown>) => {
    const res = await t.post('/messages', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { messaging_product: 'whatsapp', to: WA, ...body } });
    expect(res.status).toBe(200);
    return res.body.messages[0].id as string;
  };
  const bubble = (id: string) => page.locator(`li.msg[data-id="${id}"]`);

  beforeAll(async () => {
    receiver = await new Receiver().start();
    // Steps far enough apart that a 1 s poll sees the ticks move.
    t = await startTestApp('sqlite', { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=300ms,delivered=1300ms,read=2300ms' } });
    p = await t.tenant({ brandName: 'Pizza Bot' });
    expect((await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: receiver.url } })).status).toBe(200);
    session = await launchIsolatedPage(t.baseUrl, { viewport: { width: 375, height: 667 } });
    page = session.page;
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
    await receiver?.close();
  });

  it('opens with the channel key (a wrong one is refused) and picks a user, by keyboard', async () => {
    await page.goto(`${t.baseUrl}/sandbox/phone`);
    await shot('start');
    await page.getByLabel('Channel API key (D360-API-KEY)').fill('not-a-key');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('does not belong to any channel');
    await shot('wrong-key');
    await page.getByLabel('Channel API key (D360-API-KEY)').focus();
    await page.keyboard.type(p.channel_api_key);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Who are you?' }).waitFor();
    expect(await page.content()).not.toContain(p.channel_api_key);
    expect(page.url()).not.toContain(p.channel_api_key);
    await shot('pick-user');
    await page.getByLabel('Your number (wa_id)').fill(WA);
    await page.getByLabel('Your name').focus();
    await page.keyboard.type('Jane');
    await page.keyboard.press('Enter');
    await page.getByText('No messages yet').waitFor();
    await chatLive(page);
    await shot('chat-empty');
  });

  it('writes "hello": it reaches the webhook and shows, without a page load', async () => {
    await page.evaluate('window.stay = 1');
    await page.getByLabel('Message').fill('hello');
    await page.keyboard.press('Enter');
    const m = await waitForInbound(receiver, 1);
    expect(m).toMatchObject({ from: WA, type: 'text', text: { body: 'hello' } });
    await bubble(m.id).waitFor();
    expect(await page.getByLabel('Message').inputValue()).toBe('');
    expect(await page.evaluate('window.stay')).toBe(1); // no page load happened
    await shot('hello-sent');
  });

  it("the bot's button message appears live and its ticks move to read", async () => {
    const id = await businessSends({
      type: 'interactive',
      interactive: { type: 'button', header: { type: 'text', text: 'Your order' }, body: { text: 'Pizza <i>Margherita</i>: deliver or pick up?' }, footer: { text: 'Pizza Bot' }, action: { buttons: [{ type: 'reply', reply: { id: 'deliver', title: 'Deliver' } }, { type: 'reply', reply: { id: 'pickup', title: 'Pick up' } }] } },
    });
    await bubble(id).waitFor({ timeout: 5000 });
    expect(await bubble(id).locator('.text').textContent()).toBe('Pizza <i>Margherita</i>: deliver or pick up?');
    const seen: string[] = [];
    let shotBeforeRead = false;
    await waitUntil(
      'the ticks to reach read',
      async () => {
        const s = (await bubble(id).locator('.ticks').getAttribute('class'))!.replace('ticks s-', '');
        if (seen.at(-1) !== s) seen.push(s);
        if (s === 'read') return true;
        if (!shotBeforeRead) {
          shotBeforeRead = true;
          await shot(`ticks-${s}`);
        }
        return false;
      },
      { everyMs: 50 },
    );
    expect(seen.at(-1)).toBe('read');
    expect(seen.length).toBeGreaterThan(1); // it was shown before it was read, then moved
    expect(await bubble(id).locator('.ticks .vh').textContent()).toBe('Read');
    await shot('buttons-read');
  });

  it('tapping a reply button sends a button_reply with its id', async () => {
    const n = inboundMessages(receiver).length;
    await page.getByRole('button', { name: 'Pick up' }).click();
    const m = await waitForInbound(receiver, n + 1);
    expect(m).toMatchObject({ type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'pickup', title: 'Pick up' } } });
    expect(m.context.id).toMatch(/^wamid\./);
    await bubble(m.id).waitFor();
    expect(await bubble(m.id).locator('.quote').textContent()).toContain('deliver or pick up?');
    await shot('button-tapped');
  });

  it('shares a location (keyboard only)', async () => {
    await page.locator('details.share summary').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await page.keyboard.type('95');
    await page.keyboard.press('Tab');
    await page.keyboard.type('13.405');
    await page.keyboard.press('Enter');
    // Refused in place: the alert says why, the form keeps its values.
    await page.getByRole('alert').getByText('Latitude must be a number between -90 and 90.').waitFor();
    await shot('location-refused');
    expect(await page.getByLabel('Longitude').evaluate((e) => e === e.ownerDocument.activeElement)).toBe(true);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('52.52');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Alexanderplatz');
    await shot('location-form');
    const n = inboundMessages(receiver).length;
    await page.getByRole('button', { name: 'Share location' }).click();
    const m = await waitForInbound(receiver, n + 1);
    expect(m).toMatchObject({ type: 'location', location: { latitude: 52.52, longitude: 13.405, name: 'Alexanderplatz' } });
    await bubble(m.id).locator('.coords').waitFor();
    expect(await page.locator('details.share').getAttribute('open')).toBeNull();
    await shot('location-shared');
  });

  it('reacts to a business message', async () => {
    const target = await page.locator('li.msg.from-business').first().getAttribute('data-id');
    await bubble(target!).locator('details.react summary').click();
    await shot('react-picker');
    const n = inboundMessages(receiver).length;
    await bubble(target!).getByRole('button', { name: 'React with thumbs up' }).click();
    const m = await waitForInbound(receiver, n + 1);
    expect(m).toMatchObject({ type: 'reaction', reaction: { message_id: target, emoji: '👍' } });
    await bubble(target!).locator('.meta .reaction').waitFor();
    expect(await bubble(target!).locator('.meta .reaction').textContent()).toContain('👍');
    await shot('reacted');
  });

  it('picks a row of a list message', async () => {
    const id = await businessSends({
      type: 'interactive',
      interactive: { type: 'list', body: { text: 'Anything to drink?' }, action: { button: 'Drinks', sections: [{ title: 'Cold', rows: [{ id: 'cola', title: 'Cola', description: '0.33 l' }, { id: 'water', title: 'Water' }] }] } },
    });
    await bubble(id).waitFor({ timeout: 5000 });
    await bubble(id).locator('details.list summary').click();
    await shot('list-open');
    const n = inboundMessages(receiver).length;
    await bubble(id).getByRole('button', { name: /Cola/ }).click();
    expect(await waitForInbound(receiver, n + 1)).toMatchObject({ type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'cola', title: 'Cola', description: '0.33 l' } } });
  });

  it("draws a template's buttons in the template's order, live and after a reload", async () => {
    await insertTemplate(t.deps, t.deps.db.kysely, {
      partnerId: p.partner_id,
      wabaAccountId: p.waba_account_id,
      name: 'pizza_ready',
      language: 'en',
      category: 'UTILITY',
      status: 'APPROVED',
      components: [
        { type: 'BODY', text: 'Your pizza is ready.' },
        { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'On my way' }, { type: 'QUICK_REPLY', text: 'Deliver it' }, { type: 'URL', text: 'Track', url: 'https://pizza.example/t' }] },
      ],
    });
    const id = await businessSends({ type: 'template', template: { name: 'pizza_ready', language: { code: 'en' } } });
    const drawn = () => bubble(id).locator('form.choices > button, form.choices > p.link .link-label').allInnerTexts();
    await bubble(id).waitFor({ timeout: 5000 });
    expect(await drawn()).toEqual(['On my way', 'Deliver it', 'Track']);
    await shot('template-buttons');
    await page.reload();
    await bubble(id).waitFor();
    expect(await drawn()).toEqual(['On my way', 'Deliver it', 'Track']);
    const n = inboundMessages(receiver).length;
    await bubble(id).getByRole('button', { name: 'Deliver it' }).click();
    expect(await waitForInbound(receiver, n + 1)).toMatchObject({ type: 'button', button: { text: 'Deliver it', payload: 'Deliver it' }, context: { id } });
  });

  it('reloads with the whole conversation and looks right on a desktop too', async () => {
    // The page is server-rendered in one response (its speed is measured by npm run bench:pages).
    // (The first reload also picks up what the last test's tap added.)
    const shown = async () => {
      await page.reload();
      await page.locator('li.msg').first().waitFor();
      return page.locator('li.msg').count();
    };
    const first = await shown();
    expect(first).toBeGreaterThan(0);
    for (let i = 0; i < 2; i++) expect(await shown()).toBe(first);
    await shot('chat-reloaded');
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'phone-desktop');
    await page.setViewportSize({ width: 375, height: 667 });
  });

  it("a Hub user picks one of their partner's sandbox channels instead of typing a key", async () => {
    const user = await t.deps.db.kysely.selectFrom('hub_users').select(['id']).where('partner_id', '=', p.partner_id).executeTakeFirstOrThrow();
    const sid = randomBytes(32).toString('base64url');
    const now = Date.now();
    await t.deps.db.kysely
      .insertInto('web_sessions')
      .values({ id_hash: hashSecret(sid), kind: 'hub', subject: JSON.stringify({ userId: user.id, partnerId: p.partner_id, username: p.username }), csrf_token: randomBytes(32).toString('base64url'), created_at: new Date(now).toISOString(), expires_at: new Date(now + 3600_000).toISOString() })
      .execute();
    await session.context.addCookies([{ name: 'ow_hub', value: sid, url: `${t.baseUrl}/hub`, httpOnly: true, sameSite: 'Lax' }]);
    await page.goto(`${t.baseUrl}/hub/sandbox-phone`);
    await shot('hub-pick');
    await page.getByRole('button', { name: new RegExp(p.phone_number) }).click();
    await page.getByRole('heading', { name: 'Who are you?' }).waitFor();
    // The channel's users so far are offered; Jane is one of them.
    await page.getByRole('button', { name: /Jane/ }).click();
    await page.getByRole('log', { name: 'Conversation' }).getByText('hello').waitFor();
    await shot('hub-chat');
    expect(session.errors).toEqual([]);
    expect(session.blocked).toEqual([]);
  });

  it('says why when the channel key it was opened with is revoked, live and on the page it reloads', async () => {
    await page.getByRole('button', { name: 'Leave' }).click();
    await page.getByLabel('Channel API key (D360-API-KEY)').fill(p.channel_api_key);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: /Jane/ }).click();
    await page.getByRole('log', { name: 'Conversation' }).getByText('hello').waitFor();
    const channel = await t.deps.db.kysely.selectFrom('channels').selectAll().where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    await createChannelApiKey(t.deps, channel); // revokes the key the phone was opened with
    // The chat's poll notices within a second or so, and the alert says why.
    const alert = page.getByRole('alert');
    await alert.getByText("This phone session has ended. The channel's API key was revoked or replaced").waitFor({ timeout: 5000 });
    await shot('key-revoked');
    await alert.getByRole('link', { name: 'Reload the phone' }).click();
    await page.getByLabel('Channel API key (D360-API-KEY)').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain("The channel's API key was revoked or replaced: enter the channel's current key");
    await shot('key-revoked-reloaded');
    expect(session.errors).toEqual([]);
  });
});
