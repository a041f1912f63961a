// The carousel, the call button and the call permission request over real HTTP, in both
// flavours: accepted with a wamid, stored, and followed by the sandbox's statuses; refused with
// the flavour's error body naming the field; every card header's media id checked (131009). And
// the user's side: a carousel card's quick reply (a button_reply) and the answer to a call
// permission request (call_permission_reply) reach the channel's webhook in Cloud and On-Premise format.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { EXPIRED_MEDIA_ID, MEDIA_ID, seedSendFixtures } from './send-fixtures.ts';

const ADMIN = 'c'.repeat(32);
const body = { text: 'Here are three plants under $25:' };
const qr = (id: string, title: string) => ({ type: 'quick_reply', quick_reply: { id, title } });
const replyCards = (headers: unknown[]) =>
  headers.map((header, i) => ({ card_index: i, header, body: { text: `Plant ${i}` }, action: { buttons: [qr(`learn-${i}`, 'Learn more'), qr(`fav-${i}`, 'Add to favorites')] } }));
const linkHeader = (i: number) => ({ type: 'image', image: { link: `https://cdn.example.com/plant-${i}.jpg` } });
const idHeader = (id: string) => ({ type: 'image', image: { id } });
const carousel = (cards: unknown[]) => ({ type: 'carousel', body, action: { cards } });
const voiceCall = { type: 'voice_call', body: { text: 'Call us on WhatsApp now' }, action: { name: 'voice_call', parameters: { display_text: 'Call on WhatsApp', ttl_minutes: 100, payload: 'support_v2' } } };
const permissionRequest = { type: 'call_permission_request', body: { text: 'May we call you about your order?' }, action: { name: 'call_permission_request' } };

describeEachDb('carousel, voice_call and call permission messages end to end', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let onpremKey: Record<string, string>;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const cloud = (to: string, interactive: unknown) => t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to, type: 'interactive', interactive } });
  const userWrites = async (headers: Record<string, string>, json: Record<string, unknown>) => {
    const res = await t.post('/sandbox/v1/inbound', { headers, json });
    expect(res.status, res.text).toBe(200);
    return res.body.messages[0].id as string;
  };
  const storedCount = async () => Number((await t.deps.db.kysely.selectFrom('messages').select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  /** The Cloud webhook's message (with its contact) for an inbound wamid. */
  const cloudInbound = (id: string) =>
    receiver.waitForBody(`inbound ${id}`, (bodies) => {
      for (const b of bodies) {
        const value = b.entry?.[0]?.changes?.[0]?.value;
        if (value?.messages?.[0]?.id === id) return { message: value.messages[0], contact: value.contacts[0] };
      }
      return undefined;
    });
  /** The statuses the webhook got for a wamid, once `read` has come. */
  const statusesOf = (id: string, onprem = false) =>
    receiver.waitForBody(`read status of ${id}`, (bodies) => {
      const all = bodies.map((b) => (onprem ? b.statuses?.[0] : b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0])).filter((s) => s?.id === id);
      return all.some((s) => s.status === 'read') ? all.map((s) => s.status as string).sort() : undefined;
    });

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms' } });
    p = await t.tenant();
    await seedSendFixtures(t, p, { expiredMedia: true });
    expect((await t.post('/configs/webhook', { headers: key(), json: { url: `${receiver.url}/cloud` } })).status).toBe(200);
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: '4930123450001', phone_name: 'Legacy' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    onpremKey = { 'D360-API-KEY': k.body.api_key };
    expect((await t.post('/v1/configs/webhook', { headers: onpremKey, json: { url: `${receiver.url}/onprem` } })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('Cloud: a carousel (by link and by uploaded id), a call button and a permission request: 200 with a wamid, stored, sent → delivered → read', async () => {
    const wa = '4917600000501';
    await userWrites(key(), { from: wa, text: { body: 'show me plants' } });
    const sends: [string, unknown][] = [
      ['carousel by link', carousel(replyCards([0, 1, 2].map(linkHeader)))],
      ['carousel by id', carousel(replyCards([idHeader(MEDIA_ID), idHeader(MEDIA_ID)]))],
      ['voice_call', voiceCall],
      ['call_permission_request', permissionRequest],
    ];
    for (const [label, interactive] of sends) {
      const res = await cloud(wa, interactive);
      expect({ label, status: res.status, body: res.body }).toMatchObject({ label, status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: wa, wa_id: wa }] } });
      const id = res.body.messages[0].id as string;
      expect(id).toMatch(/^wamid\./);
      const row = await t.deps.db.kysely.selectFrom('messages').select(['type', 'content', 'direction']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.direction).toBe('outbound');
      expect(JSON.parse(row.content)).toMatchObject({ interactive });
      expect(await statusesOf(id), label).toEqual(['delivered', 'read', 'sent']);
    }
    // The sandbox's own view of the channel's messages shows the stored carousel.
    const listed = await t.get('/sandbox/v1/messages', { headers: key(), query: { wa_id: wa } });
    const carousels = listed.body.messages.filter((m: any) => m.content.interactive?.type === 'carousel');
    expect(carousels.map((m: any) => m.content.interactive.action.cards.length).sort()).toEqual([2, 3]);
  });

  it('On-Premise: the same messages are accepted (201) and their statuses come in On-Premise format', async () => {
    const wa = '4917600000502';
    await userWrites(onpremKey, { from: wa, text: { body: 'hallo' } });
    for (const interactive of [carousel(replyCards([0, 1].map(linkHeader))), voiceCall, permissionRequest]) {
      const res = await t.post('/v1/messages', { headers: onpremKey, json: { recipient_type: 'individual', to: wa, type: 'interactive', interactive } });
      expect(res.status, res.text).toBe(201);
      expect(res.body).toMatchObject({ contacts: [{ wa_id: wa }], messages: [{ id: expect.any(String) }], meta: { api_status: 'stable' } });
      expect(await statusesOf(res.body.messages[0].id, true)).toEqual(['delivered', 'read', 'sent']);
    }
    // A carousel card header with a provider: On-Premise media take one.
    const provided = carousel([linkHeader(0), { type: 'image', image: { link: 'https://cdn.example.com/p.jpg', provider: { name: 'cdn' } } }].map((h, i) => ({ card_index: i, header: h, action: { name: 'cta_url', parameters: { display_text: 'Shop', url: 'https://shop.example.com' } } })));
    expect((await t.post('/v1/messages', { headers: onpremKey, json: { to: wa, type: 'interactive', interactive: provided } })).status).toBe(201);
  });

  it("every card header's media id is checked: a missing or expired one answers 131009 naming it, and nothing is stored", async () => {
    const wa = '4917600000503';
    const before = await storedCount();
    const missing = await cloud(wa, carousel(replyCards([idHeader(MEDIA_ID), idHeader('900000000000777')])));
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 131009, message: '(#131009) Parameter value is not valid', error_data: { details: expect.stringContaining('media id 900000000000777 (in interactive) does not exist') } });
    const expired = await cloud(wa, carousel(replyCards([idHeader(EXPIRED_MEDIA_ID), idHeader(MEDIA_ID)])));
    expect(expired.status).toBe(400);
    expect(expired.body.error).toMatchObject({ code: 131009, error_data: { details: expect.stringContaining(EXPIRED_MEDIA_ID) } });
    // Another channel's upload is not this one's.
    const onprem = await t.post('/v1/messages', { headers: onpremKey, json: { to: wa, type: 'interactive', interactive: carousel(replyCards([idHeader(MEDIA_ID), linkHeader(1)])) } });
    expect(onprem.status).toBe(400);
    expect(onprem.body.errors[0]).toMatchObject({ details: expect.stringContaining(MEDIA_ID) });
    expect(await storedCount()).toBe(before);
  });

  it("limits violated: 400 in each flavour's error body naming the field, nothing stored", async () => {
    const wa = '4917600000504';
    const before = await storedCount();
    const one = await cloud(wa, carousel(replyCards([linkHeader(0)])));
    expect(one.status).toBe(400);
    expect(one.body.error).toMatchObject({ code: 100, type: 'OAuthException', error_data: { messaging_product: 'whatsapp', details: 'interactive.action.cards: must have at least 2 items' } });
    const mixed = await cloud(wa, carousel(replyCards([linkHeader(0), { type: 'video', video: { link: 'https://cdn.example.com/v.mp4' } }])));
    expect(mixed.body.error.error_data.details).toMatch(/^interactive\.action\.cards\[1\]\.header\.type: must be "image" like the first card's/);
    const ttl = await cloud(wa, { ...voiceCall, action: { name: 'voice_call', parameters: { ttl_minutes: 50000 } } });
    expect(ttl.body.error.error_data.details).toBe('interactive.action.parameters.ttl_minutes: must be between 1 and 43200 (got 50000)');
    const footer = await t.post('/v1/messages', { headers: onpremKey, json: { to: wa, type: 'interactive', interactive: { ...permissionRequest, footer: { text: 'x' } } } });
    expect(footer.status).toBe(400);
    expect(footer.body).toMatchObject({ errors: [{ details: 'interactive.footer: is not allowed for call_permission_request messages' }], meta: { api_status: 'stable' } });
    const text = await t.post('/v1/messages', { headers: onpremKey, json: { to: wa, type: 'interactive', interactive: { ...voiceCall, action: { name: 'voice_call', parameters: { display_text: 'x'.repeat(21) } } } } });
    expect(text.body.errors[0].details).toBe('interactive.action.parameters.display_text: must be at most 20 characters (got 21)');
    expect(await storedCount()).toBe(before);
  });

  it("a carousel card's quick reply comes back as a button_reply replying to the carousel", async () => {
    const wa = '4917600000505';
    await userWrites(key(), { from: wa, text: { body: 'hi' } });
    const sent = await cloud(wa, carousel(replyCards([0, 1].map(linkHeader))));
    const carouselId = sent.body.messages[0].id as string;
    const id = await userWrites(key(), { from: wa, type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'fav-1', title: 'Add to favorites' } }, context: { message_id: carouselId } });
    const { message } = await cloudInbound(id);
    expect(message).toMatchObject({ type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'fav-1', title: 'Add to favorites' } }, context: { from: p.phone_number, id: carouselId } });
  });

  it('the answer to a call permission request reaches the webhook as a call_permission_reply (Cloud)', async () => {
    const wa = '4917600000506';
    await userWrites(key(), { from: wa, text: { body: 'hi' } });
    const request = (await cloud(wa, permissionRequest)).body.messages[0].id as string;
    const before = Math.floor(Date.now() / 1000);
    const temporary = await userWrites(key(), { from: wa, type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept' } }, context: { message_id: request } });
    const { message, contact } = await cloudInbound(temporary);
    expect(contact).toMatchObject({ wa_id: wa });
    expect(message).toMatchObject({ from: wa, type: 'interactive', context: { id: request }, interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: false, response_source: 'user_action' } } });
    const expiry = message.interactive.call_permission_reply.expiration_timestamp;
    expect(typeof expiry).toBe('number');
    expect(expiry - before).toBeGreaterThanOrEqual(7 * 24 * 3600 - 5);
    expect(expiry - before).toBeLessThanOrEqual(7 * 24 * 3600 + 5);

    const permanent = await userWrites(key(), { from: wa, type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: true } }, context: { message_id: request } });
    expect((await cloudInbound(permanent)).message.interactive.call_permission_reply).toEqual({ response: 'accept', is_permanent: true, response_source: 'user_action' });
    const rejected = await userWrites(key(), { from: wa, type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'reject' } } });
    expect((await cloudInbound(rejected)).message.interactive).toEqual({ type: 'call_permission_reply', call_permission_reply: { response: 'reject', is_permanent: false, response_source: 'user_action' } });
    // Stored as the user's message, like any other.
    const row = await t.deps.db.kysely.selectFrom('messages').select(['direction', 'type', 'context_id']).where('id', '=', temporary).executeTakeFirstOrThrow();
    expect(row).toEqual({ direction: 'inbound', type: 'interactive', context_id: request });
  });

  it('the answer reaches an On-Premise channel in On-Premise format', async () => {
    const wa = '4917600000507';
    const id = await userWrites(onpremKey, { from: wa, name: 'Otto', type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', response_source: 'automatic' } } });
    const hook = await receiver.waitForBody(`On-Premise inbound ${id}`, (bodies) => bodies.find((b) => b.messages?.[0]?.id === id));
    expect(hook).toEqual({
      contacts: [{ profile: { name: 'Otto' }, wa_id: wa }],
      messages: [
        {
          from: wa,
          id,
          timestamp: expect.stringMatching(/^\d+$/),
          type: 'interactive',
          interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: false, expiration_timestamp: expect.any(Number), response_source: 'automatic' } },
        },
      ],
    });
  });

  it('a malformed answer is a 400 naming the field, and nothing reaches the webhook', async () => {
    const n = receiver.requests.length;
    const cases: [unknown, string][] = [
      [{ type: 'call_permission_reply' }, 'interactive.call_permission_reply: is required'],
      [{ type: 'call_permission_reply', call_permission_reply: { response: 'maybe' } }, 'interactive.call_permission_reply.response: must be "accept" or "reject"'],
      [{ type: 'call_permission_reply', call_permission_reply: { response: 'reject', is_permanent: true } }, 'interactive.call_permission_reply.is_permanent: must be false when the request is rejected'],
      [{ type: 'call_permission_reply', call_permission_reply: { response: 'reject', expiration_timestamp: 1 } }, 'interactive.call_permission_reply.expiration_timestamp: is only given with a temporary acceptance'],
      [{ type: 'permission_reply' }, 'interactive.type: must be one of'],
    ];
    for (const [interactive, details] of cases) {
      const res = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: '4917600000508', type: 'interactive', interactive } });
      expect(res.status, JSON.stringify(interactive)).toBe(400);
      expect(res.body.error.error_data.details).toContain(details);
    }
    await new Promise((r) => setTimeout(r, 150));
    expect(receiver.requests.filter((r) => r.body.includes('4917600000508'))).toHaveLength(0);
    expect(receiver.requests.length).toBeGreaterThanOrEqual(n);
  });
});
