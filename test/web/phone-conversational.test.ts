// In Chromium, the sandbox phone shows a number's conversational components (POST
// /conversational_automation) as WhatsApp does: a user opening the chat for the first time sees
// the ice breakers and commands as tappable suggestions, and with the welcome message on the
// channel's webhook gets exactly one request_welcome (Cloud format) for them, however often the
// chat is reloaded or reopened. Tapping an ice breaker sends it as a text (phone.js posts it in the
// background) and the suggestions go as soon as the first message is in the chat. With the
// welcome message off, the suggestions still show and no request_welcome is sent.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { checkBrowser, describeBrowser, launchIsolatedPage, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import { Receiver } from '../helpers/receiver.ts';
import { sleep } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { chatLive, inboundMessages, waitForInbound } from './phone-client.ts';

const browserCheck = await checkBrowser();
const WA = '4917055507001';
const WA_QUIET = '4917055507002';
const PROMPTS = ['Book a <table>', 'Opening hours?'];
const COMMANDS = [
  { command_name: 'menu', command_description: "Today's menu" },
  { command_name: 'book', command_description: 'Book a table' },
];

/**
 * Page-side (a string: the tests compile without the DOM library): the lowest WCAG contrast ratio
 * between a suggestion button's texts (its own and its children's colours) and the button's background.
 */
const CONTRAST = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = rgb(c).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  let worst = Infinity;
  for (const b of document.querySelectorAll('#chat-suggestions button')) {
    const bg = getComputedStyle(b).backgroundColor;
    for (const e of [b, ...b.querySelectorAll('*')]) worst = Math.min(worst, ratio(getComputedStyle(e).color, bg));
  }
  return worst;
})()`;

describeBrowser('sandbox phone: conversational components in Chromium', browserCheck, () => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let session: IsolatedBrowser;
  let page: Page;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const suggestions = () => page.locator('#chat-suggestions');
  const iceBreakers = () => page.getByRole('form', { name: 'Ice breakers' }).getByRole('button');
  const commands = () => page.getByRole('form', { name: 'Commands' }).getByRole('button');
  /** The request_welcome messages the webhook got for `wa`, each with its contact. */
  const welcomesAtWebhook = (wa: string) => inboundMessages(receiver).filter((m) => m.type === 'request_welcome' && m.from === wa);
  /** The request_welcome messages stored for `wa` (each one is a webhook sent or queued). */
  const welcomesStored = async (wa: string) =>
    (await t.deps.db.kysely.selectFrom('messages').select('id').where('channel_id', '=', p.channel_id).where('wa_id', '=', wa).where('type', '=', 'request_welcome').execute()).length;

  async function shot(name: string) {
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow, `${name}: horizontal overflow`).toBeLessThanOrEqual(0);
    await screenshot(page, `phone-conversational-${name}`);
  }

  /** The suggestions offered: the ice breakers' and the commands' visible, enabled buttons, by their text. */
  async function offered(): Promise<{ prompts: string[]; commands: string[] }> {
    await suggestions().waitFor();
    for (const b of [...(await iceBreakers().all()), ...(await commands().all())]) {
      expect(await b.isVisible()).toBe(true);
      expect(await b.isEnabled()).toBe(true);
    }
    // Every text of a suggestion (a command's description too) is readable on its button: WCAG AA, 4.5:1.
    const worst = await page.evaluate<number>(CONTRAST);
    expect(worst, 'lowest contrast of a suggestion text on its button').toBeGreaterThanOrEqual(4.5);
    const text = async (l: ReturnType<typeof iceBreakers>) => (await l.allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());
    return { prompts: await text(iceBreakers()), commands: await text(commands()) };
  }

  async function becomeUser(wa: string, name: string) {
    await page.getByRole('heading', { name: 'Who are you?' }).waitFor();
    await page.getByLabel('Your number (wa_id)').fill(wa);
    await page.getByLabel('Your name').fill(name);
    await page.keyboard.press('Enter');
    await chatLive(page);
  }

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp('sqlite', { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=50ms,delivered=100ms,read=150ms' } });
    p = await t.tenant({ brandName: 'Trattoria' });
    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: receiver.url } })).status).toBe(200);
    const set = await t.post('/conversational_automation', { headers: key(), json: { enable_welcome_message: true, prompts: PROMPTS, commands: COMMANDS } });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toEqual({ success: true });
    session = await launchIsolatedPage(t.baseUrl, { viewport: { width: 375, height: 667 } });
    page = session.page;
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
    await receiver?.close();
  });

  it('a first opening shows the ice breakers and commands as suggestions, and the webhook gets one request_welcome in Cloud format', async () => {
    await page.goto(`${t.baseUrl}/sandbox/phone`);
    await page.getByLabel('Channel API key (D360-API-KEY)').fill(p.channel_api_key);
    await page.keyboard.press('Enter');
    await becomeUser(WA, 'Jane');
    await page.getByText('No messages yet').waitFor();
    expect(await offered()).toEqual({ prompts: PROMPTS, commands: ['/menu Today\'s menu', '/book Book a table'] });
    await shot('first-open');

    const first = await waitForInbound(receiver, 1);
    expect(first).toEqual({
      contact: expect.objectContaining({ profile: { name: 'Jane' }, wa_id: WA }),
      from: WA,
      id: expect.stringMatching(/^wamid\./),
      from_user_id: expect.any(String),
      timestamp: expect.stringMatching(/^\d+$/),
      type: 'request_welcome',
    });
    // The whole envelope is Meta's Cloud API messages webhook.
    const body = receiver.bodies().find((b) => b.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.id === first.id);
    expect(body.object).toBe('whatsapp_business_account');
    expect(body.entry[0].changes[0].field).toBe('messages');
    expect(body.entry[0].changes[0].value).toMatchObject({ messaging_product: 'whatsapp', metadata: { phone_number_id: expect.any(String), display_phone_number: expect.any(String) } });
    // The opening draws no bubble: the chat stays empty.
    expect(await page.locator('#chat li.msg').count()).toBe(0);
  });

  it('reloading and reopening the chat sends no second request_welcome; the suggestions stay', async () => {
    await page.reload();
    expect((await offered()).prompts).toEqual(PROMPTS);
    // Reopened: Switch user, then the same user from the channel's recent users.
    await page.getByRole('button', { name: 'Switch user' }).click();
    await page.getByRole('heading', { name: 'Who are you?' }).waitFor();
    await page.getByRole('button', { name: new RegExp(`Jane .*\\+${WA}`) }).click();
    await page.getByText('No messages yet').waitFor();
    expect((await offered()).commands).toHaveLength(2);
    // A poll or two of the page's script, and the dispatcher's deliveries, have had their time.
    await sleep(1500);
    expect(await page.locator('#chat li.msg').count()).toBe(0);
    expect(await suggestions().count()).toBe(1);
    expect(await welcomesStored(WA)).toBe(1);
    expect(welcomesAtWebhook(WA)).toHaveLength(1);
  });

  it('tapping an ice breaker sends it as a text, and the suggestions go once it is in the chat, without a page load', async () => {
    await page.evaluate('window.stay = 1');
    const n = inboundMessages(receiver).length;
    await iceBreakers().filter({ hasText: 'Opening hours?' }).click();
    const m = await waitForInbound(receiver, n + 1);
    expect(m).toMatchObject({ from: WA, type: 'text', text: { body: 'Opening hours?' }, contact: { wa_id: WA } });
    await page.locator(`li.msg[data-id="${m.id}"]`).waitFor();
    expect(await page.locator(`li.msg[data-id="${m.id}"] .text`).textContent()).toBe('Opening hours?');
    await suggestions().waitFor({ state: 'detached' });
    expect(await page.getByText('No messages yet').count()).toBe(0);
    expect(await page.evaluate('window.stay')).toBe(1); // phone.js did it: no page load
    expect(session.errors).toEqual([]);
    await shot('ice-breaker-sent');
    // The server agrees: a reload offers no suggestions.
    await page.reload();
    await page.locator(`li.msg[data-id="${m.id}"]`).waitFor();
    expect(await suggestions().count()).toBe(0);
    expect(welcomesAtWebhook(WA)).toHaveLength(1);
    expect(await welcomesStored(WA)).toBe(1);
  });

  it('with the welcome message off, a new user still sees the suggestions and no request_welcome is sent', async () => {
    const off = await t.post('/conversational_automation', { headers: key(), json: { enable_welcome_message: false } });
    expect(off.status, off.text).toBe(200);
    await page.getByRole('button', { name: 'Switch user' }).click();
    await becomeUser(WA_QUIET, 'Quiet Bo');
    await page.getByText('No messages yet').waitFor();
    expect(await offered()).toEqual({ prompts: PROMPTS, commands: ['/menu Today\'s menu', '/book Book a table'] });
    await shot('welcome-off');
    // A command tapped: its text reaches the webhook, with no request_welcome before or after it.
    const n = inboundMessages(receiver).length;
    await commands().filter({ hasText: '/book' }).click();
    const m = await waitForInbound(receiver, n + 1);
    expect(m).toMatchObject({ from: WA_QUIET, type: 'text', text: { body: '/book' } });
    await suggestions().waitFor({ state: 'detached' });
    await sleep(500);
    expect(inboundMessages(receiver).filter((x) => x.from === WA_QUIET).map((x) => x.type)).toEqual(['text']);
    expect(await welcomesStored(WA_QUIET)).toBe(0);
    expect(session.errors).toEqual([]);
  });
});
