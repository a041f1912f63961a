// What an order_details message is checked against when it is sent (payments/send-check.ts) and the
// importer limits of Meta's pages (validate/types/interactive-payments.ts), over real HTTP in both
// flavours (POST /messages and POST /v1/messages):
// - an INR order's payment configuration (payment_gateway.configuration_name, UPI intent's
//   payment_configuration) not one of the WABA's, not Active, or another gateway's: the send is
//   accepted (as Meta accepts it) with a warn log line, and paying the order fails: the payment
//   API's answer and webhook are a failed payment whose transaction.error names the problem;
//   another WABA's configuration of that name does not count; Singapore's Stripe name is not
//   looked up;
// - expiration.timestamp at least 300 seconds after the send, by the app's clock;
// - importer_name 200, address lines 100, city 120, country_of_origin 100 characters, a two-letter
//   zone_code, a 6-digit postal_code.
// Nothing refused is stored.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { changed, fixtureRequest, indiaOrder, linkFixtureConfigurations, singaporeOrder, upiOrder } from './payments-fixtures.ts';

const ADMIN = 'e'.repeat(32);
const WA = '919800000002';
const P = 'interactive.action.parameters';
const GW = `${P}.payment_settings[0].payment_gateway.configuration_name`;
const NOW = new Date('2026-07-01T10:00:00.000Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);

/** An India order without a catalog: each item with its origin and importer (overridable). */
const originOrder = (ref: string, importer: Record<string, unknown> = {}, item: Record<string, unknown> = {}) =>
  changed(indiaOrder(ref), (p) => {
    delete p.order.catalog_id;
    for (const it of p.order.items) {
      Object.assign(it, { country_of_origin: 'India', importer_name: 'Chai Corner Imports', ...item });
      it.importer_address = { address_line1: '1 MG Road', address_line2: 'Near the fort', city: 'Mumbai', zone_code: 'MH', postal_code: '400051', country_code: 'IN', ...importer };
    }
  });
const expiring = (ref: string, timestamp: unknown) => changed(indiaOrder(ref), (p) => (p.order.expiration.timestamp = timestamp));

describeEachDb('Payments API order_details: configurations (when paid), expiration and importer limits (when sent)', (kind) => {
  const clock = new ManualClock(NOW);
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let onpremKey: string;
  let receiver: Receiver;
  const cloud = (interactive: unknown, apiKey = p.channel_api_key) =>
    t.post('/messages', { headers: { 'D360-API-KEY': apiKey }, json: { messaging_product: 'whatsapp', to: WA, type: 'interactive', interactive } });
  const onprem = (interactive: unknown) => t.post('/v1/messages', { headers: { 'D360-API-KEY': onpremKey }, json: { to: WA, type: 'interactive', interactive } });
  const storedCount = async () => Number((await t.deps.db.kysely.selectFrom('messages').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  /** Both flavours refuse it: 400, code 131009 (or `code`), details naming the field and saying `says`; nothing stored. */
  const refused = async (label: string, interactive: unknown, field: string, says: RegExp, code = 131009) => {
    const before = await storedCount();
    const c = await cloud(interactive);
    expect({ label, status: c.status, code: c.body.error?.code }).toEqual({ label, status: 400, code });
    expect(c.body.error.error_data.details, label).toMatch(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: `));
    expect(c.body.error.error_data.details, label).toMatch(says);
    // On-Premise's own number for a bad value (errors.ts): 1009, for 131009 and 100 alike here.
    const o = await onprem(interactive);
    expect({ label, status: o.status, code: o.body.errors?.[0]?.code }).toEqual({ label, status: 400, code: 1009 });
    expect(o.body.errors[0].details, label).toMatch(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: `));
    expect(await storedCount(), label).toBe(before);
  };
  /** The app's warn lines (pino JSON) about orders' payment configurations. */
  const warnings = () =>
    t.logs
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('payment configuration the user cannot pay through'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const payCloud = (ref: string, status: string) => t.post('/sandbox/v1/payments', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { reference_id: ref, status } });
  /** The Cloud webhook's payment statuses of a reference, once one has come. */
  const paymentWebhook = (ref: string) =>
    receiver.waitForBody(`the payment webhook of ${ref}`, (bodies) =>
      bodies.map((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]).find((st) => st?.type === 'payment' && st.payment?.reference_id === ref),
    );
  /**
   * Both flavours accept it (as Meta does); the user's payment, asked to capture, fails: the API's
   * answer and the Cloud webhook are Meta's failed payment, transaction.error {code, reason} naming
   * the configuration's problem.
   */
  const acceptedThenFails = async (label: string, interactive: unknown, code: string, reason: RegExp, txType: string) => {
    await accepted(label, interactive);
    const ref = (interactive as { action: { parameters: { reference_id: string } } }).action.parameters.reference_id;
    const res = await payCloud(ref, 'captured');
    expect({ label, status: res.status }).toEqual({ label, status: 200 });
    expect(res.body, label).toMatchObject({ reference_id: ref, status: 'failed', transaction: { status: 'failed', type: txType, error: { code } } });
    expect(res.body.transaction.error.reason, label).toMatch(reason);
    const hook = await paymentWebhook(ref);
    expect(hook, label).toMatchObject({ type: 'payment', status: 'failed', recipient_id: WA, payment: { reference_id: ref, currency: 'INR', transaction: { status: 'failed', error: { code } } } });
    expect(hook.payment.transaction.error.reason, label).toMatch(reason);
    // Every later attempt fails the same way.
    expect((await payCloud(ref, 'pending')).body, label).toMatchObject({ status: 'failed', transaction: { error: { code } } });
  };
  const accepted = async (label: string, interactive: unknown) => {
    const c = await cloud(interactive);
    expect({ label, status: c.status, body: c.body }).toMatchObject({ label, status: 200, body: { messages: [{ id: expect.stringMatching(/^wamid\./) }] } });
    const o = await onprem(interactive);
    expect({ label, status: o.status, body: o.body }).toMatchObject({ label, status: 201 });
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { clock, dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    p = await t.tenant();
    other = await t.tenant();
    expect((await t.post('/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: receiver.url } })).status).toBe(200);
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '919800000902', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    onpremKey = (await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) })).body.api_key;
    for (const k of [p.channel_api_key, onpremKey, other.channel_api_key]) {
      expect((await t.post('/sandbox/v1/inbound', { headers: { 'D360-API-KEY': k }, json: { from: WA, text: { body: 'I want to order' } } })).status).toBe(200);
    }
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('an INR order naming a configuration its WABA does not have is accepted, logged, and paying it fails with that reason; another WABA’s of that name notwithstanding', async () => {
    // The other tenant's WABA has rzp-live and upi-config, Active: they are not this number's.
    await linkFixtureConfigurations(fixtureRequest(t, other.channel_api_key));
    expect((await cloud(indiaOrder('other-in-1'), other.channel_api_key)).status).toBe(200);
    await acceptedThenFails('gateway configuration unknown', indiaOrder('cfg-in-1'), 'payment_configuration_not_found', /No payment configuration named "rzp-live" exists on this WhatsApp Business Account/, 'razorpay');
    expect(warnings()).toContainEqual(expect.objectContaining({ level: 40, field: GW, configuration_name: 'rzp-live', problem: 'payment_configuration_not_found' }));
    await acceptedThenFails('UPI payment_configuration unknown', upiOrder('cfg-upi-1'), 'payment_configuration_not_found', /No payment configuration named "upi-config" exists/, 'upi');
    expect(warnings()).toContainEqual(expect.objectContaining({ field: `${P}.payment_configuration`, configuration_name: 'upi-config' }));
    // The other tenant's order pays.
    const paid = await t.post('/sandbox/v1/payments', { headers: { 'D360-API-KEY': other.channel_api_key }, json: { reference_id: 'other-in-1', status: 'captured' } });
    expect({ status: paid.status, pay: paid.body.status }).toEqual({ status: 200, pay: 'captured' });
  });

  it('a gateway configuration not yet connected (Needs_Connecting): the order is accepted and paying it fails; once its OAuth link is opened a new order pays', async () => {
    const created = await t.post('/payment_configuration', {
      headers: { 'D360-API-KEY': p.channel_api_key },
      json: { configuration_name: 'rzp-live', provider_name: 'razorpay', purpose_code: '00', merchant_category_code: '5999' },
    });
    expect(created.status, created.text).toBe(200);
    await acceptedThenFails('Needs_Connecting', indiaOrder('cfg-in-2'), 'payment_configuration_inactive', /Payment configuration "rzp-live" is Needs_Connecting, not Active/, 'razorpay');
    const u = new URL(created.body.oauth_url);
    expect((await t.get(u.pathname + u.search)).status).toBeLessThan(400);
    const before = warnings().length;
    await accepted('Active gateway configuration', indiaOrder('cfg-in-3'));
    expect(warnings()).toHaveLength(before);
    expect((await payCloud('cfg-in-3', 'captured')).body).toMatchObject({ status: 'captured', transaction: { status: 'success' } });
    // The configuration is looked up when the user pays: cfg-in-2, sent while it was not connected, now pays too.
    expect((await payCloud('cfg-in-2', 'captured')).body).toMatchObject({ status: 'captured', transaction: { status: 'success' } });
  });

  it("a configuration of another gateway, or a UPI one named as a gateway's: accepted, and paying it fails", async () => {
    await linkFixtureConfigurations(fixtureRequest(t, p.channel_api_key));
    await acceptedThenFails('payu naming a razorpay configuration', changed(indiaOrder('cfg-in-4'), (q) => (q.payment_settings[0].payment_gateway = { type: 'payu', configuration_name: 'rzp-live' })), 'payment_configuration_mismatch', /"rzp-live" is a razorpay configuration, not payu/, 'payu');
    await acceptedThenFails('razorpay naming a UPI configuration', changed(indiaOrder('cfg-in-5'), (q) => (q.payment_settings[0].payment_gateway.configuration_name = 'upi-config')), 'payment_configuration_mismatch', /"upi-config" is a UPI \(upi_vpa\) configuration, not razorpay/, 'razorpay');
    await accepted('UPI intent with its Active configuration', upiOrder('cfg-upi-2'));
    expect((await payCloud('cfg-upi-2', 'captured')).body.status).toBe('captured');
    // Singapore's Stripe account is linked in WhatsApp Manager, not by these edges: its name is not looked up.
    await accepted('Singapore, Stripe', singaporeOrder('cfg-sg-1'));
    expect((await payCloud('cfg-sg-1', 'captured')).body.status).toBe('captured');
  });

  it('expiration.timestamp must be at least 300 seconds after the send, by the app’s clock', async () => {
    await refused('expiring in 299 seconds', expiring('exp-1', String(NOW_S + 299)), `${P}.order.expiration.timestamp`, new RegExp(`at least 300 seconds after the message is sent: ${NOW_S + 300} or later \\(got ${NOW_S + 299}\\)`));
    await refused('already expired', expiring('exp-2', NOW_S - 60), `${P}.order.expiration.timestamp`, /at least 300 seconds/);
    await accepted('expiring in 300 seconds (a string)', expiring('exp-3', String(NOW_S + 300)));
    await accepted('expiring in a day (a number)', expiring('exp-4', NOW_S + 86400));
    // The same timestamp, once the clock has moved on, is too close.
    clock.advance(60_000);
    await refused('300 seconds ahead of a minute ago', expiring('exp-5', String(NOW_S + 300)), `${P}.order.expiration.timestamp`, /at least 300 seconds/);
  });

  it('importer fields within the limits of Meta’s pages are accepted at their limits, and refused beyond them (code 100 naming the field)', async () => {
    const I = `${P}.order.items[0]`;
    await linkFixtureConfigurations(fixtureRequest(t, p.channel_api_key));
    await accepted('every importer field at its limit', originOrder('imp-ok', { address_line1: 'a'.repeat(100), address_line2: 'b'.repeat(100), city: 'c'.repeat(120), zone_code: 'ka' }, { importer_name: 'n'.repeat(200), country_of_origin: 'o'.repeat(100) }));
    const CASES: [string, unknown, string][] = [
      ['importer_name of 201', originOrder('imp-1', {}, { importer_name: 'n'.repeat(201) }), `${I}.importer_name`],
      ['country_of_origin of 101', originOrder('imp-2', {}, { country_of_origin: 'o'.repeat(101) }), `${I}.country_of_origin`],
      ['address_line1 of 101', originOrder('imp-3', { address_line1: 'a'.repeat(101) }), `${I}.importer_address.address_line1`],
      ['address_line2 of 101', originOrder('imp-4', { address_line2: 'b'.repeat(101) }), `${I}.importer_address.address_line2`],
      ['city of 121', originOrder('imp-5', { city: 'c'.repeat(121) }), `${I}.importer_address.city`],
      ['zone_code spelled out', originOrder('imp-6', { zone_code: 'Maharashtra' }), `${I}.importer_address.zone_code`],
      ['zone_code with a digit', originOrder('imp-7', { zone_code: 'M1' }), `${I}.importer_address.zone_code`],
      ['postal_code of 5 digits', originOrder('imp-8', { postal_code: '40005' }), `${I}.importer_address.postal_code`],
      ['postal_code with letters', originOrder('imp-9', { postal_code: '40005A' }), `${I}.importer_address.postal_code`],
    ];
    for (const [label, interactive, field] of CASES) await refused(label, interactive, field, /./, 100);
  });
});
