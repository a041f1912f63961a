// The sandbox phone and the carousel, call button and call permission request: each drawn from
// the stored message (escaped like every bubble), a card's quick reply tapped as a button_reply,
// and a permission request answered (always, for 7 days, or not) as a call_permission_reply:
// without JavaScript (forms), and in Chromium (the live script draws the same model).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { checkBrowser, describeBrowser, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { bubbleOf, snippet, type StoredMessage } from '../../src/web/phone/bubbles.ts';
import { PhoneClient, inboundMessages, openPhoneChat, waitForInbound } from './phone-client.ts';

const stored = (content: unknown, over: Partial<StoredMessage> = {}): StoredMessage => ({
  id: 'wamid.C',
  direction: 'outbound',
  type: 'interactive',
  content: JSON.stringify({ type: 'interactive', interactive: content }),
  status: 'delivered',
  error_code: null,
  error_title: null,
  context_id: null,
  created_at: '2026-03-01T09:05:07.123Z',
  ...over,
});
const qr = (id: string, title: string) => ({ type: 'quick_reply', quick_reply: { id, title } });
const plantCarousel = {
  type: 'carousel',
  body: { text: 'Our <b>picks</b>:' },
  action: {
    cards: [
      { card_index: 1, header: { type: 'image', image: { link: 'https://cdn.example.com/2.jpg' } }, body: { text: 'Fern <script>' }, action: { buttons: [qr('learn-fern', 'Learn <more>'), qr('fav-fern', 'Favorite')] } },
      { card_index: 0, header: { type: 'image', image: { link: 'https://cdn.example.com/1.jpg' } }, body: { text: 'Cactus' }, action: { buttons: [qr('learn-cactus', 'Learn <more>'), qr('fav-cactus', 'Favorite')] } },
    ],
  },
};
const urlCarousel = {
  type: 'carousel',
  body: { text: 'Shop' },
  action: {
    cards: [0, 1].map((i) => ({
      card_index: i,
      type: 'cta_url',
      header: { type: 'video', video: { link: `https://cdn.example.com/${i}.mp4` } },
      action: { name: 'cta_url', parameters: { display_text: `Buy ${i}`, url: `https://shop.example.com/${i}` } },
    })),
  },
};
const voiceCall = { type: 'voice_call', body: { text: 'Call us now' }, action: { name: 'voice_call', parameters: { display_text: 'Call on WhatsApp', ttl_minutes: 60 } } };
const permissionRequest = { type: 'call_permission_request', body: { text: 'May we call you?' }, action: { name: 'call_permission_request' } };

describe('sandbox phone bubbles: carousel and calls', () => {
  it('a carousel: its body, and its cards in card_index order with header, body and buttons', () => {
    const b = bubbleOf(stored(plantCarousel));
    expect(b.text).toBe('Our <b>picks</b>:');
    expect(b.cards).toEqual([
      { index: 0, media: { label: 'Image' }, text: 'Cactus', buttons: [{ id: 'learn-cactus', title: 'Learn <more>' }, { id: 'fav-cactus', title: 'Favorite' }] },
      { index: 1, media: { label: 'Image' }, text: 'Fern <script>', buttons: [{ id: 'learn-fern', title: 'Learn <more>' }, { id: 'fav-fern', title: 'Favorite' }] },
    ]);
    expect(snippet(b)).toBe('Our <b>picks</b>:');
    const urls = bubbleOf(stored(urlCarousel));
    expect(urls.cards).toEqual([
      { index: 0, media: { label: 'Video' }, link: { label: 'Buy 0', target: 'https://shop.example.com/0' } },
      { index: 1, media: { label: 'Video' }, link: { label: 'Buy 1', target: 'https://shop.example.com/1' } },
    ]);
  });

  it('a call button is a link that is shown, not followed; a permission request offers its three answers', () => {
    expect(bubbleOf(stored(voiceCall))).toMatchObject({ text: 'Call us now', links: [{ label: 'Call on WhatsApp', target: expect.stringContaining('Calls the business on WhatsApp') }] });
    expect(bubbleOf(stored({ type: 'voice_call', body: { text: 'x' }, action: { name: 'voice_call' } })).links![0]!.label).toBe('Call Now');
    const request = bubbleOf(stored(permissionRequest));
    expect(request).toMatchObject({ text: 'May we call you?', note: expect.stringContaining('permission to call you') });
    expect(request.permission).toEqual([
      { id: 'accept_permanent', title: 'Always allow calls' },
      { id: 'accept_temporary', title: 'Allow calls for 7 days' },
      { id: 'reject', title: "Don't allow" },
    ]);
  });

  it("the user's answer to a permission request reads as what they chose", () => {
    const answer = (r: Record<string, unknown>) => bubbleOf(stored({ type: 'call_permission_reply', call_permission_reply: r }, { direction: 'inbound', status: 'received' })).text;
    expect(answer({ response: 'accept', is_permanent: true, response_source: 'user_action' })).toBe('Always allow calls');
    expect(answer({ response: 'accept', is_permanent: false, expiration_timestamp: 1, response_source: 'user_action' })).toBe('Allow calls for 7 days');
    expect(answer({ response: 'reject', is_permanent: false, response_source: 'user_action' })).toBe("Don't allow calls");
    expect(answer({ response: 'accept', is_permanent: false, response_source: 'automatic' })).toContain('you called the business');
  });
});

describeEachDb('sandbox phone: carousel and call messages', (kind) => {
  const WA = '4917099880001';
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phone: PhoneClient;
  const businessSends = async (interactive: unknown) => {
    const res = await t.post('/messages', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { messaging_product: 'whatsapp', to: WA, type: 'interactive', interactive } });
    expect(res.status, res.text).toBe(200);
    return res.body.messages[0].id as string;
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms' } });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: receiver.url } })).status).toBe(200);
    phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: WA, name: 'Jane' });
    expect((await phone.post('/sandbox/phone/text', { body: 'hi' })).status).toBe(303);
    await waitForInbound(receiver, 1);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('draws the carousel escaped, and tapping a card button sends a button_reply with its id, title and context', async () => {
    const id = await businessSends(plantCarousel);
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('Our &lt;b&gt;picks&lt;/b&gt;:');
    expect(page.text).toContain('Fern &lt;script&gt;');
    expect(page.text).not.toContain('Fern <script>');
    expect(page.text).toContain('<button type="submit" name="choice" value="fav-fern">Favorite</button>');
    expect(page.text).toContain('>Learn &lt;more&gt;</button>');
    // Cactus (card 0) before Fern (card 1), as WhatsApp shows them.
    expect(page.text.indexOf('Cactus')).toBeLessThan(page.text.indexOf('Fern'));
    expect((await phone.post('/sandbox/phone/reply', { message_id: id, choice: 'fav-nothing' })).status).toBe(400);
    const n = inboundMessages(receiver).length;
    expect((await phone.post('/sandbox/phone/reply', { message_id: id, choice: 'fav-fern' })).status).toBe(303);
    const m = await waitForInbound(receiver, n + 1);
    expect(m).toMatchObject({ type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'fav-fern', title: 'Favorite' } }, context: { from: p.phone_number, id } });
    expect((await phone.items()).at(-1)).toMatchObject({ from: 'user', text: 'Favorite', quote: 'Our <b>picks</b>:' });
  });

  it('a URL carousel and a call button are shown, with nothing to tap', async () => {
    const urls = await businessSends(urlCarousel);
    const call = await businessSends(voiceCall);
    const items = await phone.items();
    expect(items.find((i) => i.id === urls).cards.map((c: any) => c.link.label)).toEqual(['Buy 0', 'Buy 1']);
    expect(items.find((i) => i.id === call).links).toEqual([{ label: 'Call on WhatsApp', target: expect.any(String) }]);
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('<span class="link-label">Buy 1</span> <span class="link-target">https://shop.example.com/1</span>');
    expect(page.text).toContain('<span class="link-label">Call on WhatsApp</span>');
    expect((await phone.post('/sandbox/phone/reply', { message_id: call, choice: 'Call on WhatsApp' })).status).toBe(400);
  });

  it('answers a call permission request: always, for 7 days, or not', async () => {
    const id = await businessSends(permissionRequest);
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('<button type="submit" name="choice" value="accept_temporary">Allow calls for 7 days</button>');
    const n = inboundMessages(receiver).length;
    expect((await phone.post('/sandbox/phone/reply', { message_id: id, choice: 'accept_temporary' })).status).toBe(303);
    const temporary = await waitForInbound(receiver, n + 1);
    expect(temporary).toMatchObject({ type: 'interactive', context: { id }, interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: false, expiration_timestamp: expect.any(Number), response_source: 'user_action' } } });
    const json = await phone.post('/sandbox/phone/reply', { message_id: id, choice: 'accept_permanent' }, { json: true });
    expect(json.status).toBe(200);
    expect((await waitForInbound(receiver, n + 2)).interactive.call_permission_reply).toEqual({ response: 'accept', is_permanent: true, response_source: 'user_action' });
    await phone.post('/sandbox/phone/reply', { message_id: id, choice: 'reject' });
    expect((await waitForInbound(receiver, n + 3)).interactive.call_permission_reply).toEqual({ response: 'reject', is_permanent: false, response_source: 'user_action' });
    const mine = (await phone.items()).filter((i) => i.from === 'user').slice(-3);
    expect(mine.map((i) => i.text)).toEqual(['Allow calls for 7 days', 'Always allow calls', "Don't allow calls"]);
    expect(mine[0].quote).toBe('May we call you?');
    // A permission answer is for a permission request only.
    const call = (await phone.items()).find((i) => i.links?.[0]?.label === 'Call on WhatsApp');
    expect((await phone.post('/sandbox/phone/reply', { message_id: call.id, choice: 'reject' }, { json: true })).status).toBe(400);
  });
});

const browserCheck = await checkBrowser();

describeBrowser('sandbox phone in Chromium: carousel and call permission', browserCheck, () => {
  const WA = '4917055500077';
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let session: IsolatedBrowser;
  let page: Page;
  const businessSends = async (interactive: unknown) => {
    const res = await t.post('/messages', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { messaging_product: 'whatsapp', to: WA, type: 'interactive', interactive } });
    expect(res.status).toBe(200);
    return res.body.messages[0].id as string;
  };
  const bubble = (id: string) => page.locator(`li.msg[data-id="${id}"]`);

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp('sqlite', { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms' } });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: receiver.url } })).status).toBe(200);
    session = await openPhoneChat(t.baseUrl, p.channel_api_key, receiver, { wa: WA, name: 'Jane', say: 'hello' });
    page = session.page;
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
    await receiver?.close();
  });

  it('a carousel arrives live, its cards drawn by the script; tapping a card button sends its button_reply', async () => {
    const id = await businessSends(plantCarousel);
    await bubble(id).waitFor({ timeout: 5000 });
    expect(await bubble(id).locator('li.card').count()).toBe(2);
    expect(await bubble(id).locator('li.card').first().locator('.text').textContent()).toBe('Cactus');
    expect(await bubble(id).locator('li.card').nth(1).locator('.text').textContent()).toBe('Fern <script>');
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'phone-carousel');
    await bubble(id).locator('li.card').nth(1).getByRole('button', { name: 'Favorite' }).click();
    const m = await waitForInbound(receiver, 2);
    expect(m).toMatchObject({ interactive: { type: 'button_reply', button_reply: { id: 'fav-fern', title: 'Favorite' } }, context: { id } });
  });

  it('a call permission request arrives live; "Always allow calls" sends a permanent acceptance', async () => {
    const id = await businessSends(permissionRequest);
    await bubble(id).waitFor({ timeout: 5000 });
    await screenshot(page, 'phone-call-permission');
    await bubble(id).getByRole('button', { name: 'Always allow calls' }).click();
    const m = await waitForInbound(receiver, 3);
    expect(m).toMatchObject({ interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: true } }, context: { id } });
    await bubble(m.id).waitFor({ timeout: 5000 });
    expect(await bubble(m.id).locator('.text').textContent()).toBe('Always allow calls');
  });
});
