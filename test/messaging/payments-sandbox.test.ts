// The sandbox's payments (payments/sandbox-payments.ts): a sent order_details message is
// delivered like any (sent, delivered, read); a simulated user pays it with POST
// /sandbox/v1/payments, and the channel's webhook gets Meta's payment status notification (a
// statuses item of type "payment") in Cloud and in On-Premise format; only an order the channel
// sent (to that user) can be paid; the payment lookup API answers what was recorded, on
// 360dialog's path and on Meta's Graph path.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { changed, fixtureRequest, indiaOrder, linkFixtureConfigurations, pixOrder, singaporeOrder, upiOrder } from './payments-fixtures.ts';

const ADMIN = 'e'.repeat(32);
const WA = '919800000101';
const OTHER = '919800000102';

describeEachDb('Payments API in the sandbox: pay an order, the payment webhook, the lookup', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let onpremKey: Record<string, string>;
  let phoneNumberId: string;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const send = async (interactive: unknown, to = WA) => {
    const res = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to, type: 'interactive', interactive } });
    expect(res.status, res.text).toBe(200);
    return res.body.messages[0].id as string;
  };
  const pay = (json: unknown, headers: Record<string, string> = key()) => t.post('/sandbox/v1/payments', { headers, json });
  /** The Cloud webhook's payment statuses for a reference, once `n` have come. */
  const cloudPayments = (ref: string, n: number) =>
    receiver.waitForBody(`${n} payment webhooks of ${ref}`, (bodies) => {
      const all = bodies.map((b) => b.entry?.[0]?.changes?.[0]?.value).filter((v) => v?.statuses?.[0]?.type === 'payment' && v.statuses[0].payment?.reference_id === ref);
      return all.length >= n ? all : undefined;
    });
  const statusesOf = (id: string) =>
    receiver.waitForBody(`read status of ${id}`, (bodies) => {
      const all = bodies.map((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]).filter((s) => s?.id === id);
      return all.some((s) => s.status === 'read') ? all.map((s) => s.status as string).sort() : undefined;
    });

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=20ms,delivered=40ms,read=60ms' } });
    p = await t.tenant();
    expect((await t.post('/configs/webhook', { headers: key(), json: { url: `${receiver.url}/cloud` } })).status).toBe(200);
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '919800000901', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    onpremKey = { 'D360-API-KEY': k.body.api_key };
    for (const apiKey of [p.channel_api_key, k.body.api_key]) await linkFixtureConfigurations(fixtureRequest(t, apiKey));
    expect((await t.post('/v1/configs/webhook', { headers: onpremKey, json: { url: `${receiver.url}/onprem` } })).status).toBe(200);
    for (const [h, from] of [[key(), WA], [key(), OTHER], [onpremKey, WA]] as const) {
      expect((await t.post('/sandbox/v1/inbound', { headers: h, json: { from, text: { body: 'I want to order' } } })).status).toBe(200);
    }
    phoneNumberId = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id!;
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('Cloud: the order is delivered (sent, delivered, read); pending then captured payments reach the webhook in Meta’s shape; a captured order takes no more', async () => {
    const id = await send(indiaOrder('pay-in-1'));
    expect(await statusesOf(id)).toEqual(['delivered', 'read', 'sent']);

    const pending = await pay({ reference_id: 'pay-in-1', status: 'pending', from: WA });
    expect(pending.status, pending.text).toBe(200);
    expect(pending.body).toMatchObject({ reference_id: 'pay-in-1', message_id: id, wa_id: WA, status: 'pending', transaction: { status: 'pending', type: 'razorpay' } });
    const captured = await pay({ reference_id: 'pay-in-1', status: 'captured', method: 'card' });
    expect(captured.status, captured.text).toBe(200);
    // The pending transaction is the one completed.
    expect(captured.body.transaction.id).toBe(pending.body.transaction.id);

    const [first, second] = await cloudPayments('pay-in-1', 2);
    expect(first.statuses[0]).toMatchObject({ status: 'pending', payment: { transaction: { status: 'pending' } } });
    expect(second.metadata).toEqual({ display_phone_number: p.phone_number, phone_number_id: phoneNumberId });
    expect(second.statuses).toHaveLength(1);
    expect(second.statuses[0]).toEqual({
      id,
      recipient_id: WA,
      type: 'payment',
      status: 'captured',
      timestamp: expect.stringMatching(/^\d+$/),
      payment: {
        reference_id: 'pay-in-1',
        amount: { value: 51800, offset: 100 },
        currency: 'INR',
        transaction: {
          id: pending.body.transaction.id,
          pg_transaction_id: expect.any(String),
          type: 'razorpay',
          status: 'success',
          created_timestamp: expect.any(Number),
          updated_timestamp: expect.any(Number),
          amount: { value: 51800, offset: 100 },
          currency: 'INR',
          method: { type: 'card' },
        },
        receipt: 'receipt-1',
        notes: { promo: 'WELCOME' },
      },
    });

    const again = await pay({ reference_id: 'pay-in-1', status: 'captured' });
    expect(again.status).toBe(409);
    expect(again.body.error.error_data.details).toContain('reference_id');
  });

  it('a failed payment carries its error; the lookup answers the recorded payment on 360dialog’s path and on the Graph path', async () => {
    await send(upiOrder('pay-upi-1'));
    const failed = await pay({ reference_id: 'pay-upi-1', status: 'failed', error: { code: 'insufficient_funds', reason: 'Not enough balance' } });
    expect(failed.status, failed.text).toBe(200);
    const [hook] = await cloudPayments('pay-upi-1', 1);
    expect(hook.statuses[0]).toMatchObject({ status: 'failed', payment: { currency: 'INR', transaction: { type: 'upi', status: 'failed', error: { code: 'insufficient_funds', reason: 'Not enough balance' } } } });

    const looked = await t.get('/payments/upi-config/pay-upi-1', { headers: key() });
    expect(looked.status, looked.text).toBe(200);
    expect(looked.body).toEqual({
      payments: [{ reference_id: 'pay-upi-1', status: 'failed', currency: 'INR', amount: { value: 11800, offset: 100 }, transactions: [expect.objectContaining({ id: failed.body.transaction.id, status: 'failed' })] }],
    });
    // A retry after the failure opens a second transaction.
    expect((await pay({ reference_id: 'pay-upi-1', status: 'captured' })).status).toBe(200);
    const graph = await t.get(`/v21.0/${phoneNumberId}/payments/upi-config/pay-upi-1`, { headers: { authorization: `Bearer ${p.channel_api_key}` } });
    expect(graph.status, graph.text).toBe(200);
    expect(graph.body.payments[0].status).toBe('captured');
    expect(graph.body.payments[0].transactions.map((x: any) => x.status)).toEqual(['failed', 'success']);

    // An order sent but not paid: pending, no transaction.
    await send(singaporeOrder('pay-sg-1'));
    const unpaid = await t.get('/payments/stripe-sg/pay-sg-1', { headers: key() });
    expect(unpaid.body).toEqual({ payments: [{ reference_id: 'pay-sg-1', status: 'pending', currency: 'SGD', amount: { value: 1308, offset: 100 }, transactions: [] }] });
    // Another configuration's name, or a reference never sent: 404 in Meta's body naming the reference.
    for (const path of ['/payments/rzp-live/pay-upi-1', '/payments/upi-config/never-sent']) {
      const res = await t.get(path, { headers: key() });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body.error).toMatchObject({ code: 100, error_data: { details: expect.stringContaining('reference_id') } });
    }
  });

  it('only an order this number sent to that user can be paid: unknown, another user, another number, Brazil, bad bodies', async () => {
    await send(singaporeOrder('pay-sg-2'), OTHER);
    const cases: [string, unknown, Record<string, string>, number, string][] = [
      ['unknown reference', { reference_id: 'no-such-order', status: 'captured' }, key(), 404, 'reference_id'],
      ['another user', { reference_id: 'pay-sg-2', status: 'captured', from: WA }, key(), 404, 'reference_id'],
      ["another number's key", { reference_id: 'pay-sg-2', status: 'captured' }, onpremKey, 404, 'reference_id'],
      ['status refunded', { reference_id: 'pay-sg-2', status: 'refunded' }, key(), 400, 'status'],
      ['reference_id with a space', { reference_id: 'pay sg', status: 'captured' }, key(), 400, 'reference_id'],
      ['error on a captured payment', { reference_id: 'pay-sg-2', status: 'captured', error: { code: 'x', reason: 'y' } }, key(), 400, 'error'],
      ['an unknown field', { reference_id: 'pay-sg-2', status: 'captured', amount: 1 }, key(), 400, 'body.amount'],
      ['not an object', ['pay-sg-2'], key(), 400, 'body'],
    ];
    for (const [label, json, headers, status, field] of cases) {
      const res = await pay(json, headers);
      expect({ label, status: res.status }).toEqual({ label, status });
      const details = res.body.error?.error_data?.details ?? res.body.errors?.[0]?.details;
      expect({ label, details }).toMatchObject({ label, details: expect.stringContaining(field) });
    }
    // A Brazilian order is paid outside WhatsApp: no payment webhook to simulate.
    await send(pixOrder('pay-br-1'));
    const br = await pay({ reference_id: 'pay-br-1', status: 'captured' });
    expect(br.status).toBe(400);
    expect(br.body.error.error_data.details).toContain('BRL');
    // Nothing recorded for any of them.
    const rows = await t.deps.db.kysely.selectFrom('sandbox_payments').select('reference_id').where('reference_id', 'in', ['pay-sg-2', 'pay-br-1', 'no-such-order']).execute();
    expect(rows).toEqual([]);
    // The right user pays.
    expect((await pay({ reference_id: 'pay-sg-2', status: 'captured', from: OTHER })).status).toBe(200);
    const [hook] = await cloudPayments('pay-sg-2', 1);
    expect(hook.statuses[0]).toMatchObject({ recipient_id: OTHER, payment: { currency: 'SGD', transaction: { type: 'stripe', status: 'success' } } });
  });

  it('On-Premise: the payment webhook is a top-level statuses array', async () => {
    const res = await t.post('/v1/messages', { headers: onpremKey, json: { to: WA, type: 'interactive', interactive: changed(indiaOrder('pay-op-1'), () => {}) } });
    expect(res.status, res.text).toBe(201);
    const id = res.body.messages[0].id;
    expect((await pay({ reference_id: 'pay-op-1', status: 'captured' }, onpremKey)).status).toBe(200);
    const body = await receiver.waitForBody('the On-Premise payment webhook', (bodies) => bodies.find((b) => b.statuses?.[0]?.type === 'payment' && b.statuses[0].payment.reference_id === 'pay-op-1'));
    expect(body.entry).toBeUndefined();
    expect(body.statuses[0]).toMatchObject({ id, recipient_id: WA, type: 'payment', status: 'captured', payment: { reference_id: 'pay-op-1', amount: { value: 51800, offset: 100 }, currency: 'INR', transaction: { type: 'razorpay', status: 'success' } } });
  });
});
