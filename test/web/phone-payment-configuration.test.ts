// An order naming a payment configuration the user cannot pay through (payments/send-check.ts):
// the business's send is accepted, as Meta accepts it; on the sandbox phone "Review and pay"
// then fails: the webhook is Meta's failed payment, transaction.error naming the configuration's
// problem, and the order's bubble says "Payment failed" with that reason (escaped: the name is
// the business's text).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { PhoneClient, waitForInbound } from './phone-client.ts';
import { changed, indiaOrder } from '../messaging/payments-fixtures.ts';

const WA = '919800000211';
const HOSTILE = '<img src=x onerror=1>';

describeEachDb('sandbox phone: paying an order whose payment configuration the WABA does not have', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phone: PhoneClient;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=20ms,delivered=40ms,read=60ms' } });
    p = await t.tenant();
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

  it('the send is accepted; paying on the phone fails with the reason, in the webhook and on the bubble', async () => {
    const order = changed(indiaOrder('cfg-phone-1'), (q) => (q.payment_settings[0].payment_gateway.configuration_name = HOSTILE));
    const sent = await t.post('/messages', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { messaging_product: 'whatsapp', to: WA, type: 'interactive', interactive: order } });
    expect(sent.status, sent.text).toBe(200);
    const id = sent.body.messages[0].id as string;

    // The user taps "Pay": the payment fails, whatever was asked.
    const paid = await phone.post('/sandbox/phone/pay', { message_id: id, outcome: 'captured' }, { json: true });
    expect(paid.status, paid.text).toBe(200);
    expect(paid.body).toEqual({ ok: true, status: 'failed' });
    const hook = await receiver.waitForBody('the failed payment webhook', (bodies) =>
      bodies.map((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]).find((st: { type?: string; payment?: { reference_id?: string } } | undefined) => st?.type === 'payment' && st.payment?.reference_id === 'cfg-phone-1'),
    );
    const reason = `No payment configuration named ${JSON.stringify(HOSTILE)} exists on this WhatsApp Business Account`;
    expect(hook).toMatchObject({ id, recipient_id: WA, status: 'failed', payment: { transaction: { status: 'failed', type: 'razorpay', error: { code: 'payment_configuration_not_found', reason } } } });

    const item = (await phone.items()).find((i) => i.id === id);
    expect(item.meta.order).toEqual({ payable: true, payment: { status: 'failed', label: 'Payment failed', reason } });
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('<p class="payment p-failed">Payment failed: <span class="payment-reason">No payment configuration named &quot;&lt;img src=x onerror=1&gt;&quot; exists on this WhatsApp Business Account</span></p>');
    expect(page.text).not.toContain(HOSTILE);
  });
});
