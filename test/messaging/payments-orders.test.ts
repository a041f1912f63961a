// The Payments API's interactive messages (validate/types/interactive-payments.ts) over real
// HTTP in both flavours: an order_details message of each market (India by gateway and by UPI
// intent, Singapore by Stripe, Brazil by Pix, boleto and payment link) and an order_status
// message are accepted and stored; each rule of the pages answers 400 in the flavour's error
// body naming the field, and nothing is stored.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { boletoOrder, changed, fixtureRequest, indiaOrder, linkFixtureConfigurations, orderStatus, pixOrder, singaporeOrder, upiOrder } from './payments-fixtures.ts';

const ADMIN = 'd'.repeat(32);
const WA = '919800000001';
const P = 'interactive.action.parameters';

/** [label, message, the field the refusal names, Meta's code]. */
const REFUSED: [string, unknown, string, number?][] = [
  ['reference_id of 36 characters', changed(indiaOrder(), (p) => (p.reference_id = 'r'.repeat(36))), `${P}.reference_id`],
  ['reference_id with a space', changed(indiaOrder(), (p) => (p.reference_id = 'order 1')), `${P}.reference_id`],
  ['reference_id missing', changed(indiaOrder(), (p) => delete p.reference_id), `${P}.reference_id`],
  ['type services', changed(indiaOrder(), (p) => (p.type = 'services')), `${P}.type`],
  ['currency USD', changed(indiaOrder(), (p) => (p.currency = 'USD')), `${P}.currency`],
  ['an offset of 1000', changed(indiaOrder(), (p) => (p.order.tax.offset = 1000)), `${P}.order.tax.offset`],
  ['a fractional amount', changed(indiaOrder(), (p) => (p.total_amount.value = 518.5)), `${P}.total_amount.value`],
  ['subtotal not the items’ sum', changed(indiaOrder(), (p) => (p.order.subtotal.value = 50000)), `${P}.order.subtotal.value`, 131009],
  ['subtotal from amount, not sale_amount', changed(indiaOrder(), (p) => ((p.order.subtotal.value = 50000), (p.total_amount.value = 61800))), `${P}.order.subtotal.value`, 131009],
  ['total_amount not subtotal + tax + shipping - discount', changed(indiaOrder(), (p) => (p.total_amount.value = 52200)), `${P}.total_amount.value`, 131009],
  ['item name of 61 characters', changed(indiaOrder(), (p) => (p.order.items[0].name = 'n'.repeat(61))), `${P}.order.items[0].name`],
  ['quantity 1.5', changed(indiaOrder(), (p) => (p.order.items[1].quantity = 1.5)), `${P}.order.items[1].quantity`],
  ['quantity 0', changed(indiaOrder(), (p) => (p.order.items[1].quantity = 0)), `${P}.order.items[1].quantity`],
  ['sale_amount not below amount', changed(indiaOrder(), (p) => (p.order.items[0].sale_amount.value = 20000)), `${P}.order.items[0].sale_amount.value`, 131009],
  ['no items', changed(indiaOrder(), (p) => (p.order.items = [])), `${P}.order.items`],
  ['order status processing', changed(indiaOrder(), (p) => (p.order.status = 'processing')), `${P}.order.status`],
  ['expiration not a timestamp', changed(indiaOrder(), (p) => (p.order.expiration.timestamp = 'tomorrow')), `${P}.order.expiration.timestamp`],
  ['tax missing (India)', changed(indiaOrder(), (p) => ((p.total_amount.value = 44600), delete p.order.tax)), `${P}.order.tax`],
  ['order missing (India)', changed(indiaOrder(), (p) => delete p.order), `${P}.order`],
  ['physical goods without catalog_id nor country_of_origin', changed(indiaOrder(), (p) => delete p.order.catalog_id), `${P}.order.items[0].country_of_origin`],
  ['importer_address without its city', changed(indiaOrder(), (p) => {
    delete p.order.catalog_id;
    for (const it of p.order.items) Object.assign(it, { country_of_origin: 'India', importer_name: 'Chai Corner', importer_address: { address_line1: '1 MG Road', zone_code: 'KA', postal_code: '560001', country_code: 'IN' } });
  }), `${P}.order.items[0].importer_address.city`],
  ['stripe for INR', changed(indiaOrder(), (p) => (p.payment_settings[0].payment_gateway.type = 'stripe')), `${P}.payment_settings[0].payment_gateway.type`],
  ['an unknown gateway', changed(indiaOrder(), (p) => (p.payment_settings[0].payment_gateway.type = 'paytm')), `${P}.payment_settings[0].payment_gateway.type`],
  ['configuration_name missing', changed(indiaOrder(), (p) => delete p.payment_settings[0].payment_gateway.configuration_name), `${P}.payment_settings[0].payment_gateway.configuration_name`],
  ['pix for INR', changed(indiaOrder(), (p) => (p.payment_settings = pixOrder().action.parameters.payment_settings)), `${P}.payment_settings[0].type`],
  ['INR without payment_settings nor payment_configuration', changed(indiaOrder(), (p) => delete p.payment_settings), `${P}.payment_settings`],
  ['payment_type br for INR', changed(upiOrder(), (p) => (p.payment_type = 'br')), `${P}.payment_type`],
  ['a razorpay gateway for SGD', changed(singaporeOrder(), (p) => (p.payment_settings[0].payment_gateway.type = 'razorpay')), `${P}.payment_settings[0].payment_gateway.type`],
  ['a pix key_type RANDOM', changed(pixOrder(), (p) => (p.payment_settings[0].pix_dynamic_code.key_type = 'RANDOM')), `${P}.payment_settings[0].pix_dynamic_code.key_type`],
  ['a payment link that is no URL', changed(boletoOrder(), (p) => (p.payment_settings[1].payment_link.uri = 'pay here')), `${P}.payment_settings[1].payment_link.uri`, 131009],
  ['action name review_order in order_details', changed(indiaOrder(), (_p, m) => (m.action.name = 'review_order')), 'interactive.action.name'],
  ['an unknown parameter', changed(indiaOrder(), (p) => (p.tip = 1)), `${P}.tip`],
  ['body missing', changed(indiaOrder(), (_p, m) => delete m.body), 'interactive.body'],
  ['footer of 61 characters', changed(indiaOrder(), (_p, m) => (m.footer.text = 'f'.repeat(61))), 'interactive.footer.text'],
  ['order_status: status lost', orderStatus('order-in-1', 'lost'), `${P}.order.status`],
  ['order_status: a header', changed(orderStatus(), (_p, m) => (m.header = { type: 'text', text: 'Hi' })), 'interactive.header'],
  ['order_status: description of 121 characters', changed(orderStatus(), (p) => (p.order.description = 'd'.repeat(121))), `${P}.order.description`],
  ['order_status: action name review_and_pay', changed(orderStatus(), (_p, m) => (m.action.name = 'review_and_pay')), 'interactive.action.name'],
];

describeEachDb('Payments API order messages: validation in both flavours', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let onpremKey: Record<string, string>;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const cloud = (interactive: unknown) => t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: WA, type: 'interactive', interactive } });
  const onprem = (interactive: unknown) => t.post('/v1/messages', { headers: onpremKey, json: { to: WA, type: 'interactive', interactive } });
  const storedCount = async () => Number((await t.deps.db.kysely.selectFrom('messages').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    p = await t.tenant();
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '919800000900', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    onpremKey = { 'D360-API-KEY': k.body.api_key };
    for (const apiKey of [p.channel_api_key, k.body.api_key]) await linkFixtureConfigurations(fixtureRequest(t, apiKey));
    for (const h of [key(), onpremKey]) expect((await t.post('/sandbox/v1/inbound', { headers: h, json: { from: WA, text: { body: 'I want to order' } } })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  const GOOD: [string, unknown][] = [
    ['India, payment gateway, full order', indiaOrder()],
    ['India, physical goods without a catalog, with origin and importer', changed(indiaOrder('order-in-2'), (p) => {
      delete p.order.catalog_id;
      for (const it of p.order.items) Object.assign(it, { country_of_origin: 'India', importer_name: 'Chai Corner', importer_address: { address_line1: '1 MG Road', city: 'Bengaluru', zone_code: 'KA', postal_code: '560001', country_code: 'IN' } });
    })],
    ['India, UPI intent', upiOrder()],
    ['India, by the JSON text of the action', changed(upiOrder('order-upi-2'), (_p, m) => (m.action = JSON.stringify(m.action)))],
    ['Singapore, Stripe', singaporeOrder()],
    ['Brazil, Pix, no order', pixOrder()],
    ['Brazil, boleto and payment link, no tax', boletoOrder()],
    ['order_status shipped', orderStatus()],
    ['order_status partially-shipped', orderStatus('order-in-1', 'partially-shipped')],
    ['order_status canceled, Brazil payment', changed(orderStatus('order-br-1', 'canceled'), (p) => (p.payment = { status: 'captured', timestamp: 1722445231 }))],
  ];

  it('Cloud: an order_details message of each market and order_status messages are accepted (200, wamid) and stored as sent', async () => {
    for (const [label, interactive] of GOOD) {
      const res = await cloud(interactive);
      expect({ label, status: res.status, body: res.body }).toMatchObject({ label, status: 200, body: { messages: [{ id: expect.stringMatching(/^wamid\./) }] } });
      const row = await t.deps.db.kysely.selectFrom('messages').select(['content']).where('id', '=', res.body.messages[0].id).executeTakeFirstOrThrow();
      const stored = JSON.parse(row.content).interactive;
      expect(stored.type, label).toBe((interactive as { type: string }).type);
      expect(typeof stored.action, label).toBe('object');
    }
  });

  it('On-Premise: the same messages are accepted (201)', async () => {
    for (const [label, interactive] of GOOD) {
      const res = await onprem(interactive);
      expect({ label, status: res.status }).toEqual({ label, status: 201 });
    }
  });

  it("Cloud: each rule refused with 400, Meta's error naming the field, nothing stored", async () => {
    const before = await storedCount();
    for (const [label, interactive, field, code] of REFUSED) {
      const res = await cloud(interactive);
      expect({ label, status: res.status }).toEqual({ label, status: 400 });
      expect({ label, code: res.body.error?.code, details: res.body.error?.error_data?.details }).toMatchObject({ label, code: code ?? 100, details: expect.stringContaining(`${field}:`) });
    }
    expect(await storedCount()).toBe(before);
  });

  it('On-Premise: each rule refused with 400 in the On-Premise error body naming the field', async () => {
    const before = await storedCount();
    for (const [label, interactive, field] of REFUSED) {
      const res = await onprem(interactive);
      expect({ label, status: res.status }).toEqual({ label, status: 400 });
      expect({ label, details: res.body.errors?.[0]?.details }).toMatchObject({ label, details: expect.stringContaining(`${field}:`) });
    }
    expect(await storedCount()).toBe(before);
  });
});
