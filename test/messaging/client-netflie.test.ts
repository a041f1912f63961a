// netflie/whatsapp-cloud-api (PHP, the most used Cloud API package on Packagist) replayed against
// openwaba. PHP cannot run here, so every request below is the one the library builds, transcribed
// from its source in the code index (repository netflie/whatsapp-cloud-api):
//   src/WhatsAppCloudApi.php (commit 049a2c10: sendTextMessage, sendImage(caption = ''),
//     sendVideo(caption = ''), sendDocument, sendTemplate, sendLocation, sendContact, sendList,
//     uploadMedia, downloadMedia, markMessageAsRead, replyTo),
//   src/Client.php and src/Http/GuzzleClientHandler.php (commit 3cd61dc7: sendMessage posts
//     Guzzle `json` => body, uploadMedia posts Guzzle `multipart` => form, downloadMedia GETs
//     {media_id} then GETs its `url` with the same headers; every call `http_errors => false`),
//   src/Request.php (commit 4cf094b1: headers() = Authorization: Bearer <token>),
//   src/Request/MediaRequest/UploadMediaRequest.php, DownloadMediaRequest.php, MessageReadRequest.php
//     (commit 3cd61dc7), src/Request/TypingIndicatorRequest.php (commit 16c60632),
//   src/Request/MessageRequest/RequestTextMessage.php, RequestImageMessage.php (3cd61dc7),
//     RequestDocumentMessage.php, RequestLocationMessage.php, RequestContactMessage.php (17f76e90),
//     RequestTemplateMessage.php (3cd61dc7), RequestOptionsListMessage.php (049a2c10),
//     RequestButtonReplyMessage.php (24130c78), RequestReactionMessage.php (728403ee),
//     src/Message/ButtonReply/ButtonAction.php (4fc409d4), src/Message/Template/Component.php,
//   src/Response.php (commit 0e5239c6: isError() = isset(decoded['error'])) and
//     src/Response/ResponseException.php (responseData() = the decoded body),
//   src/WebHook/NotificationFactory.php (commit 18ac72ad), src/WebHook/Notification/
//     MessageNotificationFactory.php and StatusNotificationFactory.php (commit 08572c61),
//   tests/Integration/WhatsAppCloudApiTest.php (commit 906d0cd5: the calls the maintainers run
//     against Meta: hello_world without components, a reaction and its removal with "", …).
//
// The only adaptation is a 360dialog user's (reference §4): the library's URLs are
// https://graph.facebook.com/<version>/<phone id>/messages|media and .../<media id>; here the
// version and phone id prefix are dropped, and the token goes in D360-API-KEY instead of
// `Authorization: Bearer` (a Guzzle middleware or a ClientHandler of the user's does that).
//
// On the wire: Guzzle's `json` option writes PHP's json_encode with no flags ("/" escaped as
// "\/", non-ASCII as \uXXXX) with Content-Type application/json; its `multipart` option writes
// each part with Content-Disposition, Content-Length and (for a file) a Content-Type guessed from
// the file name, in the order the form lists them; every request says User-Agent GuzzleHttp/7.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplayApp } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import type { HttpResponse, TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, sha256, uploadSample, userWrites } from './media-fixtures.ts';

const WAMID = /^wamid\.[\w=+/-]+$/;
const GUZZLE_UA = 'GuzzleHttp/7';

/** PHP's json_encode($array) with no flags: what Guzzle's `json` option sends. */
function phpJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/\//g, '\\/')
    .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Guzzle's MultipartStream: each part with Content-Disposition, Content-Length, and a Content-Type for a file. */
function guzzleMultipart(parts: { name: string; contents: Buffer | string; filename?: string; type?: string }[]) {
  // Guzzle's boundary: sha1(uniqid('', true)), 40 hex digits.
  const boundary = '5d0d2d1b8e2b6b0b1c3f0e9b7a6c5d4e3f2a1b0c';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const body = Buffer.isBuffer(p.contents) ? p.contents : Buffer.from(p.contents);
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}\r\nContent-Length: ${body.length}\r\n`;
    if (p.filename) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), body, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * NotificationFactory::buildAllFromPayload with MessageNotificationFactory and
 * StatusNotificationFactory, as far as they index the payload: every `$x['key']` without `??`
 * below is a read PHP needs (an undefined index is a warning, and the typed constructors then
 * throw a TypeError on the null). Returns what the library's notification objects carry.
 */
function netflieNotifications(payload: any): Record<string, unknown>[] {
  const need = (o: any, k: string, what: string) => {
    if (o === null || typeof o !== 'object' || o[k] === undefined || o[k] === null) throw new Error(`netflie reads ${what}['${k}'] and it is missing: ${JSON.stringify(o)}`);
    return o[k];
  };
  const out: Record<string, unknown>[] = [];
  if (!Array.isArray(payload.entry)) return out;
  for (const entry of payload.entry) {
    if (!Array.isArray(entry.changes)) continue;
    for (const change of entry.changes) {
      const value = change.value ?? {};
      const message = value.messages?.[0];
      const status = value.statuses?.[0];
      const contact = value.contacts?.[0];
      const metadata = value.metadata ?? {};
      if (message) {
        // new Support\Business($metadata['phone_number_id'], $metadata['display_phone_number'])
        const business = { phone_number_id: need(metadata, 'phone_number_id', 'metadata'), display: need(metadata, 'display_phone_number', 'metadata') };
        const n: Record<string, unknown> = { kind: 'message', id: need(message, 'id', 'message'), type: need(message, 'type', 'message'), business, timestamp: need(message, 'timestamp', 'message') };
        switch (message.type) {
          case 'text':
            n.text = need(need(message, 'text', 'message'), 'body', 'text');
            break;
          case 'reaction':
            n.reaction = { message_id: need(message.reaction, 'message_id', 'reaction'), emoji: message.reaction.emoji };
            break;
          case 'image':
          case 'document':
          case 'audio':
          case 'video':
          case 'sticker': {
            const m = need(message, message.type, 'message');
            n.media = { id: need(m, 'id', message.type), mime_type: need(m, 'mime_type', message.type), sha256: need(m, 'sha256', message.type), filename: m.filename ?? '', caption: m.caption ?? '' };
            break;
          }
          case 'location':
            n.location = { latitude: need(message.location, 'latitude', 'location'), longitude: need(message.location, 'longitude', 'location'), name: message.location.name ?? '', address: message.location.address ?? '' };
            break;
          case 'button':
            n.button = { text: need(message.button, 'text', 'button'), payload: need(message.button, 'payload', 'button') };
            break;
          case 'interactive': {
            const r = message.interactive.list_reply ?? message.interactive.button_reply;
            n.interactive = { id: need(r, 'id', 'reply'), title: need(r, 'title', 'reply'), description: message.interactive.list_reply?.description ?? '' };
            break;
          }
          default:
            break;
        }
        // decorateNotification: a contact needs wa_id and profile.name; the customer also takes message.from.
        if (contact) n.customer = { id: need(contact, 'wa_id', 'contact'), name: need(need(contact, 'profile', 'contact'), 'name', 'profile'), phone: need(message, 'from', 'message') };
        if (message.context) n.context = { id: message.context.id ?? null, forwarded: message.context.forwarded ?? false };
        out.push(n);
      }
      if (status) {
        const n: Record<string, unknown> = {
          kind: 'status',
          id: need(status, 'id', 'status'),
          business: { phone_number_id: need(metadata, 'phone_number_id', 'metadata'), display: need(metadata, 'display_phone_number', 'metadata') },
          customer_id: need(status, 'recipient_id', 'status'),
          status: need(status, 'status', 'status'),
          timestamp: need(status, 'timestamp', 'status'),
        };
        if (status.conversation) n.conversation = { id: need(status.conversation, 'id', 'conversation'), type: need(need(status.conversation, 'origin', 'conversation'), 'type', 'origin') };
        if (status.pricing) {
          // new Support\Pricing($category, $pricing_model, $billable): billable is a bool parameter.
          const billable = need(status.pricing, 'billable', 'pricing');
          if (typeof billable !== 'boolean') throw new Error(`netflie's Pricing takes a bool billable, got ${JSON.stringify(billable)}`);
          n.pricing = { category: need(status.pricing, 'category', 'pricing'), model: need(status.pricing, 'pricing_model', 'pricing'), billable };
        }
        if (status.errors) n.error = { code: need(status.errors[0], 'code', 'error'), title: need(status.errors[0], 'title', 'error') };
        out.push(n);
      }
    }
  }
  return out;
}

describeEachDb('client: netflie/whatsapp-cloud-api (PHP; its requests replayed) against the Cloud Messaging API', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  /** The channel's Meta phone_number_id: netflie's from_phone_number_id, and metadata.phone_number_id in webhooks. */
  let phoneId: string;
  const USER = '34676204577';
  let inboundId: string;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });

  /** Client::sendMessage: POST {phone id}/messages, Guzzle json => body(), http_errors off. */
  const post = (body: unknown, headers: Record<string, string> = key()) =>
    t.request('POST', '/messages', { headers: { ...headers, 'content-type': 'application/json', 'user-agent': GUZZLE_UA }, raw: phpJson(body) });

  /**
   * What the caller gets from a send: Client::sendMessage throws ResponseException when
   * Response::isError() (a decoded `error` key); otherwise the caller reads
   * decodedBody()['messages'][0]['id'] (as the maintainers' reaction test does).
   */
  function sent(res: HttpResponse): string {
    if (res.body?.error !== undefined) throw new Error(`netflie throws ResponseException: ${res.status} ${res.text}`);
    expect(res.status, res.text).toBe(200);
    const id = res.body.messages[0].id as string;
    expect(id).toMatch(WAMID);
    return id;
  }

  /** The stored content of a message (its type object). */
  async function stored(id: string) {
    const row = await t.deps.db.kysely.selectFrom('messages').select(['type', 'content', 'context_id']).where('channel_id', '=', p.channel_id).where('id', '=', id).executeTakeFirstOrThrow();
    return { ...row, content: (JSON.parse(row.content) as Record<string, unknown>)[row.type] as Record<string, unknown> };
  }

  /** The Cloud webhook bodies that carry message or status `id`, parsed as netflie parses them. */
  const notificationOf = (what: string, pick: (n: Record<string, unknown>) => boolean) =>
    receiver.waitForBody(what, (bodies) => {
      for (const b of bodies) for (const n of netflieNotifications(b)) if (pick(n)) return n;
      return undefined;
    });

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startReplayApp(kind);
    p = await t.tenant();
    phoneId = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id;
    const hook = await t.post('/v1/configs/webhook', { headers: key(), json: { url: `${receiver.url}/netflie` } });
    expect(hook.status, hook.text).toBe(200);
    inboundId = await userWrites(t, p.channel_api_key, { from: USER, name: 'Adams Smith', type: 'text', text: { body: 'Hola' } });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('sendTextMessage (preview_url), replyTo, and the JSON as PHP writes it (escaped slashes, \\u escapes)', async () => {
    // RequestTextMessage: {messaging_product, recipient_type: individual, to, type: text, text: {preview_url, body}}.
    const text = sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'text', text: { preview_url: true, body: "Hey there! I'm using WhatsApp Cloud API. Visit https://www.netflie.es – ¡olé!" } }));
    expect((await stored(text)).content).toEqual({ preview_url: true, body: "Hey there! I'm using WhatsApp Cloud API. Visit https://www.netflie.es – ¡olé!" });
    // replyTo($id)->sendTextMessage: the body gains context.message_id.
    const reply = sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'text', text: { preview_url: false, body: 'Replying' }, context: { message_id: inboundId } }));
    expect((await stored(reply)).context_id).toBe(inboundId);
  });

  it('sendImage / sendVideo without a caption send "caption": "" (the library default) and go out without one', async () => {
    // RequestImageMessage: image => {caption, <link|id> => value}; WhatsAppCloudApi::sendImage(caption = '').
    const img = sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'image', image: { caption: '', link: 'https://netflie.es/wp-content/uploads/2022/05/whatsapp_cloud_api_banner-1.png' } }));
    expect((await stored(img)).content).toEqual({ link: 'https://netflie.es/wp-content/uploads/2022/05/whatsapp_cloud_api_banner-1.png' });
    // sendVideo(caption = '') the same way.
    const video = sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'video', video: { caption: '', link: 'https://filesamples.com/samples/video/mp4/sample_640x360.mp4' } }));
    expect((await stored(video)).content).toEqual({ link: 'https://filesamples.com/samples/video/mp4/sample_640x360.mp4' });
    // A caption given is kept.
    const captioned = sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'image', image: { caption: 'WhastApp Business API Cloud', link: 'https://netflie.es/banner.png' } }));
    expect((await stored(captioned)).content).toEqual({ caption: 'WhastApp Business API Cloud', link: 'https://netflie.es/banner.png' });
    // Audio and stickers take no caption at all, empty or not (Meta: Unexpected key "caption" on param "audio").
    const audio = await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'audio', audio: { caption: '', link: 'https://netflie.es/sample3.aac' } });
    expect(audio.status).toBe(400);
    expect(audio.body.error).toMatchObject({ code: 100, error_data: { details: expect.stringContaining('audio.caption') } });
  });

  it('sendDocument: caption (null or "") and filename before the link; sendLocation: longitude first, empty name/address; sendContact', async () => {
    // RequestDocumentMessage: document => {caption, filename, <link|id>}; sendDocument(?string $caption) may pass null.
    const doc = sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'document', document: { caption: null, filename: 'whatsapp-cloud-api-from-link.png', link: 'https://netflie.es/wp-content/uploads/2022/05/image.png' } }));
    expect((await stored(doc)).content).toEqual({ filename: 'whatsapp-cloud-api-from-link.png', link: 'https://netflie.es/wp-content/uploads/2022/05/image.png' });
    const doc2 = sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'document', document: { caption: '', filename: 'guide.pdf', link: 'https://netflie.es/guide.pdf' } }));
    expect((await stored(doc2)).content).toEqual({ filename: 'guide.pdf', link: 'https://netflie.es/guide.pdf' });
    // RequestLocationMessage: location => {longitude, latitude, name, address}; name/address default ''.
    const loc = sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'location', location: { longitude: 39.56939, latitude: 2.65024, name: 'The Paradise', address: 'Mallorca Rd., 07000, Illes Balears (Spain)' } }));
    expect((await stored(loc)).content).toMatchObject({ longitude: 39.56939, latitude: 2.65024 });
    sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'location', location: { longitude: 13.4, latitude: 52.5, name: '', address: '' } }));
    // RequestContactMessage: contacts => [{name: {formatted_name, first_name, last_name}, phones: [{phone, type, wa_id?}]}].
    const contact = sent(
      await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'contacts', contacts: [{ name: { formatted_name: 'Adams Smith', first_name: 'Adams', last_name: 'Smith' }, phones: [{ phone: '34676204577', type: 'CELL', wa_id: '34676204577' }] }] }),
    );
    expect((await stored(contact)).content).toMatchObject([{ phones: [{ type: 'CELL' }] }]);
  });

  it('sendList (header always a text header), sendButton (reply buttons with header and footer), sendReaction and its removal with ""', async () => {
    // RequestOptionsListMessage: interactive {type: list, header: {type: text, text}, body, action, footer?}.
    const rows = [
      { id: '1', title: '⭐️', description: "Experience wasn't good enough" },
      { id: '5', title: '⭐⭐️⭐⭐⭐️', description: 'Experience was excellent' },
      // Section::rows(): 'description' => $row->description() ?: null — a Row without one sends null.
      { id: '0', title: 'No rating', description: null },
    ];
    const list = sent(
      await post({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: USER,
        type: 'interactive',
        interactive: { type: 'list', header: { type: 'text', text: 'Rate your experience' }, body: { text: 'Please consider rating your shopping experience in our website' }, action: { button: 'Submit', sections: [{ title: 'Stars', rows }] }, footer: { text: 'Thanks for your time' } },
      }),
    );
    const kept = (await stored(list)).content as { action: { sections: { rows: Record<string, unknown>[] }[] } };
    expect(kept).toMatchObject({ type: 'list', action: { sections: [{ rows: [{ title: '⭐️' }, {}, {}] }] } });
    expect(kept.action.sections[0]!.rows[2]).toEqual({ id: '0', title: 'No rating' });
    // RequestButtonReplyMessage + ButtonAction: action {buttons: [{type: reply, reply: {id, title}}]}, header from ButtonHeader, footer.
    const buttons = sent(
      await post({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: USER,
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: 'Would you like to rate us?' },
          action: { buttons: [{ type: 'reply', reply: { id: 'button-1', title: 'Yes' } }, { type: 'reply', reply: { id: 'button-2', title: 'No' } }, { type: 'reply', reply: { id: 'button-3', title: 'Not Now' } }] },
          header: { type: 'text', text: 'RATE US' },
          footer: { text: 'Please choose an option' },
        },
      }),
    );
    expect((await stored(buttons)).content).toMatchObject({ type: 'button', header: { text: 'RATE US' } });
    // RequestReactionMessage: reaction {message_id, emoji}; sendReaction($to, $id) without an emoji sends "" (removal).
    sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'reaction', reaction: { message_id: inboundId, emoji: '👍' } }));
    sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'reaction', reaction: { message_id: inboundId, emoji: '' } }));
  });

  it('sendTemplate: hello_world with "components": [] and a Component with body and quick-reply buttons (index as an integer)', async () => {
    // RequestTemplateMessage: template {name, language: {code}, components: []} when no Component is given.
    const hello = sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '34676204599', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' }, components: [] } }));
    expect((await stored(hello)).content).toMatchObject({ name: 'hello_world' });
    // A template with a body variable and two quick replies (the maintainers' sample_issue_resolution shape).
    const created = await t.post('/message_templates', {
      headers: key(),
      json: {
        name: 'issue_resolution',
        category: 'UTILITY',
        language: 'en_US',
        components: [
          { type: 'BODY', text: 'Hi {{1}}, were we able to solve the issue that you were facing?', example: { body_text: [['Mr Jones']] } },
          { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Yes' }, { type: 'QUICK_REPLY', text: 'No' }] },
        ],
      },
    });
    expect(created.status, created.text).toBe(200);
    await receiver.waitForBody('the review of issue_resolution', (bodies) => bodies.find((b) => b.entry?.[0]?.changes?.[0]?.value?.message_template_name === 'issue_resolution'));
    // Component([], $body, $buttons): components = [{type: body, parameters}, ...$buttons as given].
    const withComponents = sent(
      await post({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '34676204599',
        type: 'template',
        template: {
          name: 'issue_resolution',
          language: { code: 'en_US' },
          components: [
            { type: 'body', parameters: [{ type: 'text', text: '*Mr Jones*' }] },
            { type: 'button', sub_type: 'quick_reply', index: 0, parameters: [{ type: 'text', text: 'Yes' }] },
            { type: 'button', sub_type: 'quick_reply', index: 1, parameters: [{ type: 'text', text: 'No' }] },
          ],
        },
      }),
    );
    expect((await stored(withComponents)).content).toMatchObject({ name: 'issue_resolution' });
  });

  it('uploadMedia (Guzzle multipart: file, type, messaging_product) → downloadMedia (GET {id}, then GET its url with the same headers)', async () => {
    const png = SAMPLES.find((s) => s.name === 'chart.png')!;
    // UploadMediaRequest::form(): file (a stream: filename = the path's basename, type from the
    // extension), type = mime_content_type($path), messaging_product = whatsapp.
    const form = guzzleMultipart([
      { name: 'file', contents: png.data, filename: 'netflie.png', type: 'image/png' },
      { name: 'type', contents: 'image/png' },
      { name: 'messaging_product', contents: 'whatsapp' },
    ]);
    const up = await t.request('POST', '/media', { headers: { ...key(), 'content-type': form.contentType, 'user-agent': GUZZLE_UA }, raw: form.body });
    expect(up.status, up.text).toBe(200);
    expect(up.body.error).toBeUndefined();
    // The maintainers' test: $response->decodedBody()['id'].
    const mediaId = up.body.id as string;
    expect(mediaId).toMatch(/^\d+$/);

    // Client::downloadMedia: GET {media_id} (no error check), decodedBody()['url'], then GET that URL
    // with $request->headers(); the second response is the file (isError() on its decoded body).
    const info = await t.request('GET', `/${mediaId}`, { headers: { ...key(), 'user-agent': GUZZLE_UA } });
    expect(info.status, info.text).toBe(200);
    expect(typeof info.body.url).toBe('string');
    const file = await fetch(info.body.url, { headers: { ...key(), 'user-agent': GUZZLE_UA } });
    expect(file.status).toBe(200);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(sha256(bytes)).toBe(sha256(png.data));
    expect(file.headers.get('content-type')).toBe('image/png');

    // sendImage with MediaObjectID: image {caption: '', id}.
    const img = sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'image', image: { caption: '', id: mediaId } }));
    expect((await stored(img)).content).toEqual({ id: mediaId });
  });

  it('markMessageAsRead and the typing indicator: {"success": true}', async () => {
    // MessageReadRequest: {messaging_product, status: read, message_id} to {phone id}/messages.
    const read = await post({ messaging_product: 'whatsapp', status: 'read', message_id: inboundId });
    expect(read.status, read.text).toBe(200);
    expect(read.body).toEqual({ success: true });
    // TypingIndicatorRequest: the same with typing_indicator {type: text}.
    const typing = await post({ messaging_product: 'whatsapp', status: 'read', message_id: inboundId, typing_indicator: { type: 'text' } });
    expect(typing.status, typing.text).toBe(200);
    expect(typing.body).toEqual({ success: true });
  });

  it('errors: a refused body makes isError() true (error.code, message, details); a closed window is a failed status with its error; 360dialog\'s key error is its legacy body', async () => {
    // A refused body: ResponseException::responseData()['error'] with code, message, error_data.details.
    const bad = await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'location', location: { longitude: 200, latitude: 2.6, name: '', address: '' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 100, message: expect.any(String), error_data: { details: expect.stringContaining('longitude') } });
    // A user whose 24-hour window never opened: the Cloud API accepts the send and reports it
    // failed later (Meta's 131047), which StatusNotificationFactory reads as errors[0].code/title.
    const cold = '34676200000';
    const id = sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: cold, type: 'text', text: { preview_url: false, body: 'cold' } }));
    const failed = await notificationOf(`the failed status of ${id}`, (x) => x.kind === 'status' && x.id === id && x.status === 'failed');
    expect(failed).toMatchObject({ customer_id: cold, error: { code: 131047, title: expect.any(String) } });
    // A wrong D360-API-KEY: 360dialog documents 401 "Invalid api_key" in its legacy `meta` body, not
    // Meta's `error` (reference §4.3), so netflie's isError() (isset($decoded['error'])) is false
    // here: a caller sees no exception and no messages. That is 360dialog's behaviour, kept.
    const wrong = await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'text', text: { preview_url: false, body: 'x' } }, { 'D360-API-KEY': 'not-a-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
    expect(wrong.body.error).toBeUndefined();
  });

  it('webhooks: text, image, location, button and list replies, a reaction, and statuses build netflie Notifications', async () => {
    const u = '34676204578';
    const text = await userWrites(t, p.channel_api_key, { from: u, name: 'Eva', type: 'text', text: { body: '¿Hola?' } });
    const n = await notificationOf(`text ${text}`, (x) => x.id === text);
    expect(n).toMatchObject({ kind: 'message', type: 'text', text: '¿Hola?', business: { phone_number_id: phoneId }, customer: { id: u, name: 'Eva', phone: u } });
    expect(String(n.timestamp)).toMatch(/^\d+$/);

    const photo = await uploadSample(t, p.channel_api_key, 'photo.jpg');
    const image = await userWrites(t, p.channel_api_key, { from: u, name: 'Eva', type: 'image', image: { id: photo.id, caption: 'Mira' } });
    expect(await notificationOf(`image ${image}`, (x) => x.id === image)).toMatchObject({ type: 'image', media: { id: photo.id, mime_type: 'image/jpeg', sha256: expect.any(String), caption: 'Mira' } });

    const where = await userWrites(t, p.channel_api_key, { from: u, name: 'Eva', type: 'location', location: { latitude: 2.65024, longitude: 39.56939, name: 'The Paradise' } });
    expect(await notificationOf(`location ${where}`, (x) => x.id === where)).toMatchObject({ type: 'location', location: { latitude: 2.65024, longitude: 39.56939, name: 'The Paradise', address: '' } });

    const asked = sent(await post({ messaging_product: 'whatsapp', recipient_type: 'individual', to: u, type: 'interactive', interactive: { type: 'button', body: { text: 'OK?' }, action: { buttons: [{ type: 'reply', reply: { id: 'button-1', title: 'Yes' } }] } } }));
    const pressed = await userWrites(t, p.channel_api_key, { from: u, name: 'Eva', type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'button-1', title: 'Yes' } }, context: { message_id: asked } });
    expect(await notificationOf(`button ${pressed}`, (x) => x.id === pressed)).toMatchObject({ type: 'interactive', interactive: { id: 'button-1', title: 'Yes', description: '' }, context: { id: asked, forwarded: false } });
    const picked = await userWrites(t, p.channel_api_key, { from: u, name: 'Eva', type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: '5', title: '⭐⭐️⭐⭐⭐️', description: 'Experience was excellent' } }, context: { message_id: asked } });
    expect(await notificationOf(`list ${picked}`, (x) => x.id === picked)).toMatchObject({ interactive: { id: '5', description: 'Experience was excellent' } });
    const reacted = await userWrites(t, p.channel_api_key, { from: u, name: 'Eva', type: 'reaction', reaction: { message_id: asked, emoji: '❤️' } });
    expect(await notificationOf(`reaction ${reacted}`, (x) => x.id === reacted)).toMatchObject({ type: 'reaction', reaction: { message_id: asked, emoji: '❤️' } });

    // StatusNotificationFactory: id, recipient_id, status, timestamp; conversation (id, origin.type)
    // and pricing (category, pricing_model, a bool billable) when present.
    for (const status of ['sent', 'delivered', 'read']) {
      const s = await notificationOf(`${status} of ${asked}`, (x) => x.kind === 'status' && x.id === asked && x.status === status);
      expect(s).toMatchObject({ customer_id: u, business: { phone_number_id: phoneId } });
    }
    // Every body the channel got parses without a missing required key.
    for (const b of receiver.bodies('/netflie')) netflieNotifications(b);
  });
});
