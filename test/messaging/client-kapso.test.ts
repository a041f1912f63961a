// A real, unmodified third-party client against openwaba's Graph paths: the npm library
// @kapso/whatsapp-cloud-api 0.3.0 (Kapso's TypeScript client for Meta's WhatsApp Cloud API), built
// with nothing but `new WhatsAppClient({ accessToken: <channel key>, baseUrl: <openwaba> })`. It
// sends `Authorization: Bearer`, Graph paths `/{version}/{id}/…`, bodies converted to snake_case
// (answers back to camelCase), multipart for media and Flow JSON, and reads every non-2xx answer
// as Graph's error envelope into its GraphApiError. Each call it makes to Meta's Cloud API is
// driven below, with what it returns and what openwaba stored.
//
// Not driven, and why:
// - messages.query/get/listByConversation, calls.list/get, conversations.*, contacts.*: the
//   library refuses them (KapsoProxyRequiredError) unless the host is kapso.ai; they are Kapso's.
// - sendInteractiveLocationRequest and sendInteractiveCallPermission: the library adds
//   `action.parameters` ({request_message} / {phone_number, call_purpose}) that Meta documents
//   for neither message (its examples are `"action": {"name": "send_location"}` and
//   `{"name": "call_permission_request"}`); openwaba refuses unknown fields, as it does
//   everywhere, with 400 code 100 naming `interactive.action.parameters`. Kept as is.
// - sendInteractiveProductList: needs a catalog of real products (same path as sendInteractiveProduct).
// - phoneNumbers.settings.update with `fallbackLanguage` alone: not a documented Meta setting;
//   openwaba's POST /settings takes `calling` (driven below).
// - media.download with the library's default auth ("auto"): it fetches the media URL without
//   the token for any host but kapso.ai; Meta's media URLs, like openwaba's, need the token, so
//   a Meta user passes `auth: 'always'` (driven below; the tokenless fetch answers 401).
// - Webhook signatures (`verifySignature`): channel webhooks are unsigned here as at 360dialog.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { GraphApiError, WhatsAppClient, type SendMessageResponse } from '@kapso/whatsapp-cloud-api';
import { normalizeWebhook } from '@kapso/whatsapp-cloud-api/server';
import { describeEachDb } from '../helpers/db.ts';
import { startReplayConversation, storedMessage, type ReplayConversation } from '../helpers/client-replay.ts';
import { channelKey } from '../helpers/app.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, sha256, userWrites } from './media-fixtures.ts';

const WAMID = /^wamid\.[\w=+/-]+$/;
const JANE = '4917612340001';
const SDP = (setup: string) => ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', `a=setup:${setup}`, 'a=rtpmap:111 opus/48000/2', ''].join('\r\n');
/** The library's Flow JSON authoring form: camelCase keys, which it writes as Meta's `on-click-action`. */
const FLOW_JSON = {
  version: '7.0',
  screens: [{ id: 'WELCOME', title: 'Welcome', terminal: true, layout: { type: 'SingleColumnLayout', children: [{ type: 'Footer', label: 'Done', onClickAction: { name: 'complete', payload: {} } }] } }],
};

/** The error a call rejects with, which must be the library's GraphApiError. */
async function graphError(p: Promise<unknown>): Promise<GraphApiError> {
  const e = await p.then(
    (v) => {
      throw new Error(`expected a GraphApiError, got ${JSON.stringify(v)}`);
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(GraphApiError);
  return e as GraphApiError;
}

describeEachDb('@kapso/whatsapp-cloud-api 0.3.0, unmodified, against the Graph paths', (kind) => {
  let c: ReplayConversation;
  let wa: WhatsAppClient;
  let P: string;
  let waba: string;
  let other: BootstrapResult;

  /** A template send's answer carries Meta's message_status, "accepted" in the sandbox (routes/messages.ts). */
  const sent = (r: SendMessageResponse, template = false) => {
    expect(r).toEqual({ messagingProduct: 'whatsapp', contacts: [{ input: JANE, waId: JANE }], messages: [{ id: expect.stringMatching(WAMID), ...(template ? { messageStatus: 'accepted' } : {}) }] });
    return r.messages[0]!.id;
  };
  const stored = (id: string) => storedMessage(c.t, c.p.channel_id, id);
  const count = async () =>
    Number((await c.t.deps.db.kysely.selectFrom('messages').select((e) => e.fn.countAll().as('n')).where('channel_id', '=', c.p.channel_id).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    c = await startReplayConversation(kind, { from: JANE, name: 'Jane', text: 'Hi, is my order on its way?' });
    P = c.phoneId;
    waba = (
      await c.t.deps.db.kysely
        .selectFrom('channels')
        .innerJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
        .select('waba_accounts.external_id')
        .where('channels.id', '=', c.p.channel_id)
        .executeTakeFirstOrThrow()
    ).external_id!;
    other = await c.t.tenant();
    // The whole adaptation: openwaba's origin as baseUrl, the channel's key as the access token.
    wa = new WhatsAppClient({ accessToken: c.p.channel_api_key, baseUrl: c.t.baseUrl, graphVersion: 'v21.0' });
  });
  afterAll(async () => {
    await c?.t.close();
    await c?.receiver.close();
  });

  it('media: upload (multipart) → get metadata → download with the token → delete', async () => {
    const s = SAMPLES.find((x) => x.name === 'photo.jpg')!;
    const up = await wa.media.upload({ phoneNumberId: P, type: 'image/jpeg', file: new Blob([s.data], { type: s.mime }), fileName: s.name });
    expect(up).toEqual({ id: expect.stringMatching(/^\d+$/) });
    const row = await c.t.deps.db.kysely.selectFrom('media').select(['channel_id', 'mime_type', 'sha256', 'file_size']).where('id', '=', up.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ channel_id: c.p.channel_id, mime_type: 'image/jpeg', sha256: sha256(s.data), file_size: s.data.length });

    const meta = await wa.media.get({ mediaId: up.id, phoneNumberId: P });
    expect(meta).toEqual({ messagingProduct: 'whatsapp', id: up.id, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//), mimeType: 'image/jpeg', sha256: sha256(s.data), fileSize: s.data.length });
    // Without the phone number id too (Meta's GET /{media-id}); the URL is signed afresh each time.
    expect(await wa.media.get({ mediaId: up.id })).toEqual({ ...meta, url: expect.stringContaining(`mid=${up.id}`) });

    const bytes = (await wa.media.download({ mediaId: up.id, auth: 'always' })) as ArrayBuffer;
    expect(Buffer.from(bytes).equals(s.data)).toBe(true);
    // The library's default fetches the URL without the token (for any host but kapso.ai): as at
    // Meta, the media URL needs it.
    expect(((await wa.media.download({ mediaId: up.id, as: 'response' })) as Response).status).toBe(401);

    expect(await wa.media.delete({ mediaId: up.id, phoneNumberId: P })).toEqual({ success: true });
    const gone = await graphError(wa.media.get({ mediaId: up.id }));
    expect(gone.httpStatus).toBeGreaterThanOrEqual(400);
    expect(gone.httpStatus).toBeLessThan(500);
  });

  it('messages: text, every media type by id and by link, location, contacts, reaction, template, raw', async () => {
    const photo = SAMPLES.find((x) => x.name === 'photo.jpg')!;
    const sticker = SAMPLES.find((x) => x.name === 'static.webp')!;
    const img = await wa.media.upload({ phoneNumberId: P, type: photo.mime, file: new Uint8Array(photo.data), fileName: photo.name });
    const stk = await wa.media.upload({ phoneNumberId: P, type: sticker.mime, file: new Blob([sticker.data], { type: sticker.mime }), fileName: sticker.name });

    const text = sent(await wa.messages.sendText({ phoneNumberId: P, to: JANE, body: 'Yes, it ships today: https://example.com/t/1', previewUrl: true, contextMessageId: c.inboundId, bizOpaqueCallbackData: 'order-1' }));
    expect(await stored(text)).toMatchObject({ type: 'text', context_id: c.inboundId, content: { body: 'Yes, it ships today: https://example.com/t/1', preview_url: true } });

    const cases: [string, () => Promise<SendMessageResponse>, Record<string, unknown>][] = [
      ['image', () => wa.messages.sendImage({ phoneNumberId: P, to: JANE, image: { id: img.id, caption: 'Your parcel' } }), { id: img.id, caption: 'Your parcel' }],
      ['image', () => wa.messages.sendImage({ phoneNumberId: P, to: JANE, image: { link: 'https://example.com/p.jpg' } }), { link: 'https://example.com/p.jpg' }],
      ['audio', () => wa.messages.sendAudio({ phoneNumberId: P, to: JANE, audio: { link: 'https://example.com/a.ogg', voice: true } }), { link: 'https://example.com/a.ogg', voice: true }],
      ['video', () => wa.messages.sendVideo({ phoneNumberId: P, to: JANE, video: { link: 'https://example.com/v.mp4', caption: 'Unboxing' } }), { link: 'https://example.com/v.mp4', caption: 'Unboxing' }],
      ['document', () => wa.messages.sendDocument({ phoneNumberId: P, to: JANE, document: { link: 'https://example.com/i.pdf', filename: 'invoice.pdf', caption: 'Invoice' } }), { link: 'https://example.com/i.pdf', filename: 'invoice.pdf', caption: 'Invoice' }],
      ['sticker', () => wa.messages.sendSticker({ phoneNumberId: P, to: JANE, sticker: { id: stk.id } }), { id: stk.id }],
      ['sticker', () => wa.messages.sendSticker({ phoneNumberId: P, to: JANE, sticker: { link: 'https://example.com/s.webp' } }), { link: 'https://example.com/s.webp' }],
      ['location', () => wa.messages.sendLocation({ phoneNumberId: P, to: JANE, location: { latitude: 52.52, longitude: 13.405, name: 'Depot', address: 'Alexanderplatz 1' } }), { latitude: 52.52, longitude: 13.405, name: 'Depot', address: 'Alexanderplatz 1' }],
      ['reaction', () => wa.messages.sendReaction({ phoneNumberId: P, to: JANE, reaction: { messageId: c.inboundId, emoji: '👍' } }), { message_id: c.inboundId, emoji: '👍' }],
      ['template', () => wa.messages.sendTemplate({ phoneNumberId: P, to: JANE, template: { name: 'hello_world', language: { code: 'en_US' } } }), { name: 'hello_world', language: { code: 'en_US' } }],
      ['text', () => wa.messages.sendRaw({ phoneNumberId: P, payload: { messaging_product: 'whatsapp', to: JANE, type: 'text', text: { body: 'raw' } } as never }), { body: 'raw' }],
    ];
    for (const [type, send, content] of cases) {
      const id = sent(await send(), type === 'template');
      const row = await stored(id);
      expect(row.type, type).toBe(type);
      expect(row.content, type).toMatchObject(content);
    }

    const card = sent(
      await wa.messages.sendContacts({
        phoneNumberId: P,
        to: JANE,
        contacts: [{ name: { formattedName: 'Otto Support', firstName: 'Otto' }, phones: [{ phone: '+4917612340002', waId: '4917612340002', type: 'WORK' }], emails: [{ email: 'otto@example.com', type: 'WORK' }], org: { company: 'Shop' } }],
      }),
    );
    const row = await c.t.deps.db.kysely.selectFrom('messages').select(['type', 'content']).where('id', '=', card).executeTakeFirstOrThrow();
    expect(row.type).toBe('contacts');
    expect(JSON.parse(row.content).contacts[0]).toMatchObject({ name: { formatted_name: 'Otto Support', first_name: 'Otto' }, phones: [{ phone: '+4917612340002', wa_id: '4917612340002' }] });
  });

  it('interactive messages: buttons, list, cta_url, carousel, flow (below), product, catalog, address, raw', async () => {
    const cases: [string, () => Promise<SendMessageResponse>, Record<string, unknown>][] = [
      [
        'button',
        () => wa.messages.sendInteractiveButtons({ phoneNumberId: P, to: JANE, header: { type: 'image', image: { link: 'https://example.com/h.jpg' } }, bodyText: 'Deliver when?', footerText: 'Reply below', buttons: [{ id: 'am', title: 'Morning' }, { id: 'pm', title: 'Afternoon' }] }),
        { header: { type: 'image', image: { link: 'https://example.com/h.jpg' } }, footer: { text: 'Reply below' }, action: { buttons: [{ type: 'reply', reply: { id: 'am', title: 'Morning' } }, { type: 'reply', reply: { id: 'pm', title: 'Afternoon' } }] } },
      ],
      [
        'list',
        () => wa.messages.sendInteractiveList({ phoneNumberId: P, to: JANE, header: { type: 'text', text: 'Slots' }, bodyText: 'Pick a slot', buttonText: 'Slots', sections: [{ title: 'Monday', rows: [{ id: 'mon-9', title: '9:00', description: 'Morning' }] }] }),
        { action: { button: 'Slots', sections: [{ title: 'Monday', rows: [{ id: 'mon-9', title: '9:00', description: 'Morning' }] }] } },
      ],
      ['cta_url', () => wa.messages.sendInteractiveCtaUrl({ phoneNumberId: P, to: JANE, bodyText: 'Track it', parameters: { displayText: 'Track', url: 'https://example.com/t/1' } }), { action: { name: 'cta_url', parameters: { display_text: 'Track', url: 'https://example.com/t/1' } } }],
      [
        'carousel',
        () =>
          wa.messages.sendInteractiveCarousel({
            phoneNumberId: P,
            to: JANE,
            bodyText: 'Also for you',
            cards: [0, 1].map((i) => ({ cardIndex: i, header: { type: 'image' as const, image: { link: `https://example.com/${i}.jpg` } }, bodyText: `Item ${i}`, action: { displayText: 'Buy', url: `https://example.com/p/${i}` } })),
          }),
        { action: { cards: [{ card_index: 0, type: 'cta_url', action: { name: 'cta_url', parameters: { display_text: 'Buy', url: 'https://example.com/p/0' } } }, { card_index: 1 }] } },
      ],
      ['product', () => wa.messages.sendInteractiveProduct({ phoneNumberId: P, to: JANE, bodyText: 'This one?', catalogId: '1234567890123456', productRetailerId: 'sku-1' }), { action: { catalog_id: '1234567890123456', product_retailer_id: 'sku-1' } }],
      ['catalog_message', () => wa.messages.sendInteractiveCatalogMessage({ phoneNumberId: P, to: JANE, bodyText: 'Our catalog', parameters: { thumbnailProductRetailerId: 'sku-1' } }), { action: { name: 'catalog_message', parameters: { thumbnail_product_retailer_id: 'sku-1' } } }],
      ['address_message', () => wa.messages.sendInteractiveAddress({ phoneNumberId: P, to: JANE, bodyText: 'Where to?', parameters: { country: 'IN' } }), { action: { name: 'address_message', parameters: { country: 'IN' } } }],
      ['button', () => wa.messages.sendInteractiveRaw({ phoneNumberId: P, to: JANE, interactive: { type: 'button', body: { text: 'OK?' }, action: { buttons: [{ type: 'reply', reply: { id: 'ok', title: 'OK' } }] } } }), { body: { text: 'OK?' } }],
    ];
    for (const [type, send, content] of cases) {
      const id = sent(await send());
      const row = await stored(id);
      expect(row.type, type).toBe('interactive');
      expect(row.content, type).toMatchObject({ type, ...content });
    }
  });

  it('mark as read, and with the typing indicator: {success: true}; the message is read and the user sees "typing…"', async () => {
    const later = await userWrites(c.t, c.p.channel_api_key, { from: JANE, name: 'Jane', type: 'text', text: { body: 'Thanks!' } });
    expect(await wa.messages.markRead({ phoneNumberId: P, messageId: later })).toEqual({ success: true });
    expect((await stored(later)).status).toBe('read');
    expect(await wa.messages.markRead({ phoneNumberId: P, messageId: later, typingIndicator: { type: 'text' } })).toEqual({ success: true });
    const users = await c.t.get('/sandbox/v1/users', { headers: channelKey(c.p.channel_api_key) });
    expect(users.body.users.find((u: { wa_id: string }) => u.wa_id === JANE).business_typing_until).toEqual(expect.any(String));
  });

  it('templates: create (positional and named) → list with filters → get (and fields) → send once approved → delete by name and language', async () => {
    const created = await wa.templates.create({
      businessAccountId: waba,
      name: 'kapso_shipped',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Order {{1}} has shipped', example: { body_text: [['A-1']] } }],
    });
    expect(created).toEqual({ id: expect.stringMatching(/^\d+$/), status: 'PENDING', category: 'UTILITY' });
    const named = await wa.templates.create({
      businessAccountId: waba,
      name: 'kapso_welcome',
      language: 'de',
      category: 'MARKETING',
      parameterFormat: 'NAMED',
      allowCategoryChange: true,
      components: [{ type: 'BODY', text: 'Hallo {{first_name}}, willkommen bei uns', example: { body_text_named_params: [{ param_name: 'first_name', example: 'Jane' }] } }],
    });
    expect(named).toMatchObject({ id: expect.stringMatching(/^\d+$/), status: 'PENDING' });
    const rows = await c.t.deps.db.kysely.selectFrom('templates').select(['id', 'name', 'language', 'category']).where('name', 'like', 'kapso_%').orderBy('name').execute();
    expect(rows).toEqual([
      { id: created.id, name: 'kapso_shipped', language: 'en_US', category: 'UTILITY' },
      { id: named.id, name: 'kapso_welcome', language: 'de', category: 'MARKETING' },
    ]);

    const listed = await wa.templates.list({ businessAccountId: waba, name: 'kapso_shipped', limit: 5 });
    expect(listed.data.map((t) => [t.id, t.name, t.language])).toEqual([[created.id, 'kapso_shipped', 'en_US']]);
    expect(listed.paging).toMatchObject({ cursors: { before: expect.any(String), after: expect.any(String) } });
    const all = await wa.templates.list({ businessAccountId: waba, limit: 10 });
    expect(all.data.map((t) => t.name).sort()).toEqual(['hello_world', 'kapso_shipped', 'kapso_welcome']);

    // OPENWABA_TEMPLATE_REVIEW_DELAY (50 ms in these tests) approves it.
    await waitUntil('the template approved', async () => (await wa.templates.get({ businessAccountId: waba, templateId: created.id })).status === 'APPROVED', { timeoutMs: 5000 });
    const got = await wa.templates.get({ businessAccountId: waba, templateId: created.id });
    expect(got).toMatchObject({ id: created.id, name: 'kapso_shipped', language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Order {{1}} has shipped', example: { bodyText: [['A-1']] } }] });
    expect(await wa.templates.get({ businessAccountId: waba, templateId: created.id, fields: 'name,status' })).toEqual({ id: created.id, name: 'kapso_shipped', status: 'APPROVED' });
    expect((await wa.templates.list({ businessAccountId: waba, status: 'APPROVED', limit: 10 })).data.map((t) => t.name)).toContain('kapso_shipped');

    const send = sent(await wa.messages.sendTemplate({ phoneNumberId: P, to: JANE, template: { name: 'kapso_shipped', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'A-7' }] }] } }), true);
    expect(await stored(send)).toMatchObject({ type: 'template', content: { name: 'kapso_shipped', components: [{ type: 'body', parameters: [{ type: 'text', text: 'A-7' }] }] } });

    expect(await wa.templates.delete({ businessAccountId: waba, name: 'kapso_shipped', language: 'en_US' })).toEqual({ success: true });
    expect(await wa.templates.delete({ businessAccountId: waba, name: 'kapso_welcome' })).toEqual({ success: true });
    expect((await wa.templates.list({ businessAccountId: waba, limit: 10 })).data.map((t) => t.name)).toEqual(['hello_world']);
    const again = await graphError(wa.templates.delete({ businessAccountId: waba, name: 'kapso_shipped' }));
    expect(again).toMatchObject({ httpStatus: 404, code: 100, errorSubcode: 2593002, details: expect.stringMatching(/not found/) });
  });

  it('phone numbers: request and verify code, register (with data localization), deregister, settings, business profile', async () => {
    expect(await wa.phoneNumbers.requestCode({ phoneNumberId: P, codeMethod: 'SMS', language: 'en_US' })).toEqual({ success: true });
    expect(await wa.phoneNumbers.verifyCode({ phoneNumberId: P, code: '123456' })).toEqual({ success: true });
    expect(await wa.phoneNumbers.register({ phoneNumberId: P, pin: '123456', dataLocalizationRegion: 'DE' })).toEqual({ success: true });
    expect(await wa.phoneNumbers.deregister({ phoneNumberId: P })).toEqual({ success: true });
    expect(await wa.phoneNumbers.register({ phoneNumberId: P, pin: '123456' })).toEqual({ success: true });

    expect(await wa.phoneNumbers.settings.get({ phoneNumberId: P })).toEqual({
      calling: { status: 'DISABLED', callIconVisibility: 'DEFAULT', callHours: { status: 'DISABLED' }, callbackPermissionStatus: 'DISABLED', sip: { status: 'DISABLED' } },
    });
    expect(await wa.phoneNumbers.settings.update({ phoneNumberId: P, calling: { status: 'ENABLED', callbackPermissionStatus: 'ENABLED' } })).toEqual({ success: true });
    expect((await wa.phoneNumbers.settings.get({ phoneNumberId: P, includeSipCredentials: true })).calling).toMatchObject({ status: 'ENABLED', callbackPermissionStatus: 'ENABLED' });

    expect(await wa.phoneNumbers.businessProfile.update({ phoneNumberId: P, about: 'Parcels, fast', description: 'A shop', email: 'shop@example.com', websites: ['https://example.com'], vertical: 'RETAIL', address: 'Alexanderplatz 1' })).toEqual({ success: true });
    const profile = await wa.phoneNumbers.businessProfile.get({ phoneNumberId: P });
    expect(profile.data[0]).toMatchObject({ messagingProduct: 'whatsapp', about: 'Parcels, fast', description: 'A shop', email: 'shop@example.com', websites: ['https://example.com'], vertical: 'RETAIL', address: 'Alexanderplatz 1' });
    expect(await wa.phoneNumbers.businessProfile.get({ phoneNumberId: P, fields: 'about,websites' })).toEqual({ data: [{ about: 'Parcels, fast', websites: ['https://example.com'], messagingProduct: 'whatsapp' }] });
  });

  it('flows: create → update the JSON asset (multipart) → list → get → preview → publish → send → deprecate; deploy in one call', async () => {
    const created = await wa.flows.create({ wabaId: waba, name: 'kapso_survey', categories: ['SURVEY'], flowJson: FLOW_JSON });
    expect(created).toEqual({ id: expect.stringMatching(/^\d+$/), success: true, validationErrors: undefined });
    expect(await wa.flows.updateAsset({ flowId: created.id, json: FLOW_JSON })).toEqual({ success: true, validationErrors: undefined });
    const row = await c.t.deps.db.kysely.selectFrom('flows').select(['name', 'status', 'categories', 'flow_json']).where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ name: 'kapso_survey', status: 'DRAFT' });
    expect(JSON.parse(row.categories)).toEqual(['SURVEY']);
    // The library writes its camelCase authoring keys as Meta's Flow JSON.
    expect(JSON.parse(row.flow_json!).screens[0].layout.children[0]['on-click-action']).toEqual({ name: 'complete', payload: {} });

    expect((await wa.flows.list<{ data: unknown[] }>({ wabaId: waba, limit: 10 })).data).toEqual([{ id: created.id, name: 'kapso_survey', status: 'DRAFT', categories: ['SURVEY'], validationErrors: [] }]);
    expect(await wa.flows.get({ flowId: created.id })).toMatchObject({ id: created.id, name: 'kapso_survey', status: 'DRAFT', jsonVersion: '7.0', validationErrors: [] });
    expect(await wa.flows.get({ flowId: created.id, fields: 'name,status' })).toMatchObject({ id: created.id, name: 'kapso_survey', status: 'DRAFT' });
    for (const interactive of [false, true]) {
      const { preview } = await wa.flows.preview({ flowId: created.id, interactive });
      expect(preview.previewUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/flows\/preview\//);
      expect(preview.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
      expect((await fetch(preview.previewUrl)).status).toBe(200);
    }

    expect(await wa.flows.publish({ flowId: created.id })).toEqual({ success: true });
    const msg = sent(
      await wa.messages.sendInteractiveFlow({
        phoneNumberId: P,
        to: JANE,
        bodyText: 'Tell us how we did',
        parameters: { flowId: created.id, flowCta: 'Start', flowToken: 'survey-1', flowAction: 'navigate', flowActionPayload: { screen: 'WELCOME' } },
      }),
    );
    expect(await stored(msg)).toMatchObject({
      type: 'interactive',
      content: { type: 'flow', action: { name: 'flow', parameters: { flow_id: created.id, flow_cta: 'Start', flow_message_version: '3', flow_token: 'survey-1', flow_action: 'navigate', flow_action_payload: { screen: 'WELCOME' } } } },
    });
    expect(await wa.flows.deprecate({ flowId: created.id })).toEqual({ success: true });
    expect((await wa.flows.get<{ status: string }>({ flowId: created.id, fields: 'status' })).status).toBe('DEPRECATED');

    // deploy(): create (unpublished) → publish → preview, as one call.
    const deployed = await wa.flows.deploy(FLOW_JSON, { name: 'kapso_signup', wabaId: waba, publish: true, preview: true });
    expect(deployed).toEqual({ flowId: expect.stringMatching(/^\d+$/), previewUrl: expect.stringMatching(/\/flows\/preview\//), validationErrors: undefined });
    expect((await wa.flows.get<{ status: string }>({ flowId: deployed.flowId, fields: 'name,status' })).status).toBe('PUBLISHED');
  });

  it('calls: permissions, a business-initiated call (connect → terminate), a user call (pre_accept → accept → terminate; another rejected)', async () => {
    const CALLER = '4917612340011';
    expect(await wa.phoneNumbers.settings.update({ phoneNumberId: P, calling: { status: 'ENABLED', callbackPermissionStatus: 'ENABLED' } })).toEqual({ success: true });
    const before = await wa.calls.permissions.get({ phoneNumberId: P, userWaId: CALLER });
    expect(before).toMatchObject({ messagingProduct: 'whatsapp', permission: { status: 'no_permission' } });
    expect(before.actions?.find((a) => a.actionName === 'start_call')).toMatchObject({ canPerformAction: false });

    // The user calls first: that grants a temporary permission (callback permission enabled).
    const rang = await c.t.post('/sandbox/v1/inbound', { headers: channelKey(c.p.channel_api_key), json: { from: CALLER, type: 'call' } });
    expect(rang.status, rang.text).toBe(200);
    const callId = rang.body.calls[0].id as string;
    expect(await wa.calls.preAccept({ phoneNumberId: P, callId, session: { sdpType: 'answer', sdp: SDP('active') } })).toEqual({ success: true });
    expect(await wa.calls.accept({ phoneNumberId: P, callId, session: { sdpType: 'answer', sdp: SDP('active') }, bizOpaqueCallbackData: 'ticket-9' })).toEqual({ success: true });
    expect(await wa.calls.terminate({ phoneNumberId: P, callId })).toEqual({ success: true });
    expect((await c.t.deps.db.kysely.selectFrom('calls').select('state').where('id', '=', callId).executeTakeFirstOrThrow()).state).toBe('ended');
    const second = (await c.t.post('/sandbox/v1/inbound', { headers: channelKey(c.p.channel_api_key), json: { from: CALLER, type: 'call' } })).body.calls[0].id as string;
    expect(await wa.calls.reject({ phoneNumberId: P, callId: second })).toEqual({ success: true });
    expect((await c.t.deps.db.kysely.selectFrom('calls').select('state').where('id', '=', second).executeTakeFirstOrThrow()).state).toBe('rejected');

    expect((await wa.calls.permissions.get({ phoneNumberId: P, userWaId: CALLER })).permission.status).toBe('granted');
    const call = await wa.calls.connect({ phoneNumberId: P, to: CALLER, session: { sdpType: 'offer', sdp: SDP('actpass') }, bizOpaqueCallbackData: 'order-7' });
    expect(call).toEqual({ messagingProduct: 'whatsapp', calls: [{ id: expect.stringMatching(/^wacid\./) }] });
    expect(await wa.calls.terminate({ phoneNumberId: P, callId: call.calls![0]!.id })).toEqual({ success: true });
  });

  it("webhooks: the library's normalizeWebhook reads openwaba's inbound messages, statuses and call events", async () => {
    const id = sent(await wa.messages.sendText({ phoneNumberId: P, to: JANE, body: 'Status check' }));
    const read = await c.receiver.waitForBody('the read status', (bodies) => bodies.map(normalizeWebhook).find((n) => n.statuses.some((s) => s.id === id && s.status === 'read')));
    expect(read).toMatchObject({ object: 'whatsapp_business_account', phoneNumberId: P, statuses: [{ id, status: 'read', recipientId: JANE, timestamp: expect.stringMatching(/^\d+$/) }] });
    const first = c.receiver.bodies().map(normalizeWebhook).find((n) => n.messages.some((m) => m.id === c.inboundId))!;
    expect(first).toMatchObject({ phoneNumberId: P, contacts: [{ waId: JANE, profile: { name: 'Jane' } }] });
    expect(first.messages[0]).toMatchObject({ id: c.inboundId, from: JANE, type: 'text', text: { body: 'Hi, is my order on its way?' } });
    const calls = c.receiver.bodies().map(normalizeWebhook).flatMap((n) => n.calls);
    expect(calls.some((e) => e.event === 'connect' && e.direction === 'USER_INITIATED' && e.from === '4917612340011')).toBe(true);
  });

  it("errors: openwaba's Graph errors become the library's GraphApiError with Meta's code, type, details and category", async () => {
    const n = await count();
    const bad = await graphError(wa.messages.sendRaw({ phoneNumberId: P, payload: { messaging_product: 'whatsapp', to: JANE, type: 'text', text: {} } as never }));
    expect(bad).toMatchObject({ name: 'GraphApiError', httpStatus: 400, code: 100, type: 'OAuthException', details: 'text.body: is required', category: 'parameter', retry: { action: 'fix_and_retry' }, fbtraceId: expect.any(String) });
    expect(bad.message).toBe('(#100) Invalid parameter');
    expect(await count()).toBe(n);

    // A wrong token: Graph's 401 code 190; the library asks for a new token.
    const stranger = new WhatsAppClient({ accessToken: 'not-a-key', baseUrl: c.t.baseUrl });
    const auth = await graphError(stranger.messages.sendText({ phoneNumberId: P, to: JANE, body: 'x' }));
    expect(auth).toMatchObject({ httpStatus: 401, code: 190, type: 'OAuthException', category: 'authorization' });
    expect(auth.isAuthError() && auth.requiresTokenRefresh()).toBe(true);

    // Another tenant's number: Graph's "object does not exist" (code 100, subcode 33), nothing sent.
    const otherPhone = (await c.t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', other.channel_id).executeTakeFirstOrThrow()).external_id!;
    const foreign = await graphError(wa.messages.sendText({ phoneNumberId: otherPhone, to: JANE, body: 'x' }));
    expect(foreign).toMatchObject({ httpStatus: 400, code: 100, errorSubcode: 33, type: 'GraphMethodException' });
    expect(await count()).toBe(n);
  });
});
