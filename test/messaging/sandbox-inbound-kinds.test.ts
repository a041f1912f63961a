// What else a simulated user's message may be (POST /sandbox/v1/inbound): an unsupported message
// with Meta's errors, a click-to-WhatsApp referral, a forwarded message or a product question, a
// system notice of a changed number (without contacts), and a cart (order); each in the Cloud
// webhook as Meta's reference shows it, and refused with a 400 naming the field when malformed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const ADMIN = 'admin-token-inbound-kinds-0123456789ab';
const CLID = 'ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4';

describeEachDb('sandbox inbound: referral, forwarded, product questions, orders, unsupported and system messages', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let onprem: Receiver;
  let onpremKey: string;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const inbound = (json: unknown, headers = key()) => t.post('/sandbox/v1/inbound', { headers, json });
  /** The Cloud webhook's `value` carrying an inbound wamid. */
  const delivered = (id: string) =>
    receiver.waitForBody(`message ${id}`, (bodies) => {
      for (const b of bodies) {
        const value = b.entry?.[0]?.changes?.[0]?.value;
        if (value?.messages?.[0]?.id === id) return value;
      }
      return undefined;
    });
  const user = async (waId: string) => ((await t.get('/sandbox/v1/users', { headers: key() })).body.users as { wa_id: string; window_open: boolean; name: string }[]).find((u) => u.wa_id === waId);

  beforeAll(async () => {
    receiver = await new Receiver().start();
    onprem = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN } });
    p = await t.tenant();
    expect((await t.post('/configs/webhook', { headers: key(), json: { url: `${receiver.url}/wh` } })).status).toBe(200);
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4915199990042', phone_name: 'On-Prem shop' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    expect(k.status, k.text).toBe(201);
    onpremKey = k.body.api_key;
    expect((await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': onpremKey }, json: { url: `${onprem.url}/wh` } })).status).toBeLessThan(300);
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
    await onprem.close();
  });

  it("an unsupported message carries Meta's errors and unsupported.type; it opens the window", async () => {
    const res = await inbound({ from: '4917600000401', name: 'Una', type: 'unsupported', unsupported: { type: 'poll_creation' } });
    expect(res.status, res.text).toBe(200);
    const value = await delivered(res.body.messages[0].id);
    expect(value.contacts[0]).toMatchObject({ profile: { name: 'Una' }, wa_id: '4917600000401' });
    expect(value.messages[0]).toMatchObject({
      from: '4917600000401',
      id: res.body.messages[0].id,
      timestamp: expect.stringMatching(/^\d+$/),
      type: 'unsupported',
      unsupported: { type: 'poll_creation' },
      errors: [{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', error_data: { details: 'Message type is currently not supported.' } }],
    });
    expect((await user('4917600000401'))?.window_open).toBe(true);
    // Defaults, and the other code Meta documents.
    const bare = await inbound({ from: '4917600000401', type: 'unsupported' });
    expect((await delivered(bare.body.messages[0].id)).messages[0]).toMatchObject({ unsupported: { type: 'unknown' }, errors: [{ code: 131051 }] });
    const gone = await inbound({ from: '4917600000401', type: 'unsupported', unsupported: { code: 131060 } });
    expect((await delivered(gone.body.messages[0].id)).messages[0].errors[0]).toMatchObject({ code: 131060, title: 'This message is currently unavailable.' });
  });

  it('a referral from an ad rides on the message, opens the window, and its ctwa_clid is what the Conversions API takes', async () => {
    const referral = {
      source_url: 'https://fb.me/3cr4Wqqkq',
      source_id: '120200000000000001',
      source_type: 'ad',
      headline: 'Spring sale',
      body: '20% off all shoes',
      media_type: 'video',
      video_url: 'https://video.example.com/ad.mp4',
      thumbnail_url: 'https://video.example.com/ad.jpg',
      ctwa_clid: CLID,
      welcome_message: { text: 'Hi! How can we help?' },
    };
    const res = await inbound({ from: '4917600000402', name: 'Rafa', type: 'text', text: { body: 'Is this still on?' }, referral });
    expect(res.status, res.text).toBe(200);
    const value = await delivered(res.body.messages[0].id);
    expect(value.contacts[0].wa_id).toBe('4917600000402');
    expect(value.messages[0]).toMatchObject({ type: 'text', text: { body: 'Is this still on?' }, referral });
    expect((await user('4917600000402'))?.window_open).toBe(true);
    // An image ad's referral on an order; a post has no media.
    const img = { source_url: 'https://fb.me/post1', source_id: '99', source_type: 'post', media_type: 'image', image_url: 'https://img.example.com/a.jpg' };
    const order = await inbound({ from: '4917600000402', type: 'order', order: { catalog_id: '1234', product_items: [{ product_retailer_id: 'sku-1', quantity: 1, item_price: 9.5, currency: 'EUR' }] }, referral: img });
    expect(order.status, order.text).toBe(200);
    expect((await delivered(order.body.messages[0].id)).messages[0].referral).toEqual(img);
    // The clid goes to the Conversions API as it came.
    const dataset = await t.post('/dataset', { headers: key(), json: {} });
    expect(dataset.status, dataset.text).toBe(200);
    const waba = await t.deps.db.kysely.selectFrom('waba_conversion_datasets').select('waba_account_id').where('dataset_id', '=', dataset.body.id).executeTakeFirstOrThrow();
    const now = Math.floor(t.deps.clock.now().getTime() / 1000);
    const ev = await t.post(`/dataset/${dataset.body.id}/events`, {
      headers: key(),
      json: { data: [{ event_name: 'LeadSubmitted', event_time: now - 5, action_source: 'business_messaging', messaging_channel: 'whatsapp', user_data: { whatsapp_business_account_id: waba.waba_account_id, ctwa_clid: value.messages[0].referral.ctwa_clid } }] },
    });
    expect(ev.status, ev.text).toBe(200);
  });

  it('context: forwarded and frequently_forwarded alone; a product question with the product message and referred_product', async () => {
    const fwd = await inbound({ from: '4917600000403', type: 'text', text: { body: 'look at this' }, context: { forwarded: true } });
    expect(fwd.status, fwd.text).toBe(200);
    expect((await delivered(fwd.body.messages[0].id)).messages[0].context).toEqual({ forwarded: true });
    const often = await inbound({ from: '4917600000403', type: 'image', image: { id: 'x' }, context: { frequently_forwarded: true } });
    // The image must be an upload: the context was taken, the media refused.
    expect(often.status).toBe(400);
    expect(often.body.error.error_data.details).toContain('image.id');
    const often2 = await inbound({ from: '4917600000403', text: { body: 'chain letter' }, context: { forwarded: true, frequently_forwarded: true } });
    expect((await delivered(often2.body.messages[0].id)).messages[0].context).toEqual({ forwarded: true, frequently_forwarded: true });
    const q = await inbound({ from: '4917600000403', text: { body: 'Does it come in blue?' }, context: { message_id: 'wamid.product-1', referred_product: { catalog_id: '1234', product_retailer_id: 'sku-9' } } });
    expect(q.status, q.text).toBe(200);
    expect((await delivered(q.body.messages[0].id)).messages[0].context).toEqual({ from: p.phone_number, id: 'wamid.product-1', referred_product: { catalog_id: '1234', product_retailer_id: 'sku-9' } });
  });

  it('an order: catalog_id, text and product_items as Meta delivers them', async () => {
    const order = { catalog_id: '1234567890', text: 'For Saturday please', product_items: [{ product_retailer_id: 'sku-1', quantity: 2, item_price: 12.5, currency: 'USD' }, { product_retailer_id: 'sku-2', quantity: 1, item_price: 3, currency: 'USD' }] };
    const res = await inbound({ from: '4917600000404', name: 'Olga', type: 'order', order });
    expect(res.status, res.text).toBe(200);
    const value = await delivered(res.body.messages[0].id);
    expect(value.contacts[0]).toMatchObject({ profile: { name: 'Olga' }, wa_id: '4917600000404' });
    expect(value.messages[0]).toMatchObject({ type: 'order', order });
    expect((await user('4917600000404'))?.window_open).toBe(true);
  });

  it('a system message of a changed number: no contacts array, the new wa_id and BSUIDs, no window opened, the user not moved', async () => {
    const first = await inbound({ from: '4917600000405', name: 'Sven', text: { body: 'hi' } });
    await delivered(first.body.messages[0].id);
    const res = await inbound({ from: '4917600000405', type: 'system', system: { type: 'user_changed_number', wa_id: '4917600000495' } });
    expect(res.status, res.text).toBe(200);
    const value = await delivered(res.body.messages[0].id);
    expect(value).not.toHaveProperty('contacts');
    expect(value.messages[0]).toMatchObject({
      from: '4917600000405',
      type: 'system',
      system: { body: 'User Sven changed from 4917600000405 to 4917600000495', wa_id: '4917600000495', type: 'user_changed_number', user_id: expect.any(String), previous_user_id: expect.any(String) },
    });
    expect(value.messages[0].system.user_id).not.toBe(value.messages[0].system.previous_user_id);
    // The old number keeps its user (and window); the new number is nobody until it writes.
    expect((await user('4917600000405'))?.name).toBe('Sven');
    expect(await user('4917600000495')).toBeUndefined();
    // A system message alone opens no window.
    const fresh = await inbound({ from: '4917600000406', type: 'system', system: { wa_id: '4917600000496' } });
    expect(fresh.status, fresh.text).toBe(200);
    expect((await delivered(fresh.body.messages[0].id)).messages[0].system.body).toBe('User User 0406 changed from 4917600000406 to 4917600000496');
    expect((await user('4917600000406'))?.window_open).toBe(false);
  });

  it('malformed bodies: 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ type: 'text', text: { body: 'x' }, context: { forwarded: 'yes' } }, 'context.forwarded: must be true or false'],
      [{ type: 'text', text: { body: 'x' }, context: { forwarded: false } }, 'context.forwarded: must be true'],
      [{ type: 'text', text: { body: 'x' }, context: { forwarded: true, message_id: 'wamid.x' } }, 'context: a forwarded message carries'],
      [{ type: 'text', text: { body: 'x' }, context: { reply_to: 'wamid.x' } }, 'context.reply_to: is not a known field'],
      [{ type: 'text', text: { body: 'x' }, context: { referred_product: { catalog_id: '1', product_retailer_id: 's' } } }, 'context.message_id: is required'],
      [{ type: 'text', text: { body: 'x' }, context: { message_id: 'w', referred_product: { catalog_id: 1, product_retailer_id: 's' } } }, 'context.referred_product.catalog_id: must be a string'],
      [{ type: 'text', text: { body: 'x' }, referral: { source_url: 'https://x.example', source_id: '1', source_type: 'banner' } }, 'referral.source_type: must be one of ad, post'],
      [{ type: 'text', text: { body: 'x' }, referral: { source_url: 'ftp://x', source_id: '1', source_type: 'ad' } }, 'referral.source_url'],
      [{ type: 'text', text: { body: 'x' }, referral: { source_id: '1', source_type: 'ad' } }, 'referral.source_url: is required'],
      [{ type: 'text', text: { body: 'x' }, referral: { source_url: 'https://x.example', source_id: '1', source_type: 'ad', media_type: 'image' } }, 'referral.image_url: is required'],
      [{ type: 'text', text: { body: 'x' }, referral: { source_url: 'https://x.example', source_id: '1', source_type: 'ad', media_type: 'image', image_url: 'https://i', video_url: 'https://v' } }, 'referral.video_url: goes with media_type "video"'],
      [{ type: 'text', text: { body: 'x' }, referral: { source_url: 'https://x.example', source_id: '1', source_type: 'ad', ctwa_clid: 'not a clid' } }, 'referral.ctwa_clid'],
      [{ type: 'text', text: { body: 'x' }, referral: { source_url: 'https://x.example', source_id: '1', source_type: 'ad', headline: 'h'.repeat(1025) } }, 'referral.headline: must be at most 1024'],
      [{ type: 'text', text: { body: 'x' }, referral: 'ad' }, 'referral: must be an object'],
      [{ type: 'order', order: { catalog_id: '1', product_items: [] } }, 'order.product_items: must have at least 1 item'],
      [{ type: 'order', order: { catalog_id: '1', product_items: [{ product_retailer_id: 's', quantity: 1.5, item_price: 1, currency: 'USD' }] } }, 'order.product_items[0].quantity: must be a whole number'],
      [{ type: 'order', order: { catalog_id: '1', product_items: [{ product_retailer_id: 's', quantity: 1, item_price: -1, currency: 'USD' }] } }, 'order.product_items[0].item_price: must be at least 0'],
      [{ type: 'order', order: { catalog_id: '1', product_items: [{ product_retailer_id: 's', quantity: 1, item_price: 1, currency: 'usd' }] } }, 'order.product_items[0].currency'],
      [{ type: 'order', order: { product_items: [{ product_retailer_id: 's', quantity: 1, item_price: 1, currency: 'USD' }] } }, 'order.catalog_id: is required'],
      [{ type: 'order' }, 'order: is required'],
      [{ type: 'unsupported', unsupported: { code: 500 } }, 'unsupported.code: must be 131051'],
      [{ type: 'unsupported', unsupported: { type: 'Poll Creation' } }, 'unsupported.type'],
      [{ type: 'system', system: { type: 'user_changed_user_id', wa_id: '4917600000499' } }, 'system.type: must be one of user_changed_number'],
      [{ type: 'system', system: { type: 'user_changed_number' } }, 'system.wa_id: is required'],
      [{ type: 'system', system: { wa_id: '4917600000410' } }, 'system.wa_id: must be the new number'],
      [{ type: 'system', name: 'X', system: { wa_id: '4917600000499' } }, 'name: a system message has none'],
      [{ type: 'system', context: { forwarded: true }, system: { wa_id: '4917600000499' } }, 'context: a system message has none'],
      [{ type: 'order', group_id: 'g1', order: {} }, 'group_id: order messages are not sent in groups'],
    ];
    for (const [body, details] of cases) {
      const res = await inbound({ from: '4917600000410', ...(body as object) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.error_data.details, JSON.stringify(body)).toContain(details);
    }
  });

  it('On-Premise: the same message objects in its envelope (system and unsupported as the Meta side passes them)', async () => {
    const H = { 'D360-API-KEY': onpremKey };
    const sent = [
      await inbound({ from: '4917600000420', name: 'Ona', type: 'unsupported', unsupported: { type: 'poll_creation' } }, H),
      await inbound({ from: '4917600000420', type: 'order', order: { catalog_id: '1', product_items: [{ product_retailer_id: 's', quantity: 1, item_price: 1, currency: 'USD' }] }, referral: { source_url: 'https://fb.me/x', source_id: '1', source_type: 'ad', ctwa_clid: CLID } }, H),
      await inbound({ from: '4917600000420', text: { body: 'fw' }, context: { forwarded: true } }, H),
    ];
    for (const r of sent) expect(r.status, r.text).toBe(200);
    const got = (id: string) => onprem.waitForBody(`on-prem ${id}`, (bodies) => bodies.find((b) => b.messages?.[0]?.id === id));
    expect((await got(sent[0]!.body.messages[0].id)).messages[0]).toMatchObject({ type: 'unsupported', errors: [{ code: 131051 }] });
    expect((await got(sent[1]!.body.messages[0].id)).messages[0]).toMatchObject({ type: 'order', referral: { ctwa_clid: CLID } });
    expect((await got(sent[2]!.body.messages[0].id)).messages[0].context).toEqual({ forwarded: true });
  });
});
