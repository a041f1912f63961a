// The sandbox phone and the Payments API: an order_details message drawn as WhatsApp draws it
// (items, quantity, price, subtotal, tax, shipping, discount, total in the market's money, the
// reference id), paid from the phone ("Review and pay", then pay or fail: the same way as POST
// /sandbox/v1/payments, so the business gets the payment status webhook), the bubble saying
// "Paid" or "Payment failed" afterwards; Brazil's orders showing how to pay outside WhatsApp (Pix
// code to copy, boleto, link) and no pay button; an order_status message as the order's update;
// the business's texts shown as text. Without JavaScript (forms, both databases) and in Chromium.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { checkBrowser, describeBrowser, screenshot, type IsolatedBrowser } from '../helpers/browser.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { bubbleOf, type StoredMessage } from '../../src/web/phone/bubbles.ts';
import { formatAmount } from '../../src/web/phone/orders.ts';
import { PhoneClient, openPhoneChat, waitForInbound } from './phone-client.ts';
import { boletoOrder, changed, fixtureRequest, indiaOrder, linkFixtureConfigurations, orderStatus, pixOrder, singaporeOrder } from '../messaging/payments-fixtures.ts';

const NBSP = '\u00a0';
const HOSTILE_NAME = '<img src=x onerror="window.pwned=1">Tea';
const hostileOrder = (ref: string) =>
  changed(indiaOrder(ref), (p, m) => {
    p.order.items[1].name = HOSTILE_NAME;
    m.body.text = 'Your <script>window.pwned=2</script> order';
  });

const stored = (interactive: unknown): StoredMessage => ({
  id: 'wamid.O',
  direction: 'outbound',
  type: 'interactive',
  content: JSON.stringify({ type: 'interactive', interactive }),
  status: 'read',
  error_code: null,
  error_title: null,
  context_id: null,
  created_at: '2026-03-01T09:05:07.123Z',
});

/** The Cloud webhook's payment statuses of a reference, once `n` have come. */
const paymentWebhooks = (receiver: Receiver, ref: string, n: number) =>
  receiver.waitForBody(`${n} payment webhooks of ${ref}`, (bodies) => {
    const all = bodies.map((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]).filter((s) => s?.type === 'payment' && s.payment?.reference_id === ref);
    return all.length >= n ? all : undefined;
  });

describe('sandbox phone bubbles: orders', () => {
  it("formats value/offset amounts in the market's money", () => {
    expect(formatAmount({ value: 123450, offset: 100 }, 'INR')).toBe('₹1,234.50');
    expect(formatAmount({ value: 12345678, offset: 100 }, 'INR')).toBe('₹1,23,456.78');
    expect(formatAmount({ value: 123450, offset: 100 }, 'SGD')).toBe('S$1,234.50');
    expect(formatAmount({ value: 123450, offset: 100 }, 'BRL')).toBe(`R$${NBSP}1.234,50`);
    expect(formatAmount({ value: 5, offset: 1000 }, 'INR')).toBe('₹0.005');
    expect(formatAmount({ value: 'x', offset: 100 }, 'INR')).toBe('?');
  });

  it('an India order: items with quantity and price, the sums, the total, and "Review and pay"', () => {
    const b = bubbleOf(stored(indiaOrder('ref-1')));
    expect(b).toMatchObject({ text: 'Your order from Chai Corner', footer: 'Thank you!', media: { label: 'Image' } });
    expect(b.order).toEqual({
      referenceId: 'ref-1',
      currency: 'INR',
      items: [
        { name: 'Masala tea', quantity: 2, price: '₹150.00', was: '₹200.00', total: '₹300.00' },
        { name: 'Cup', quantity: 1, price: '₹100.00', total: '₹100.00' },
      ],
      lines: [
        { label: 'Subtotal', amount: '₹400.00' },
        { label: 'Tax', amount: '₹72.00', description: 'GST' },
        { label: 'Shipping', amount: '₹50.00', description: 'Courier' },
        { label: 'Discount', amount: '−₹4.00', description: 'Welcome' },
      ],
      total: '₹518.00',
      expires: 'Cancelled if not paid within a day',
      inApp: true,
    });
    expect(b.meta.order).toEqual({ payable: true });
    expect(bubbleOf(stored(singaporeOrder('sg'))).order).toMatchObject({ total: 'S$13.08', inApp: true });
  });

  it("Brazil's orders: Pix, boleto and link shown, nothing to pay in WhatsApp; order_status as an update", () => {
    const pix = bubbleOf(stored(pixOrder('br-1')));
    expect(pix.order).toMatchObject({ total: `R$${NBSP}10,00`, inApp: false, pix: { code: '00020101021226700014br.gov.bcb.pix', merchantName: 'Loja Exemplo', key: '39580525000189', keyType: 'CNPJ' }, items: [] });
    expect(pix.meta.order).toEqual({ payable: false });
    expect(bubbleOf(stored(boletoOrder('br-2'))).order).toMatchObject({ boleto: '03399026944140000002628346101018898510000008848', paymentLink: 'https://pay.example.com.br/abc' });
    const update = bubbleOf(stored(orderStatus('ref-1', 'shipped')));
    expect(update).toMatchObject({ text: 'Your order is on its way', orderStatus: { referenceId: 'ref-1', status: 'shipped', label: 'Shipped', description: 'Courier: BlueDart' } });
    expect(update.order).toBeUndefined();
  });
});

describeEachDb('sandbox phone: paying an order without JavaScript', (kind) => {
  const WA = '919800000201';
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phone: PhoneClient;
  const businessSends = async (interactive: unknown, to = WA) => {
    const res = await t.post('/messages', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { messaging_product: 'whatsapp', to, type: 'interactive', interactive } });
    expect(res.status, res.text).toBe(200);
    return res.body.messages[0].id as string;
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=20ms,delivered=40ms,read=60ms' } });
    p = await t.tenant();
    await linkFixtureConfigurations(fixtureRequest(t, p.channel_api_key));
    expect((await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: receiver.url } })).status).toBe(200);
    phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: WA, name: 'Asha' });
    expect((await phone.post('/sandbox/phone/text', { body: 'the bill, please' })).status).toBe(303);
    await waitForInbound(receiver, 1);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('a failed payment, then a paid one: each sends the payment webhook; the bubble says so and the pay button goes', async () => {
    const id = await businessSends(indiaOrder('phone-in-1'));
    let page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('<span class="item-name">Masala tea</span> <span class="item-qty">× 2</span>');
    expect(page.text).toContain('<div class="order-total"><dt>Total</dt><dd>₹518.00</dd></div>');
    expect(page.text).toContain('<summary>Review and pay</summary>');
    const before = (await phone.items()).find((i) => i.id === id);
    expect(before.meta.order).toEqual({ payable: true });

    expect((await phone.post('/sandbox/phone/pay', { message_id: id, outcome: 'failed' })).status).toBe(303);
    const [failed] = await paymentWebhooks(receiver, 'phone-in-1', 1);
    expect(failed).toMatchObject({ id, recipient_id: WA, status: 'failed', payment: { amount: { value: 51800, offset: 100 }, currency: 'INR', transaction: { status: 'failed', type: 'razorpay' } } });
    page = await phone.get('/sandbox/phone');
    // A failed payment shows its reason (the transaction's error.reason).
    expect(page.text).toContain('<p class="payment p-failed">Payment failed: <span class="payment-reason">The payment was declined</span></p>');
    expect(page.text).toContain('<summary>Review and pay</summary>');

    const json = await phone.post('/sandbox/phone/pay', { message_id: id, outcome: 'captured' }, { json: true });
    expect(json.status, json.text).toBe(200);
    expect(json.body).toEqual({ ok: true, status: 'captured' });
    const all = await paymentWebhooks(receiver, 'phone-in-1', 2);
    expect(all[1]).toMatchObject({ id, status: 'captured', payment: { reference_id: 'phone-in-1', transaction: { status: 'success', method: { type: 'upi' } } } });
    page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('<p class="payment p-captured">Paid</p>');
    expect(page.text).not.toContain('Review and pay');
    expect((await phone.items()).find((i) => i.id === id).meta.order).toEqual({ payable: false, payment: { status: 'captured', label: 'Paid' } });
    // The same payment through the API: it is paid already (the phone went the same way).
    const again = await t.post('/sandbox/v1/payments', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { reference_id: 'phone-in-1', status: 'captured' } });
    expect(again.status).toBe(409);
    // And on the phone: the page says why, no 5xx.
    const twice = await phone.post('/sandbox/phone/pay', { message_id: id, outcome: 'captured' }, { json: true });
    expect(twice.status).toBe(409);
    expect(twice.body.error).toContain('paid already');
  });

  it('a payment made with POST /sandbox/v1/payments shows on the phone too; an order_status updates the order', async () => {
    const id = await businessSends(singaporeOrder('phone-sg-1'));
    const pay = await t.post('/sandbox/v1/payments', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { reference_id: 'phone-sg-1', status: 'captured' } });
    expect(pay.status, pay.text).toBe(200);
    const update = await businessSends(orderStatus('phone-sg-1', 'shipped'));
    const items = await phone.items();
    expect(items.find((i) => i.id === id).meta.order).toEqual({ payable: false, payment: { status: 'captured', label: 'Paid' }, status: { status: 'shipped', label: 'Shipped', description: 'Courier: BlueDart' } });
    expect(items.find((i) => i.id === update).orderStatus).toEqual({ referenceId: 'phone-sg-1', status: 'shipped', label: 'Shipped', description: 'Courier: BlueDart' });
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('Order <span class="ref">phone-sg-1</span>: <span class="order-status-label s-shipped">Shipped</span>');
    expect(page.text).toContain('<dd>S$13.08</dd>');
  });

  it("refuses what is not this user's order to pay: a Brazil order, a text, another user's order, a bad outcome, no CSRF", async () => {
    const pix = await businessSends(pixOrder('phone-br-1'));
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('value="00020101021226700014br.gov.bcb.pix" aria-label="Pix code"');
    expect(page.text).toContain('>Copy Pix code</button>');
    const n = receiver.bodies().length;
    const br = await phone.post('/sandbox/phone/pay', { message_id: pix, outcome: 'captured' }, { json: true });
    expect(br.status).toBe(400);
    expect(br.body.error).toContain('outside WhatsApp');
    const text = (await t.post('/messages', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { messaging_product: 'whatsapp', to: WA, type: 'text', text: { body: 'hi' } } })).body.messages[0].id;
    expect((await phone.post('/sandbox/phone/pay', { message_id: text, outcome: 'captured' }, { json: true })).status).toBe(400);
    const others = await businessSends(indiaOrder('phone-in-other'), '919800000299');
    expect((await phone.post('/sandbox/phone/pay', { message_id: others, outcome: 'captured' }, { json: true })).status).toBe(404);
    const mine = await businessSends(indiaOrder('phone-in-2'));
    expect((await phone.post('/sandbox/phone/pay', { message_id: mine, outcome: 'pending' }, { json: true })).status).toBe(400);
    expect((await phone.post('/sandbox/phone/pay', { message_id: mine, outcome: ['captured', 'failed'] as any }, { json: true })).status).toBe(400);
    expect((await phone.post('/sandbox/phone/pay', { message_id: mine, outcome: 'captured', _csrf: 'forged' }, { json: true })).status).toBe(403);
    // A form without JavaScript gets the phone page with the error, not a 5xx.
    const html = await phone.post('/sandbox/phone/pay', { message_id: pix, outcome: 'captured' });
    expect(html.status).toBe(400);
    expect(html.text).toContain('outside WhatsApp');
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.bodies().slice(n).filter((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]?.type === 'payment')).toEqual([]);
  });

  it("the business's HTML in item names and texts is shown as text", async () => {
    await businessSends(hostileOrder('phone-in-html'));
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('<span class="item-name">&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;Tea</span>');
    expect(page.text).toContain('Your &lt;script&gt;window.pwned=2&lt;/script&gt; order');
    expect(page.text).not.toContain('<img src=x');
    expect(page.text).not.toContain('<script>window.pwned');
  });
});

const browserCheck = await checkBrowser();

describeBrowser('sandbox phone in Chromium: orders and payments', browserCheck, () => {
  const WA = '919800000301';
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let session: IsolatedBrowser;
  let page: Page;
  const businessSends = async (interactive: unknown) => {
    const res = await t.post('/messages', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { messaging_product: 'whatsapp', to: WA, type: 'interactive', interactive } });
    expect(res.status, res.text).toBe(200);
    return res.body.messages[0].id as string;
  };
  const bubble = (id: string) => page.locator(`li.msg[data-id="${id}"]`);

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp('sqlite', { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms' } });
    p = await t.tenant();
    await linkFixtureConfigurations(fixtureRequest(t, p.channel_api_key));
    expect((await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: receiver.url } })).status).toBe(200);
    session = await openPhoneChat(t.baseUrl, p.channel_api_key, receiver, { wa: WA, name: 'Asha', say: 'the bill, please' });
    page = session.page;
  });
  afterAll(async () => {
    await session?.close();
    await t?.close();
    await receiver?.close();
  });

  it('an India order arrives live with its items and total; the user pays; the business gets the captured payment; the bubble says Paid', async () => {
    const id = await businessSends(indiaOrder('web-in-1'));
    await bubble(id).waitFor({ timeout: 5000 });
    const order = bubble(id).locator('section.order');
    expect(await order.locator('.item-name').allTextContents()).toEqual(['Masala tea', 'Cup']);
    expect(await order.locator('.item-qty').allTextContents()).toEqual(['× 2', '× 1']);
    expect(await order.locator('.item-total').allTextContents()).toEqual(['₹300.00', '₹100.00']);
    expect(await order.locator('.order-total dd').textContent()).toBe('₹518.00');
    expect(await order.locator('.ref').textContent()).toBe('web-in-1');
    // The order is read before it is paid: afterwards only the payment can change the conversation (the poll sees it).
    await bubble(id).locator('.ticks.s-read').waitFor({ timeout: 5000 });
    await bubble(id).locator('summary', { hasText: 'Review and pay' }).click();
    await screenshot(page, 'phone-order-pay');
    await bubble(id).getByRole('button', { name: 'Pay ₹518.00' }).click();
    const [captured] = await paymentWebhooks(receiver, 'web-in-1', 1);
    expect(captured).toMatchObject({ id, recipient_id: WA, type: 'payment', status: 'captured', payment: { amount: { value: 51800, offset: 100 }, currency: 'INR', transaction: { status: 'success' } } });
    await bubble(id).locator('.payment.p-captured', { hasText: 'Paid' }).waitFor({ timeout: 5000 });
    expect(await bubble(id).locator('details.pay').count()).toBe(0);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('a Brazil Pix order shows its code with a copy button and no pay button; an order_status shows as an update', async () => {
    const id = await businessSends(pixOrder('web-br-1'));
    await bubble(id).waitFor({ timeout: 5000 });
    expect(await bubble(id).getByLabel('Pix code').inputValue()).toBe('00020101021226700014br.gov.bcb.pix');
    expect(await bubble(id).getByRole('button', { name: 'Copy Pix code' }).count()).toBe(1);
    expect(await bubble(id).locator('.order-total dd').textContent()).toBe(`R$${NBSP}10,00`);
    expect(await bubble(id).locator('details.pay').count()).toBe(0);
    expect(await bubble(id).getByText('Review and pay').count()).toBe(0);
    await bubble(id).getByRole('button', { name: 'Copy Pix code' }).click();
    await bubble(id).locator('button.copy', { hasText: /Copied|Selected/ }).waitFor({ timeout: 5000 });
    const update = await businessSends(changed(orderStatus('web-br-1', 'processing'), (p) => (p.payment = { status: 'captured', timestamp: 1722445231 })));
    await bubble(update).waitFor({ timeout: 5000 });
    expect(await bubble(update).locator('.order-status-label').textContent()).toBe('Processing');
    expect(await bubble(update).locator('.order-desc').textContent()).toBe('Courier: BlueDart');
    expect(await bubble(update).locator('.ref').textContent()).toBe('web-br-1');
    expect(await bubble(update).locator('.payment').textContent()).toBe('Paid');
    // The order it updates says so too.
    await bubble(id).locator('.payment.p-captured', { hasText: 'Paid' }).waitFor({ timeout: 5000 });
    expect(await bubble(id).locator('.order-status-label').textContent()).toBe('Processing');
    await screenshot(page, 'phone-order-pix');
  });

  it("an item name with HTML is drawn as text by the live script; nothing of it runs", async () => {
    const id = await businessSends(hostileOrder('web-in-html'));
    await bubble(id).waitFor({ timeout: 5000 });
    expect(await bubble(id).locator('.item-name').nth(1).textContent()).toBe(HOSTILE_NAME);
    expect(await bubble(id).locator('.text').textContent()).toBe('Your <script>window.pwned=2</script> order');
    expect(await bubble(id).locator('img').count()).toBe(0);
    // And the server's page (reloaded) draws it the same.
    await page.reload();
    await bubble(id).waitFor({ timeout: 5000 });
    expect(await bubble(id).locator('.item-name').nth(1).textContent()).toBe(HOSTILE_NAME);
    expect(await bubble(id).locator('img').count()).toBe(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();
  });
});
