// n8n's "WhatsApp Business Cloud" node and "WhatsApp Trigger" against openwaba. n8n cannot run
// here, so each request is rebuilt here exactly as the node builds it (n8n-io/n8n,
// packages/nodes-base/nodes/WhatsApp/, read at the stored commits named below) and replayed
// against openwaba's Cloud routes; every assertion is on what the node then reads.
//
//   MessagesDescription.ts  08434d55  routing of every message field (send.property paths, preSends)
//   MessageFunctions.ts     08c9f232  setType, cleanPhoneNumber/sanitizePhoneNumber, templateInfo,
//                                     componentsRequest, mediaUploadFromItem, sendErrorPostReceive
//   MediaDescription.ts     6fc0799c  media upload / URL get / delete routing
//   MediaFunctions.ts       (getUploadFormData + setupUpload, the version with assertBinaryData)
//   GenericFunctions.ts     02535a4a  WHATSAPP_BASE_URL, createMessage (send and wait)
//   WhatsApp.node.ts        (version [1, 1.1]: methods.loadOptions.getTemplates, send-and-wait)
//   tests/node/loadOptions.test.ts 38e78ef6  getTemplates' qs {fields:'name,language'} and `after` paging
//   WhatsAppTrigger.node.ts 06647a5a  webhook(): signature check, object filter, filterStatuses
//   credentials/WhatsAppApi.credentials.ts 010f3e08  Authorization: Bearer <accessToken>
//
// n8n's declarative routing (packages/core routing-node.ts) sets each displayed parameter at its
// `send.property` path; a fixedCollection entry carries every one of its values, filled with the
// value's default (so contact name parts and wa_id the user left empty go out as ""), while a
// collection ("Additional Fields") carries only the options the user added.
//
// The only adaptation is the one a 360dialog user makes to a Meta client (reference §4): the node's
// https://graph.facebook.com/v13.0/<phone number id or WABA id>/<edge> becomes <openwaba>/<edge>
// (a bare /<media id> stays), and the credential's `Authorization: Bearer <token>` becomes
// `D360-API-KEY: <token>`. (The node's base URL and credential are fixed, so in practice that takes
// a rewriting proxy in front of openwaba; the node's "Sender Phone Number" dropdown, loaded from
// <WABA id>/phone_numbers, has no 360dialog equivalent: the id is typed in and dropped anyway.)
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplayApp } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import type { HttpResponse, TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, sha256 } from './media-fixtures.ts';

/** GenericFunctions.ts WHATSAPP_BASE_URL: every request's baseURL (requestDefaults in WhatsApp.node.ts). */
const GRAPH = 'https://graph.facebook.com/v13.0/';
const WAMID = /^wamid\.[\w=+/-]+$/;
/** MessagesDescription.ts `mediaTypes`: the media types the send operation builds. */
const MEDIA_TYPES = ['image', 'video', 'audio', 'sticker', 'document'] as const;
type MediaType = (typeof MEDIA_TYPES)[number];
/** WhatsAppTrigger.node.ts, option messageStatusUpdates: the statuses it can filter by. */
const TRIGGER_STATUSES = ['deleted', 'delivered', 'failed', 'read', 'sent'];

/** axios's join of baseURL and url (n8n's request helper is axios): one slash between them. */
const joinUrl = (base: string, url: string) => `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;

/** The 360dialog mapping: drop the version and the phone number (or WABA) id; a bare media id stays. */
function to360(graphUrl: string): string {
  const m = /^https:\/\/graph\.facebook\.com\/v[\d.]+\/(.*)$/.exec(graphUrl);
  if (!m) throw new Error(`not a Graph URL: ${graphUrl}`);
  const segments = m[1]!.split('/').filter(Boolean);
  return `/${(segments.length > 1 ? segments.slice(1) : segments).join('/')}`;
}

/** MessageFunctions.ts sanitizePhoneNumber: drops - ( ) + (and keeps spaces). */
const sanitizePhone = (n: string) => n.replace(/[-()+]/g, '');

interface Multipart {
  body: Buffer;
  contentType: string;
}

/**
 * The multipart body of the npm `form-data` package, which MediaFunctions.ts getUploadFormData
 * fills: `file` (the binary, with its contentType and filename) first, then messaging_product;
 * no `type` field. Its boundary is 26 dashes and 24 hex digits.
 */
function formData(file: { data: Buffer; filename: string; contentType: string }): Multipart {
  const boundary = `--------------------------${randomBytes(12).toString('hex')}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\nContent-Type: ${file.contentType}\r\n\r\n`),
    file.data,
    Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="messaging_product"\r\n\r\nwhatsapp\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The flattened events WhatsAppTrigger.node.ts webhook() hands on: each change's value plus its field. */
type TriggerEvent = Record<string, any> & { field: string };

describeEachDb('client: n8n WhatsApp Business Cloud node and WhatsApp Trigger against the Cloud Messaging API', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  /** The node's "Sender Phone Number (or ID)" (phoneNumberId) and the credential's businessAccountId. */
  let phoneNumberId: string;
  let businessAccountId: string;
  /** A user who wrote first (the 24-hour window is open), as typed into "Recipient's Phone Number". */
  const USER = '4917612340001';
  const USER_TYPED = '+49-(176)-12340001';
  let inboundId: string;
  /** Ids of messages the node sent, for the trigger's statuses. */
  const sentIds: string[] = [];

  /**
   * One request as n8n's request helper sends it (method, baseURL + url, qs, JSON or form body,
   * the credential's bearer token), mapped for 360dialog. The answer comes back whatever its
   * status (message operations set ignoreHttpStatusErrors and read errors in sendErrorPostReceive).
   */
  async function n8n(call: { method: 'GET' | 'POST' | 'DELETE'; url: string; body?: unknown; form?: Multipart; qs?: Record<string, string> }, token = p.channel_api_key): Promise<HttpResponse> {
    const path = to360(joinUrl(GRAPH, call.url));
    const headers: Record<string, string> = { 'D360-API-KEY': token, accept: 'application/json' };
    if (call.form) return t.request(call.method, path, { headers: { ...headers, 'content-type': call.form.contentType }, raw: call.form.body, query: call.qs });
    return t.request(call.method, path, { headers, json: call.body, query: call.qs });
  }

  /**
   * A message operation's body: the hidden messagingProduct (messaging_product), the type object
   * its fields route, then the preSends: setType (type; "template" for sendTemplate) and
   * cleanPhoneNumber (to).
   */
  const messageBody = (type: string, typeObject: Record<string, unknown>, recipient = USER_TYPED) => ({
    messaging_product: 'whatsapp',
    ...typeObject,
    type,
    to: sanitizePhone(recipient),
  });

  /** The stored row of a message of this channel: its type object as `content`. */
  async function stored(id: string) {
    const row = await t.deps.db.kysely
      .selectFrom('messages')
      .select(['direction', 'wa_id', 'type', 'content', 'template_name', 'status'])
      .where('channel_id', '=', p.channel_id)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new Error(`message ${id} was not stored`);
    const message = JSON.parse(row.content) as Record<string, unknown>;
    return { ...row, content: message[row.type] };
  }

  /**
   * POST <phoneNumberId>/messages (MessagesDescription.ts phoneNumberId routing) and what the node
   * outputs: the answer's body, whose messages[0].id workflows read; sendErrorPostReceive passes
   * a 2xx through untouched.
   */
  async function send(body: ReturnType<typeof messageBody>) {
    const res = await n8n({ method: 'POST', url: `${phoneNumberId}/messages`, body });
    if (res.status !== 200) throw new Error(`openwaba refused n8n's ${body.type} message (${res.status}): ${res.text}\n${JSON.stringify(body)}`);
    // A template send's answer carries Meta's message_status, "accepted" in the sandbox (routes/messages.ts).
    expect(res.body).toEqual({ messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: USER }], messages: [{ id: expect.stringMatching(WAMID), ...(body.type === 'template' ? { message_status: 'accepted' } : {}) }] });
    const id = res.body.messages[0].id as string;
    sentIds.push(id);
    const row = await stored(id);
    expect(row).toMatchObject({ direction: 'outbound', wa_id: USER, type: body.type });
    return { id, row };
  }

  /** Sends and checks that openwaba kept exactly the type object n8n sent. */
  async function sendKept(body: ReturnType<typeof messageBody>) {
    const s = await send(body);
    expect(s.row.content).toEqual((body as Record<string, unknown>)[body.type]);
    return s;
  }

  /**
   * MediaFunctions.ts getUploadFormData → POST <phoneNumberId>/media (MediaDescription.ts upload
   * routing; MessageFunctions.ts mediaUploadFromItem posts the same form). The filename is the
   * "Filename" additional field or else the binary's own name; the part's type the binary's
   * mimeType. n8n reads `id`.
   */
  async function upload(sampleName: string, mediaFileName?: string) {
    const s = SAMPLES.find((x) => x.name === sampleName)!;
    const res = await n8n({ method: 'POST', url: `${phoneNumberId}/media`, form: formData({ data: s.data, filename: mediaFileName || s.name, contentType: s.mime }) });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ id: expect.stringMatching(/^\d+$/) });
    return { id: res.body.id as string, sample: s };
  }

  const inbound = async (from: string, name: string, body: string) => {
    const res = await t.post('/sandbox/v1/inbound', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { from, name, type: 'text', text: { body } } });
    expect(res.status, res.text).toBe(200);
    return res.body.messages[0].id as string;
  };

  /** Creates a template through the Cloud API (as a 360dialog user would, outside n8n). */
  async function createTemplate(body: Record<string, unknown>) {
    const res = await t.post('/message_templates', { headers: { 'D360-API-KEY': p.channel_api_key }, json: body });
    expect(res.status, res.text).toBe(200);
  }

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startReplayApp(kind);
    p = await t.tenant();
    const channel = await t.deps.db.kysely.selectFrom('channels').select(['external_id', 'waba_account_id']).where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    phoneNumberId = channel.external_id;
    businessAccountId = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', channel.waba_account_id).executeTakeFirstOrThrow()).external_id;
    const hook = await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: `${receiver.url}/n8n-trigger` } });
    expect(hook.status, hook.text).toBe(200);
    inboundId = await inbound(USER, 'Jane', 'hi there');
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('text with "Show URL Previews", location with name and address, and send-and-wait\'s approval text', async () => {
    // MessagesDescription.ts textBody → text.body; additionalFields.previewUrl → text.preview_url.
    const plain = await sendKept(messageBody('text', { text: { body: 'Hello from n8n' } }));
    expect(plain.row.content).toEqual({ body: 'Hello from n8n' });
    await sendKept(messageBody('text', { text: { body: 'Our new shop: https://example.com/shop', preview_url: true } }));

    // longitude / latitude (number parameters) → location.*; the "Name and Address" fixedCollection
    // carries both its values.
    const loc = await sendKept(messageBody('location', { location: { longitude: 13.377704, latitude: 52.516275, name: 'Brandenburger Tor', address: 'Pariser Platz, 10117 Berlin' } }));
    expect(loc.row.content).toMatchObject({ latitude: 52.516275, longitude: 13.377704 });

    // WhatsApp.node.ts customOperations.message.sendAndWait → GenericFunctions.ts createMessage: a
    // plain text message (no interactive buttons), one "*label:*\n_<resume url>_" block per option
    // and n8n's attribution; its answer is not read (the execution just waits).
    const resume = 'https://n8n.example.com/webhook-waiting/4711?approved=true&signature=abc123';
    const wait = {
      messaging_product: 'whatsapp',
      text: {
        body: `Approve the invoice?\n\n*✓ Approve:*\n_${resume}_\n\n*✗ Decline:*\n_${resume.replace('approved=true', 'approved=false')}_\n\n\n\nThis message was sent automatically with https://n8n.io/?utm_source=n8n-internal&utm_medium=powered_by&utm_campaign=n8n-nodes-base.whatsapp_instance1`,
      },
      type: 'text',
      to: sanitizePhone(USER_TYPED),
    };
    const res = await n8n({ method: 'POST', url: `${phoneNumberId}/messages`, body: wait });
    expect(res.status, res.text).toBe(200);
    expect(res.body.messages[0].id).toMatch(WAMID);
    expect((await stored(res.body.messages[0].id)).content).toEqual(wait.text);
  });

  it('media: every type by link and by a WhatsApp media id (caption, filename), and from n8n binary data (upload, then send)', async () => {
    const link = (ext: string) => `https://cdn.example.com/files/sample.${ext}`;
    const ext: Record<MediaType, string> = { image: 'jpg', video: 'mp4', audio: 'ogg', sticker: 'webp', document: 'pdf' };
    const sample: Record<MediaType, string> = { image: 'photo.jpg', video: 'clip.mp4', audio: 'voice.ogg', sticker: 'static.webp', document: 'invoice.pdf' };
    // MessagesDescription.ts: mediaLink → <type>.link; additionalFields: mediaCaption → <type>.caption,
    // mediaFilename (documents only) → <type>.filename. (The stored messageType dropdown offers no
    // sticker, but `mediaTypes` routes one alike.) Captions only where Meta takes one.
    const captioned = (type: MediaType) => type === 'image' || type === 'video' || type === 'document';
    for (const type of MEDIA_TYPES) {
      const object: Record<string, unknown> = { link: link(ext[type]) };
      if (captioned(type)) object.caption = `A ${type}`;
      if (type === 'document') object.filename = 'invoice.pdf';
      await sendKept(messageBody(type, { [type]: object }));
    }

    // "WhatsApp Media": mediaId → <type>.id; a document's required top-level Filename → document.filename.
    for (const type of MEDIA_TYPES) {
      const { id } = await upload(sample[type]);
      const object: Record<string, unknown> = { id };
      if (type === 'document') object.filename = 'invoice.pdf';
      if (captioned(type)) object.caption = `Uploaded ${type}`;
      const s = await sendKept(messageBody(type, { [type]: object }));
      expect(s.row.content).toMatchObject({ id });
    }

    // "n8n" (binary data): MessageFunctions.ts mediaUploadFromItem uploads the item's binary first
    // (the form of getUploadFormData), then sets <type>.id from the answer and, for a document,
    // <type>.filename from the upload's file name (overwriting additionalFields.mediaFilename).
    for (const type of ['image', 'document'] as const) {
      const { id, sample: s } = await upload(sample[type]);
      const object: Record<string, unknown> = { caption: `From the workflow: ${type}`, id };
      if (type === 'document') object.filename = s.name;
      const sent = await sendKept(messageBody(type, { [type]: object }));
      expect(sent.row.content).toMatchObject({ id });
      // The uploaded file is what GET /{id} describes.
      const info = await n8n({ method: 'GET', url: `/${id}` });
      expect(info.body).toMatchObject({ id, mime_type: s.mime, sha256: sha256(s.data) });
    }
  });

  it('contacts as its fixedCollections assemble them: every value of an added entry, the empty ones as ""', async () => {
    // Version 1.1 (the default): name parts, address parts, org title etc. the user left empty go
    // out as "" (fixedCollection defaults), and each phone carries wa_id ("WhatsApp User ID",
    // "" when not given). n8n-io/n8n#14460 shows this very body (empty name parts) going to Meta.
    const card = {
      name: { formatted_name: 'Jane Doe', first_name: 'Jane', last_name: 'Doe', middle_name: '', suffix: '', prefix: '' },
      addresses: [{ type: 'WORK', street: 'Pariser Platz 1', city: 'Berlin', state: '', zip: '10117', country: 'Germany', country_code: 'DE' }],
      birthday: '1990-04-12',
      emails: [{ type: 'WORK', email: 'jane@example.com' }],
      org: { company: 'ACME', department: '', title: 'Head of Sales' },
      phones: [
        { type: 'CELL', phone: '+49 30 1234567', wa_id: '' },
        { type: 'WORK', phone: '+4915112345678', wa_id: '4915112345678' },
      ],
      urls: [{ type: 'WORK', url: 'https://example.com/jane' }],
    };
    await sendKept(messageBody('contacts', { contacts: [card] }));

    // Version 1: no wa_id field; "WhatsApp ID" is one of the phone *types* (type_v1: "wa_id").
    const v1 = {
      name: { formatted_name: 'Bob', first_name: '', last_name: '', middle_name: '', suffix: '', prefix: '' },
      phones: [
        { type: 'wa_id', phone: '4915112345678' },
        { type: 'CELL', phone: '+4915112345678' },
      ],
    };
    await sendKept(messageBody('contacts', { contacts: [v1] }));
  });

  it('templates: the loadOptions list (fields=name,language, every page), then sends as templateInfo and componentsRequest build them', async () => {
    await createTemplate({
      name: 'n8n_order_update',
      category: 'UTILITY',
      language: 'en_US',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['#1234'] } },
        { type: 'BODY', text: 'Hi {{1}}, your order of {{2}} ships on {{3}}.', example: { body_text: [['Jane', '€10', 'May 1']] } },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'QUICK_REPLY', text: 'Stop updates' },
            { type: 'URL', text: 'Track', url: 'https://shop.example.com/track/{{1}}', example: ['https://shop.example.com/track/42'] },
          ],
        },
      ],
    });
    await createTemplate({
      name: 'n8n_photo_promo',
      category: 'MARKETING',
      language: 'de',
      components: [
        { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2UvanBlZw==:ARb'] } },
        { type: 'BODY', text: 'Unser Angebot der Woche.' },
      ],
    });
    // Enough templates for a second page of Meta's default 25.
    for (let i = 0; i < 25; i++) await createTemplate({ name: `n8n_bulk_${String(i).padStart(2, '0')}`, category: 'UTILITY', language: 'en_US', components: [{ type: 'BODY', text: `Notice number ${i}.` }] });

    // WhatsApp.node.ts methods.loadOptions.getTemplates (tests/node/loadOptions.test.ts): GET
    // <businessAccountId>/message_templates with qs {fields:'name,language'}, then with `after` =
    // paging.cursors.after for as long as the page has paging.next; each template becomes the
    // option value "<name>|<language>".
    const options: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const res = await n8n({ method: 'GET', url: `${businessAccountId}/message_templates`, qs: after ? { fields: 'name,language', after } : { fields: 'name,language' } });
      expect(res.status, res.text).toBe(200);
      pages++;
      expect(pages, 'getTemplates would loop forever').toBeLessThan(10);
      for (const tpl of res.body.data as Record<string, unknown>[]) {
        expect(Object.keys(tpl).sort()).toEqual(['id', 'language', 'name']);
        options.push(`${tpl.name as string}|${tpl.language as string}`);
      }
      after = res.body.paging?.next ? res.body.paging.cursors?.after : undefined;
    } while (after);
    expect(pages).toBe(2);
    const all = (await t.get('/message_templates', { headers: { 'D360-API-KEY': p.channel_api_key }, query: { limit: '1000' } })).body.data as { name: string; language: string }[];
    expect(options.sort()).toEqual(all.map((x) => `${x.name}|${x.language}`).sort());
    expect(options).toEqual(expect.arrayContaining(['n8n_order_update|en_US', 'n8n_photo_promo|de', 'hello_world|en_US']));

    await waitUntil('the n8n templates approved', async () => {
      const list = await t.get('/message_templates', { headers: { 'D360-API-KEY': p.channel_api_key }, query: { name: 'n8n_', status: 'APPROVED', limit: '100' } });
      return (list.body.data as unknown[]).length === 27;
    });

    // MessageFunctions.ts templateInfo: the chosen option split at "|" → template.name and
    // template.language.code (no policy); no components when none were added (componentsRequest
    // returns early).
    const hello = await sendKept(messageBody('template', { template: { name: 'hello_world', language: { code: 'en_US' } } }));
    expect(hello.row.template_name).toBe('hello_world');

    // componentsRequest: header parameters as given (text); body text as given, currency as
    // {code, fallback_value, amount_1000: Amount × 1000}, date_time as {fallback_value: the
    // dateTime parameter}; a button with index as a string, its sub_type and its one parameter.
    const order = await sendKept(
      messageBody('template', {
        template: {
          name: 'n8n_order_update',
          language: { code: 'en_US' },
          components: [
            { type: 'header', parameters: [{ type: 'text', text: '#1234' }] },
            {
              type: 'body',
              parameters: [
                { type: 'text', text: 'Jane' },
                { type: 'currency', currency: { code: 'EUR', fallback_value: '€10.50', amount_1000: 10.5 * 1000 } },
                { type: 'date_time', date_time: { fallback_value: '2025-05-01T18:00:00' } },
              ],
            },
            { type: 'button', index: '0', sub_type: 'quick_reply', parameters: [{ type: 'payload', payload: 'STOP' }] },
            { type: 'button', index: '1', sub_type: 'url', parameters: [{ type: 'text', text: '42' }] },
          ],
        },
      }),
    );
    expect(order.row.template_name).toBe('n8n_order_update');

    // A header "Image" parameter becomes {type:'image', image:{link: imageLink}}; a body component
    // added without parameters goes out with parameters: [].
    await sendKept(
      messageBody('template', {
        template: {
          name: 'n8n_photo_promo',
          language: { code: 'de' },
          components: [
            { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/promo.jpg' } }] },
            { type: 'body', parameters: [] },
          ],
        },
      }),
    );
  });

  it('media resource: upload (its form-data), download (the URL and metadata), delete', async () => {
    // MediaDescription.ts mediaUpload, additionalFields.mediaFileName naming the file.
    const { id, sample } = await upload('chart.png', 'quarterly-chart.png');
    // mediaUrlGet: GET /<id>; __schema__/v1.1.0/media/mediaUrlGet.json is the output n8n expects.
    const info = await n8n({ method: 'GET', url: `/${id}` });
    expect(info.status, info.text).toBe(200);
    expect(info.body).toEqual({
      messaging_product: 'whatsapp',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/whatsapp_business\/attachments\/\?mid=\d+&ext=\d+&hash=/),
      mime_type: 'image/png',
      sha256: sha256(sample.data),
      file_size: sample.data.length,
      id,
    });
    expect(Number.isInteger(info.body.file_size)).toBe(true);
    // The filename n8n gave the upload names the download.
    const file = await t.get(new URL(info.body.url as string).pathname + new URL(info.body.url as string).search, { headers: { 'D360-API-KEY': p.channel_api_key } });
    expect(file.headers['content-disposition']).toContain('quarterly-chart.png');

    // mediaDelete: DELETE /<id> → {success: true}; then the id is gone (a 4xx, which n8n's
    // non-message operations turn into a NodeApiError from error.message).
    const del = await n8n({ method: 'DELETE', url: `/${id}` });
    expect(del.status, del.text).toBe(200);
    expect(del.body).toEqual({ success: true });
    // Meta's answer for a node that is gone: HTTP 400, GraphMethodException, its message without a "(#100) " prefix.
    const gone = await n8n({ method: 'GET', url: `/${id}` });
    expect(gone.status).toBe(400);
    expect(gone.body.error).toMatchObject({ message: expect.stringMatching(/^Unsupported get request\. Object with ID '\d+' does not exist/), type: 'GraphMethodException', code: 100 });
  });

  it("errors: every refusal carries the error.message sendErrorPostReceive reads (and n8n's own slips are refused as Meta would)", async () => {
    /**
     * MessageFunctions.ts sendErrorPostReceive on a 400: copies body.error, strips "(#<code>) "
     * from error.message (which therefore must be a string), and throws with it. Returns that.
     */
    const refused = async (body: unknown, status = 400) => {
      const res = await n8n({ method: 'POST', url: `${phoneNumberId}/messages`, body });
      expect(res.status, res.text).toBe(status);
      expect(res.body.error).toMatchObject({ message: expect.stringMatching(/^\(#\d+\) /), type: 'OAuthException', code: expect.any(Number), fbtrace_id: expect.any(String) });
      return { message: (res.body.error.message as string).replace(/^\(#\d+\) /, ''), details: res.body.error.error_data?.details as string };
    };

    // "WhatsApp Media" with an id that is no upload of this number.
    const noMedia = await refused(messageBody('image', { image: { id: '999999999' } }));
    expect(noMedia).toEqual({ message: 'Parameter value is not valid', details: expect.stringContaining('media id 999999999') });
    // A link that is no URL.
    const badLink = await refused(messageBody('document', { document: { link: 'invoice.pdf' } }));
    expect(badLink).toEqual({ message: 'Parameter value is not valid', details: 'document.link: must be an absolute http(s) URL' });
    // An unknown template name, as a stale loadOptions value would give: Meta's 132001 comes with
    // HTTP 404, which sendErrorPostReceive's "> 399" branch throws with the body as it came.
    const unknown = await refused(messageBody('template', { template: { name: 'n8n_no_such_template', language: { code: 'en_US' } } }), 404);
    expect(unknown).toEqual({ message: 'Template name does not exist in the translation', details: expect.stringContaining('n8n_no_such_template') });
    // A contact phone entry added but left empty ({type, phone:"", wa_id:""}) names no number.
    const emptyPhone = await refused(messageBody('contacts', { contacts: [{ name: { formatted_name: 'Bob', first_name: '', last_name: '', middle_name: '', suffix: '', prefix: '' }, phones: [{ type: 'CELL', phone: '', wa_id: '' }] }] }));
    expect(emptyPhone.details).toBe('contacts[0].phones[0]: needs phone (or wa_id)');

    // n8n offers "Caption" for audio (and stickers) too; Meta takes none there, nor does openwaba.
    const audioCaption = await refused(messageBody('audio', { audio: { link: 'https://cdn.example.com/a.ogg', caption: 'listen' } }));
    expect(audioCaption).toEqual({ message: 'Invalid parameter', details: 'audio.caption: is not allowed for audio (only image, video and document take a caption)' });
    // componentsRequest hands header currency/date_time parameters through unwrapped
    // ({type:'currency', code, amount_1000, fallback_value}): not Meta's parameter shape.
    const rawHeader = await refused(
      messageBody('template', {
        template: { name: 'n8n_order_update', language: { code: 'en_US' }, components: [{ type: 'header', parameters: [{ type: 'currency', code: 'EUR', amount_1000: 5, fallback_value: '€5' }] }] },
      }),
    );
    expect(rawHeader.details).toBe('template.components[0].parameters[0].code: is not a known field (allowed: type, currency, parameter_name)');
    // componentsRequest computes amount_1000 as Amount × 1000 in floating point: 4.03 gives
    // 4030.0000000000005, no whole number as Meta's amount_1000 is.
    const amount = 4.03 * 1000;
    expect(Number.isInteger(amount)).toBe(false);
    const float = await refused(
      messageBody('template', {
        template: {
          name: 'n8n_order_update',
          language: { code: 'en_US' },
          components: [{ type: 'body', parameters: [{ type: 'text', text: 'Jane' }, { type: 'currency', currency: { code: 'EUR', fallback_value: '€4.03', amount_1000: amount } }, { type: 'text', text: 'May 1' }] }],
        },
      }),
    );
    expect(float.details).toBe('template.components[0].parameters[1].currency.amount_1000: must be a whole number (the amount multiplied by 1000)');

    // A wrong key: 360dialog's 401 body (no `error`); sendErrorPostReceive's "> 399" branch throws
    // a NodeApiError with the response as it came.
    const stranger = await n8n({ method: 'POST', url: `${phoneNumberId}/messages`, body: messageBody('text', { text: { body: 'hi' } }) }, 'not-a-key');
    expect(stranger.status).toBe(401);
    expect(stranger.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
  });

  it('WhatsApp Trigger: the webhook bodies have what webhook() reads and filters on, but come unsigned', async () => {
    const from = '4917612340002';
    const id = await inbound(from, 'Ana', 'Do you have a table for two?');
    const reply = await send({ ...messageBody('text', { text: { body: 'Yes, at 8 pm.' } }), to: USER });

    /** WhatsAppTrigger.node.ts webhook(): each request's entry[].changes[] as {...value, field}. */
    const events = (): TriggerEvent[] =>
      receiver.requests.flatMap((r) => {
        const body = JSON.parse(r.body) as { object: string; entry: { changes: { field: string; value: Record<string, unknown> }[] }[] };
        expect(body.object).toBe('whatsapp_business_account');
        return body.entry.flatMap((e) => e.changes.map((c) => ({ ...c.value, field: c.field })));
      });

    const message = await waitUntil(`the webhook of ${id}`, () => events().find((e) => e.messages?.[0]?.id === id));
    expect(message).toMatchObject({
      field: 'messages',
      messaging_product: 'whatsapp',
      metadata: { phone_number_id: phoneNumberId },
      contacts: [{ profile: { name: 'Ana' }, wa_id: from }],
      messages: [{ from, id, type: 'text', text: { body: 'Do you have a table for two?' }, timestamp: expect.stringMatching(/^\d+$/) }],
    });
    expect(message.statuses).toBeUndefined();

    // Every message the node sent gets sent, delivered and read, each in an event of its own.
    const all = await waitUntil('sent, delivered and read of every message n8n sent', () => {
      const got = events().filter((e) => e.statuses);
      return sentIds.every((s) => ['sent', 'delivered', 'read'].every((st) => got.some((e) => e.statuses[0].id === s && e.statuses[0].status === st))) ? got : undefined;
    });
    for (const e of all) {
      expect(e.field).toBe('messages');
      expect(e.statuses).toHaveLength(1);
      expect(TRIGGER_STATUSES).toContain(e.statuses[0].status);
    }
    const mine = all.filter((e) => e.statuses[0].id === reply.id);
    expect(mine.map((e) => e.statuses[0].status).sort()).toEqual(['delivered', 'read', 'sent']);
    expect(mine.every((e) => e.statuses[0].recipient_id === USER)).toBe(true);

    // filterStatuses with "Receive Message Status Updates" = [read]: events without statuses pass,
    // status events only when a status of theirs is allowed; one status each, so one per message.
    const allowed = ['read'];
    const kept = events().filter((e) => !e.statuses || e.statuses.some((s: { status: string }) => allowed.includes(s.status)));
    expect(kept.filter((e) => e.statuses?.[0]?.id === reply.id).map((e) => e.statuses[0].status)).toEqual(['read']);
    expect(kept.some((e) => e.messages?.[0]?.id === id)).toBe(true);

    // "Message Template Status Update": the reviews of the templates created above.
    expect(events().filter((e) => e.field === 'message_template_status_update' && e.event === 'APPROVED').map((e) => e.message_template_name)).toEqual(
      expect.arrayContaining(['n8n_order_update', 'n8n_photo_promo']),
    );

    // webhook() first compares X-Hub-Signature-256 with HMAC-SHA256(app secret, raw body) and
    // answers {} (no workflow run) when they differ. 360dialog's channel webhooks, and openwaba's,
    // are unsigned (a custom header from the webhook config authenticates them), so the trigger as
    // written drops every one of them: n8n users of 360dialog take a generic Webhook node.
    expect(receiver.requests.length).toBeGreaterThan(sentIds.length * 3);
    for (const r of receiver.requests) expect(r.headers['x-hub-signature-256']).toBeUndefined();
  });
});
