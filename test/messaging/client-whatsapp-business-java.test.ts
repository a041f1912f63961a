// whatsapp-business-java-api (Bindambc/whatsapp-business-java-api, Maven
// com.github.Bindambc:whatsapp-business-java-api) replayed against openwaba. No JVM here, so each
// request below is the one the library builds, transcribed from its source in the code index
// (repository Bindambc/whatsapp-business-java-api, src/main/java/com/whatsapp/api/…):
//   service/WhatsappBusinessCloudApiService.java (commit 08f04fa3: the Retrofit paths
//     POST /{version}/{Phone-Number-ID}/messages, POST …/media (@Multipart), GET /{version}/{media-id},
//     GET @Url + @Headers("User-Agent:curl/7.64.1") (@Streaming), DELETE /{version}/{media-id}),
//   impl/WhatsappBusinessCloudApi.java (commit 08f04fa3: uploadMedia builds the parts
//     `file` (fileName, fileType) and `messaging_product` — no `type` part),
//   impl/WhatsappBusinessManagementApi.java (commit 11962239: createMessageTemplate → Template,
//     retrieveTemplates(waba, name) → MessageTemplates, deleteMessageTemplate → Response),
//   WhatsappApiServiceGenerator.java (commit 012c4b02: the Jackson mapper with
//     FAIL_ON_UNKNOWN_PROPERTIES off for API answers; executeDownloadSync reads the file name as
//     `Content-Disposition.split("=")[1]` and fails without that header),
//   domain/messages/*.java (Message: @JsonInclude(NON_NULL), its fields in declaration order
//     messaging_product, recipient_type, context, interactive, to, type, text, contacts, template,
//     audio, document, image, sticker, video, reaction, location; TextMessage: preview_url a
//     primitive boolean, so always written; LocationMessage: longitude and latitude are Strings;
//     InteractiveMessage: action, type, header, body, footer; Action: catalog_id,
//     product_retailer_id, button, buttons, sections; messages/Component: type is
//     templates/type/ComponentType, an enum without @JsonValue — written "BODY"/"HEADER";
//     ParameterType: "text", "currency", "date_time"; ReadMessage: messaging_product, status, message_id),
//   domain/media/Media.java (record: sha256, mime_type, messaging_product, id, url, file_size as
//     String — Jackson turns the number into a string), UploadResponse.java (id),
//   domain/messages/response/MessageResponse.java (messaging_product, contacts, messages),
//   domain/response/Response.java (success: a primitive boolean),
//   domain/templates/response/Template.java (components, name, language, id, category: the
//     templates/type/Category enum, previous_category, status), MessageTemplates.java (data, paging),
//   domain/webhook/WebHook.java (commit 1cdcbb04: constructEvent uses a *default* ObjectMapper,
//     so an unknown property fails the parse where the record lacks @JsonIgnoreProperties:
//     WebHookEvent, Entry, Value and Message do; Change, Contact, Metadata, Text, Status do not).
//
// The adaptation is a 360dialog user's (reference §4): the library's base domain
// (WhatsappApiConfig.setBaseDomain) and its absolute Retrofit paths "/{version}/{Phone-Number-ID}/…"
// become openwaba's Cloud paths without the version and phone-number id (/messages, /media,
// /{media-id}, /message_templates: openwaba serves the Cloud API at the root, as 360dialog does,
// and the other replays set their base URL the same way); the AuthenticationInterceptor's
// `Authorization: Bearer <token>` is sent as D360-API-KEY. OkHttp's own headers (User-Agent
// okhttp/4.x, Accept-Encoding gzip) and Retrofit's JSON content type are sent as they are.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplayConversation, storedMessage } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import type { TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, sha256, uploadSample, userWrites } from './media-fixtures.ts';

const WAMID = /^wamid\.[\w=+/-]+$/;
/** What OkHttp adds to every request. */
const OKHTTP = { 'user-agent': 'okhttp/4.12.0', 'accept-encoding': 'gzip', connection: 'Keep-Alive' };

/**
 * OkHttp's MultipartBody for uploadMedia's parts (file first, then messaging_product): each part
 * with Content-Disposition, its Content-Type when the RequestBody has one, and Content-Length.
 */
function okhttpMultipart(parts: [string, string | { filename: string; data: Buffer; type: string }][]) {
  const boundary = '0f9d3e25-7c61-4bb1-9a8e-5b2c6d1e4f70'; // UUID.randomUUID()
  const chunks: Buffer[] = [];
  for (const [name, v] of parts) {
    if (typeof v === 'string') chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\nContent-Length: ${Buffer.byteLength(v)}\r\n\r\n${v}\r\n`));
    else chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${v.filename}"\r\nContent-Type: ${v.type}\r\nContent-Length: ${v.data.length}\r\n\r\n`), v.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * The properties a record named in the header declares, for the records WebHook's default
 * ObjectMapper reads strictly (no @JsonIgnoreProperties): any other key there fails constructEvent.
 */
const STRICT = {
  WebHookEvent: ['entry', 'object'],
  Entry: ['changes', 'id', 'time'],
  Value: ['metadata', 'messaging_product', 'messages', 'contacts', 'statuses', 'event', 'phone_number', 'message_template_id', 'message_template_name', 'message_template_language', 'reason', 'display_phone_number', 'decision', 'requested_verified_name', 'rejection_reason', 'disable_info', 'current_limit', 'ban_info', 'restriction_info'],
  Message: ['reaction', 'image', 'sticker', 'location', 'contacts', 'button', 'context', 'from', 'id', 'text', 'errors', 'type', 'interactive', 'timestamp', 'referral', 'order', 'system', 'video', 'audio', 'document'],
};
/** MessageType (messages/type/MessageType.java): Message.type must be one of these. */
const MESSAGE_TYPES = ['audio', 'button', 'contacts', 'document', 'location', 'text', 'template', 'image', 'interactive', 'order', 'reaction', 'sticker', 'system', 'unknown', 'video', 'unsupported', 'hsm'];

/** The keys WebHook.constructEvent would refuse in a payload (path: key). */
function jacksonStrictUnknowns(event: any): string[] {
  const out: string[] = [];
  const check = (o: any, record: keyof typeof STRICT, path: string) => {
    for (const k of Object.keys(o ?? {})) if (!STRICT[record].includes(k)) out.push(`${path}.${k}`);
  };
  check(event, 'WebHookEvent', '$');
  event.entry.forEach((e: any, i: number) => {
    check(e, 'Entry', `entry[${i}]`);
    e.changes.forEach((c: any, j: number) => {
      check(c.value, 'Value', `entry[${i}].changes[${j}].value`);
      (c.value.messages ?? []).forEach((m: any, k: number) => check(m, 'Message', `entry[${i}].changes[${j}].value.messages[${k}]`));
    });
  });
  return out;
}

describeEachDb('client: whatsapp-business-java-api (its requests replayed) against the Cloud Messaging API', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phoneId: string;
  const USER = '5511987654321';
  let inboundId: string;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key, ...OKHTTP });
  /** Retrofit's JacksonConverterFactory: `Content-Type: application/json; charset=UTF-8`. */
  const jsonHeaders = () => ({ ...key(), 'Content-Type': 'application/json; charset=UTF-8' });
  const post = (path: string, body: unknown) => t.request('POST', path, { headers: jsonHeaders(), raw: JSON.stringify(body) });

  /**
   * WhatsappBusinessCloudApi.sendMessage → MessageResponse: the app reads messages.get(0).id()
   * and contacts.get(0).waId()/input() (messages/response/Message.java, Contact.java).
   */
  async function sendMessage(message: Record<string, unknown>) {
    const res = await post('/messages', message);
    expect(res.status, res.text).toBe(200);
    expect(res.body.messaging_product).toBe('whatsapp');
    expect(res.body.messages[0].id).toMatch(WAMID);
    expect(res.body.contacts[0]).toMatchObject({ input: message.to, wa_id: message.to });
    return res.body.messages[0].id as string;
  }
  const stored = (id: string) => storedMessage(t, p.channel_id, id);
  /** Message's fixed head: messaging_product, recipient_type, (context), to, type — in that order. */
  const head = (type: string, context?: string) => ({ messaging_product: 'whatsapp', recipient_type: 'individual', ...(context ? { context: { message_id: context } } : {}), to: USER, type });

  beforeAll(async () => {
    ({ t, p, receiver, phoneId, inboundId } = await startReplayConversation(kind, { from: USER, name: 'Mauricio', text: 'Olá' }));
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('text (preview_url always written), a reply with context, location with string coordinates, reaction', async () => {
    // TextMessage.previewUrl is a primitive boolean: `"preview_url":false` even when never set.
    const text = await sendMessage({ ...head('text'), text: { preview_url: false, body: 'Hello world!\nSome code here: \n```hello world```' } });
    expect((await stored(text)).content).toEqual({ preview_url: false, body: 'Hello world!\nSome code here: \n```hello world```' });
    // Message.MessageBuilder.setContext(new Context(messageId)): context comes before to and type.
    const reply = await sendMessage({ ...head('text', inboundId), text: { preview_url: true, body: 'https://github.com/Bindambc/whatsapp-business-java-api' } });
    expect((await stored(reply)).context_id).toBe(inboundId);

    // LocationMessage's coordinates are Strings: Meta's API takes numeric strings, and so does openwaba.
    const loc = await sendMessage({ ...head('location'), location: { longitude: '-46.662787', latitude: '-23.553610', name: 'Avenida Paulista', address: 'Av. Paulista, 1578 - Bela Vista, São Paulo' } });
    expect((await stored(loc)).type).toBe('location');

    const react = await sendMessage({ ...head('reaction'), reaction: { message_id: inboundId, emoji: '\u{1f600}' } });
    expect((await stored(react)).content).toEqual({ message_id: inboundId, emoji: '\u{1f600}' });
  });

  it('media by id and by link (NON_NULL: absent fields are left out), document with filename', async () => {
    const jpg = await uploadSample(t, p.channel_api_key, 'photo.jpg');
    // ImageMessage extends MediaMessage (id, link) + caption.
    const img = await sendMessage({ ...head('image'), image: { id: jpg.id, caption: 'Image with caption' } });
    expect((await stored(img)).content).toMatchObject({ id: jpg.id, caption: 'Image with caption' });
    const byLink = await sendMessage({ ...head('image'), image: { link: 'https://upload.wikimedia.org/wikipedia/commons/3/3f/JPEG_example_flower.jpg' } });
    expect((await stored(byLink)).content).toMatchObject({ link: 'https://upload.wikimedia.org/wikipedia/commons/3/3f/JPEG_example_flower.jpg' });

    const pdf = await uploadSample(t, p.channel_api_key, 'invoice.pdf');
    const doc = await sendMessage({ ...head('document'), document: { id: pdf.id, caption: 'Hello', filename: 'Invoice.pdf' } });
    expect((await stored(doc)).content).toMatchObject({ id: pdf.id, filename: 'Invoice.pdf' });

    const ogg = await uploadSample(t, p.channel_api_key, 'voice.ogg');
    await sendMessage({ ...head('audio'), audio: { id: ogg.id } });
    const mp4 = await uploadSample(t, p.channel_api_key, 'clip.mp4');
    await sendMessage({ ...head('video'), video: { id: mp4.id, caption: 'Video' } });
    const webp = await uploadSample(t, p.channel_api_key, 'static.webp');
    await sendMessage({ ...head('sticker'), sticker: { id: webp.id } });
  });

  it('contacts, interactive reply buttons and a list (InteractiveMessage: action first)', async () => {
    // ContactMessage → Message.contactMessage (a List<Contact>): the library's test fixture contact.
    await sendMessage({
      ...head('contacts'),
      contacts: [
        {
          addresses: [{ city: 'Menlo Park', country: 'United States', country_code: 'us', state: 'CA', street: '1 Hacker Way', type: 'HOME', zip: '94025' }],
          emails: [{ email: 'test@test.com', type: 'WORK' }],
          name: { formatted_name: 'Mauricio Binda', first_name: 'Mauricio', last_name: 'Binda' },
          org: { company: 'Company', department: 'IT', title: 'Dev' },
          phones: [{ phone: '+1 (940) 555-1234', type: 'HOME', wa_id: '16505551234' }],
          urls: [{ url: 'https://www.facebook.com', type: 'WORK' }],
        },
      ],
    });

    const buttons = await sendMessage({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      interactive: {
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'UNIQUE_BUTTON_ID_1', title: 'BUTTON_TITLE_1' } },
            { type: 'reply', reply: { id: 'UNIQUE_BUTTON_ID_2', title: 'BUTTON_TITLE_2' } },
          ],
        },
        type: 'button',
        header: { type: 'text', text: 'Header' },
        body: { text: 'Body message' },
        footer: { text: 'Footer' },
      },
      to: USER,
      type: 'interactive',
    });
    expect((await stored(buttons)).content).toMatchObject({ type: 'button', action: { buttons: [{ reply: { id: 'UNIQUE_BUTTON_ID_1' } }, { reply: { id: 'UNIQUE_BUTTON_ID_2' } }] } });

    const list = await sendMessage({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      interactive: {
        action: {
          button: 'Choose',
          sections: [
            {
              title: 'Section 1',
              rows: [
                { id: 'SECTION_1_ROW_1_ID', title: 'Title 1', description: 'Description 1' },
                { id: 'SECTION_1_ROW_2_ID', title: 'Title 2', description: 'Description 2' },
              ],
            },
          ],
        },
        type: 'list',
        header: { type: 'text', text: 'Header' },
        body: { text: 'Body message' },
        footer: { text: 'Footer' },
      },
      to: USER,
      type: 'interactive',
    });
    expect((await stored(list)).content).toMatchObject({ type: 'list', action: { button: 'Choose' } });
  });

  it('templates: createMessageTemplate → Template, retrieveTemplates(name) → MessageTemplates, a send with "BODY" components, deleteMessageTemplate → Response', async () => {
    // MessageTemplate (name, language, category, components): templates/Component's type is the
    // same upper-case ComponentType; Example's body_text a List<List<String>>.
    const created = await post('/message_templates', {
      name: 'java_order_status',
      language: 'pt_BR',
      category: 'UTILITY',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Pedido {{1}}', example: { header_text: ['#987'] } },
        { type: 'BODY', text: 'Olá {{1}}, seu pedido saiu para entrega.', example: { body_text: [['Maria']] } },
        { type: 'FOOTER', text: 'Obrigado' },
      ],
    });
    expect(created.status, created.text).toBe(200);
    // Template: id a String; category deserialized into templates/type/Category (AUTHENTICATION,
    // UTILITY, MARKETING and the retired ones): any other value would fail Jackson's enum read.
    expect(created.body).toMatchObject({ id: expect.any(String), status: expect.any(String), category: 'UTILITY' });

    await waitUntil('java_order_status approved', async () => {
      const res = await t.get('/message_templates', { headers: key(), query: { name: 'java_order_status' } });
      return res.body.data?.[0]?.status === 'APPROVED';
    });
    // retrieveTemplates(waba, name): GET …/message_templates?name=… → MessageTemplates(data, paging).
    const list = await t.get('/message_templates', { headers: key(), query: { name: 'java_order_status' } });
    expect(list.status, list.text).toBe(200);
    const tpl = list.body.data[0];
    expect(tpl).toMatchObject({ name: 'java_order_status', language: 'pt_BR', id: created.body.id, category: 'UTILITY', status: 'APPROVED' });
    expect(['AUTHENTICATION', 'UTILITY', 'MARKETING']).toContain(tpl.category);
    expect(tpl.components.map((c: any) => c.type)).toEqual(['HEADER', 'BODY', 'FOOTER']);
    // MessageTemplates.paging (Paging → Cursors before/after) may be null; where given, strings.
    if (list.body.paging !== undefined) expect(list.body.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });

    // TemplateMessage (components, name, language{code}) with messages/Component types "HEADER" and
    // "BODY" as the enum names them: Meta compares component types without regard to case.
    const sent = await sendMessage({
      ...head('template'),
      template: {
        components: [
          { type: 'HEADER', parameters: [{ type: 'text', text: '#987' }] },
          { type: 'BODY', parameters: [{ type: 'text', text: 'Maria' }] },
        ],
        name: 'java_order_status',
        language: { code: 'pt_BR' },
      },
    });
    expect((await stored(sent)).type).toBe('template');

    const del = await t.delete('/message_templates', { headers: key(), query: { name: 'java_order_status' } });
    expect(del.status, del.text).toBe(200);
    // Response(boolean success): a missing "success" would read as false.
    expect(del.body).toEqual({ success: true });
  });

  it('media: uploadMedia (no type part) → retrieveMediaUrl → downloadMediaFile (Content-Disposition) → deleteMedia', async () => {
    const sample = SAMPLES.find((s) => s.name === 'photo.jpg')!;
    // uploadMedia(phoneNumberId, "photo.jpg", FileType.JPEG, bytes): the file part carries the type;
    // the library sends no `type` field, which openwaba then takes from the part's Content-Type.
    const form = okhttpMultipart([
      ['file', { filename: 'photo.jpg', data: sample.data, type: 'image/jpeg' }],
      ['messaging_product', 'whatsapp'],
    ]);
    const up = await t.request('POST', '/media', { headers: { ...key(), 'Content-Type': form.contentType }, raw: form.body });
    expect(up.status, up.text).toBe(200);
    expect(up.body).toEqual({ id: expect.any(String) });
    const id = up.body.id as string;

    // retrieveMediaUrl: GET /{version}/{media-id} → the Media record.
    const info = await t.get(`/${id}`, { headers: key() });
    expect(info.status, info.text).toBe(200);
    expect(info.body).toEqual({ messaging_product: 'whatsapp', url: expect.any(String), mime_type: 'image/jpeg', sha256: sha256(sample.data), file_size: sample.data.length, id });

    // downloadMediaFile(url): GET @Url with User-Agent curl/7.64.1 (the service's @Headers) and the
    // bearer (the key here); executeDownloadSync takes Content-Disposition (required: a missing one is a
    // NullPointerException) and the name after its first "=".
    const file = await t.request('GET', info.body.url, { headers: { ...key(), 'user-agent': 'curl/7.64.1' } });
    expect(file.status).toBe(200);
    const disposition = file.headers['content-disposition'];
    expect(typeof disposition).toBe('string');
    // The library keeps the quotes of a quoted filename (it splits on "=" and does no unquoting):
    // `"photo.jpg"` is the name it hands back; Meta's CDN answers a quoted name too.
    expect((disposition as string).split('=')[1]).toBe('"photo.jpg"');
    const bytes = await fetch(info.body.url, { headers: { 'D360-API-KEY': p.channel_api_key, 'user-agent': 'curl/7.64.1' } }).then(async (r) => Buffer.from(await r.arrayBuffer()));
    expect(bytes.equals(sample.data)).toBe(true);

    // deleteMedia → Response(success).
    const del = await t.delete(`/${id}`, { headers: key() });
    expect(del.status, del.text).toBe(200);
    expect(del.body).toEqual({ success: true });
    // A download after the delete: executeDownloadSync maps a 404 to its own "Not found" error.
    expect((await t.request('GET', info.body.url, { headers: { ...key(), 'user-agent': 'curl/7.64.1' } })).status).toBe(404);
  });

  it('markMessageAsRead(ReadMessage) → Response(success true); the inbound message is read', async () => {
    const later = await userWrites(t, p.channel_api_key, { from: USER, type: 'text', text: { body: 'Leu?' } });
    const res = await post('/messages', { messaging_product: 'whatsapp', status: 'read', message_id: later });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect((await stored(later)).status).toBe('read');
  });

  it("webhooks: an inbound text and the statuses of a send, as WebHook.constructEvent's records read them", async () => {
    await userWrites(t, p.channel_api_key, { from: USER, name: 'Mauricio', type: 'text', text: { body: 'webhook test' } });
    const inbound = await receiver.waitForBody('the inbound text', (bodies) => bodies.find((b) => b.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.text?.body === 'webhook test'));
    const change = inbound.entry[0].changes[0];
    // Change.field is FieldType ("messages"); Value.metadata (Metadata: phone_number_id, display_phone_number).
    expect(change.field).toBe('messages');
    expect(change.value.metadata).toMatchObject({ phone_number_id: phoneId, display_phone_number: expect.any(String) });
    expect(change.value.contacts[0]).toMatchObject({ profile: { name: 'Mauricio' }, wa_id: USER });
    const msg = change.value.messages[0];
    expect(msg).toMatchObject({ from: USER, id: expect.stringMatching(WAMID), timestamp: expect.stringMatching(/^\d+$/), type: 'text' });
    expect(MESSAGE_TYPES).toContain(msg.type);
    // Entry.time is a primitive long: absent is 0, but a present one must be a number.
    if (inbound.entry[0].time !== undefined) expect(typeof inbound.entry[0].time).toBe('number');
    // The one key WebHook's strict records refuse is the message's `from_user_id`: the user's BSUID,
    // which Meta sends on every inbound message since BSUIDs (reference: "newer BSUID fields
    // (`from_user_id`, `user_id`)"), and openwaba sends as Meta does. The library is wrong here, not
    // openwaba: its webhook/Message record has no @JsonIgnoreProperties and WebHook's ObjectMapper keeps
    // FAIL_ON_UNKNOWN_PROPERTIES on, so constructEvent throws on Meta's own payloads too (Graph adds
    // webhook fields without a version bump). Everything else is within the records.
    expect(jacksonStrictUnknowns(inbound)).toEqual(['entry[0].changes[0].value.messages[0].from_user_id']);
    expect(msg.from_user_id).toEqual(expect.any(String));

    const id = await sendMessage({ ...head('text'), text: { preview_url: false, body: 'status please' } });
    const statuses = await receiver.waitForBody(`sent, delivered, read of ${id}`, (bodies) => {
      const s = bodies.filter((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]?.id === id);
      return s.length >= 3 ? s : undefined;
    });
    for (const b of statuses) {
      expect(jacksonStrictUnknowns(b)).toEqual([]);
      // Status: id, recipient_id, status (MessageStatus: sent, delivered, read, failed, deleted), timestamp.
      expect(b.entry[0].changes[0].value.statuses[0]).toMatchObject({ id, recipient_id: USER, status: expect.stringMatching(/^(sent|delivered|read)$/), timestamp: expect.stringMatching(/^\d+$/) });
    }
  });
});
