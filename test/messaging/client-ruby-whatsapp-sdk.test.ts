// ruby_whatsapp_sdk (ignacio-chiazzo/ruby_whatsapp_sdk, the `whatsapp_sdk` gem) replayed against
// openwaba. Ruby gems cannot be installed here, so each request below is the one the gem builds,
// transcribed from its source in the code index (repository ignacio-chiazzo/ruby_whatsapp_sdk):
//   lib/whatsapp_sdk/api/client.rb (commit b326b7d5: send_request, download_file, request_params,
//     faraday: Faraday with :multipart (uploads only) and :url_encoded, `Authorization: Bearer`),
//   lib/whatsapp_sdk/api/messages.rb (commit 013386e7: send_text, send_location, send_image,
//     send_audio, send_video, send_document, send_sticker, send_contacts, send_interactive_message
//     (= send_interactive_reply_buttons / send_interactive_list_messages), read_message,
//     send_template, send_reaction, send_typing_indicator; endpoint(sender_id) = "#{sender_id}/messages"),
//   lib/whatsapp_sdk/api/medias.rb (commit 0242452e: media, download, upload, delete),
//   lib/whatsapp_sdk/api/business_profile.rb (commit 2719d1d1: details with DEFAULT_FIELDS, update),
//   lib/whatsapp_sdk/api/templates.rb (commit 1ce20c57: create, list, delete),
//   and the response parsers it builds its return values with:
//   lib/whatsapp_sdk/api/responses/message_data_response.rb (contacts[].input/wa_id, messages[].id;
//     nil unless response["messages"]), media_data_response.rb (id, url, mime_type, sha256,
//     file_size typed Integer, messaging_product; nil unless response["id"]),
//   success_response.rb (response["success"]), template_data_response.rb (id, status, category).
//
// The only adaptation is a 360dialog user's (reference §4): the gem's base URL
// https://graph.facebook.com/<api_version>/ and the "#{sender_id}/" / "#{business_id}/" prefixes are
// dropped, and `Authorization: Bearer <token>` is sent as D360-API-KEY. The bodies are byte for byte
// what the gem sends: Ruby's Hash#to_json for the JSON calls (compact, UTF-8 kept), Faraday's
// url_encoded middleware for a params Hash sent without `Content-Type: application/json`
// (BusinessProfile#update), multipart-post's encoding for Medias#upload; Faraday's User-Agent and
// Net::HTTP's Accept / Accept-Encoding.
//
// openwaba fix found by this replay: BusinessProfile#update posts its Hash without a JSON content
// type, so Faraday form-encodes it (`about=…&websites[]=…&messaging_product=whatsapp`); Graph takes
// form parameters on every POST but openwaba's POST /whatsapp_business_profile only parsed JSON.
//
// Where the gem itself is wrong (not openwaba), the test says so at the call.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplayConversation, storedMessage } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import type { TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, sha256, uploadSample, userWrites } from './media-fixtures.ts';

const WAMID = /^wamid\.[\w=+/-]+$/;
/** What Faraday (Net::HTTP adapter) adds to every request. */
const FARADAY = { 'user-agent': 'Faraday v2.12.2', accept: '*/*', 'accept-encoding': 'gzip;q=1.0,deflate;q=0.6,identity;q=0.3' };

/**
 * Faraday's url_encoded middleware with its default NestedParamsEncoder: keys in the Hash's order,
 * arrays as `key[]=v`, spaces as `+` (Faraday::Utils.escape).
 */
function faradayForm(params: Record<string, string | string[]>): string {
  const esc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const out: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) for (const x of v) out.push(`${esc(`${k}[]`)}=${esc(x)}`);
    else out.push(`${esc(k)}=${esc(v)}`);
  }
  return out.join('&');
}

/**
 * multipart-post (Faraday::Multipart) for Medias#upload's params {messaging_product:, file:
 * Faraday::FilePart.new(file_path, type), type:}: the parts in the Hash's order, the file part with
 * Content-Length, Content-Type and Content-Transfer-Encoding: binary, the closing `--b--\r\n\r\n`.
 */
function rubyMultipart(fields: [string, string | { filename: string; data: Buffer; type: string }][]) {
  const boundary = '-----------RubyMultipartPost-6f1a04d3c5e5a9b1f3b7a2d9e0c4f8a1';
  const chunks: Buffer[] = [];
  for (const [name, v] of fields) {
    if (typeof v === 'string') chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${v}\r\n`));
    else {
      chunks.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${v.filename}"\r\nContent-Length: ${v.data.length}\r\nContent-Type: ${v.type}\r\nContent-Transfer-Encoding: binary\r\n\r\n`),
        v.data,
        Buffer.from('\r\n'),
      );
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

describeEachDb('client: ruby_whatsapp_sdk (its requests replayed) against the Cloud Messaging API', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phoneId: string;
  const USER = '5491123456789';
  let inboundId: string;
  /** Client#faraday's headers: the token (as 360dialog's key) and Faraday's own. */
  const base = () => ({ 'D360-API-KEY': p.channel_api_key, ...FARADAY });
  /** Messages::DEFAULT_HEADERS / Templates::DEFAULT_HEADERS. */
  const json = () => ({ ...base(), 'Content-Type': 'application/json' });

  /** Client#send_request with JSON headers: request_params gives params.to_json. */
  const postJson = (path: string, params: unknown) => t.request('POST', path, { headers: json(), raw: JSON.stringify(params) });

  /**
   * A Messages#send_* call: POST "#{sender_id}/messages" → MessageDataResponse.build_from_response,
   * which is nil unless response["messages"]; the gem's users read messages.first.id and
   * contacts.first.wa_id / input (ContactResponse).
   */
  async function send(params: Record<string, unknown>) {
    const res = await postJson('/messages', params);
    expect(res.status, res.text).toBe(200);
    expect(res.body.messages).toEqual([expect.objectContaining({ id: expect.stringMatching(WAMID) })]);
    expect(res.body.contacts[0]).toEqual(expect.objectContaining({ input: params.to, wa_id: params.to }));
    return res.body.messages[0].id as string;
  }
  const stored = (id: string) => storedMessage(t, p.channel_id, id);
  /** The gem's fixed envelope: messaging_product, to, recipient_type, type (send_text's key order). */
  const env = (type: string, to = USER) => ({ messaging_product: 'whatsapp', to, recipient_type: 'individual', type });

  beforeAll(async () => {
    ({ t, p, receiver, phoneId, inboundId } = await startReplayConversation(kind, { from: USER, name: 'Ignacio', text: 'Hola' }));
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('send_text (with and without message_id), send_location, send_reaction, send_contacts (contacts_json)', async () => {
    const text = await send({ ...env('text'), text: { body: 'Hey there! it’s Whatsapp Ruby SDK' } });
    expect((await stored(text)).content).toEqual({ body: 'Hey there! it’s Whatsapp Ruby SDK' });
    const reply = await send({ ...env('text'), text: { body: 'Replying' }, context: { message_id: inboundId } });
    expect((await stored(reply)).context_id).toBe(inboundId);

    // send_location(longitude:, latitude:, name:, address:): longitude first, as the gem writes it.
    const loc = await send({ ...env('location'), location: { longitude: -75.6898604, latitude: 45.4215296, name: 'Ignacio', address: 'My house' } });
    expect((await stored(loc)).content).toEqual({ longitude: -75.6898604, latitude: 45.4215296, name: 'Ignacio', address: 'My house' });

    // send_reaction: recipient_type before to; the emoji as a literal string.
    const react = await send({ messaging_product: 'whatsapp', recipient_type: 'individual', to: USER, type: 'reaction', reaction: { message_id: inboundId, emoji: '\u{1f415}' } });
    expect((await stored(react)).content).toEqual({ message_id: inboundId, emoji: '\u{1f415}' });

    // send_contacts(contacts_json:): the README's example contact (Resource::Contact#to_h shape).
    const contacts = [
      {
        addresses: [{ street: '1 Hacker Way', city: 'Menlo Park', state: 'CA', zip: '94025', country: 'United States', country_code: 'US', type: 'HOME' }],
        birthday: '1995-01-01',
        emails: [{ email: 'ignacio@example.com', type: 'WORK' }],
        name: { formatted_name: 'Ignacio Chiazzo', first_name: 'Ignacio', last_name: 'Chiazzo' },
        org: { company: 'Example', department: 'Dev', title: 'Engineer' },
        phones: [{ phone: '+1 (616) 9540-3265', type: 'HOME', wa_id: '16315551234' }],
        urls: [{ url: 'https://www.example.com', type: 'WORK' }],
      },
    ];
    const card = await send({ ...env('contacts'), contacts });
    expect((await stored(card)).type).toBe('contacts');
  });

  it('media messages by link (caption "" by default) and by an uploaded id; document filename; sticker and audio', async () => {
    const png = await uploadSample(t, p.channel_api_key, 'chart.png');
    // send_image(link:): {link:, caption: ""}: the gem always sends caption, "" when none is given.
    const byLink = await send({ ...env('image'), image: { link: 'https://www.example.com/logo.png', caption: '' } });
    expect((await stored(byLink)).content).toMatchObject({ link: 'https://www.example.com/logo.png' });
    const byId = await send({ ...env('image'), image: { id: png.id, caption: 'Ignacio Chiazzo Profile' } });
    expect((await stored(byId)).content).toMatchObject({ id: png.id, caption: 'Ignacio Chiazzo Profile' });

    const pdf = await uploadSample(t, p.channel_api_key, 'invoice.pdf');
    // send_document(document_id:, filename:): {id:, caption: ""} merged with {filename:}.
    const doc = await send({ ...env('document'), document: { id: pdf.id, caption: '', filename: 'factura.pdf' } });
    expect((await stored(doc)).content).toMatchObject({ id: pdf.id, filename: 'factura.pdf' });

    const webp = await uploadSample(t, p.channel_api_key, 'static.webp');
    await send({ ...env('sticker'), sticker: { id: webp.id } });

    const ogg = await uploadSample(t, p.channel_api_key, 'voice.ogg');
    // send_audio passes multipart: true to send_request: Faraday gets the :multipart middleware too,
    // but the params are already a JSON string (request_params), so the body stays JSON.
    await send({ ...env('audio'), audio: { id: ogg.id } });

    const mp4 = await uploadSample(t, p.channel_api_key, 'clip.mp4');
    await send({ ...env('video'), video: { id: mp4.id, caption: '' } });
  });

  it('send_interactive_reply_buttons and send_interactive_list_messages (Resource::Interactive#to_json)', async () => {
    // Interactive#to_json: {type:, header:, body: {text:}, footer: {text:}, action:} with
    // InteractiveActionReplyButton#to_json {type: "reply", reply: {id:, title:}}.
    const buttons = await send({
      ...env('interactive'),
      interactive: {
        type: 'button',
        header: { type: 'text', text: 'I am the header!' },
        body: { text: 'I am the body!' },
        footer: { text: 'I am the footer!' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'button_1', title: 'I am the button 1' } },
            { type: 'reply', reply: { id: 'button_2', title: 'I am the button 2' } },
          ],
        },
      },
    });
    expect((await stored(buttons)).content).toMatchObject({ type: 'button', action: { buttons: [{ reply: { id: 'button_1' } }, { reply: { id: 'button_2' } }] } });

    // The list: InteractiveAction {button:, sections: [InteractiveActionSection {title:, rows: [{id:, title:, description:}]}]}.
    const list = await send({
      ...env('interactive'),
      interactive: {
        type: 'list',
        header: { type: 'text', text: 'I am the header!' },
        body: { text: 'I am the body!' },
        footer: { text: 'I am the footer!' },
        action: {
          button: 'I am the button CTA',
          sections: [
            {
              title: 'I am the section 1',
              rows: [
                { id: 'section_1_row_1', title: 'I am the row 1 title', description: 'I am the optional section 1 row 1 description' },
                { id: 'section_1_row_2', title: 'I am the row 2 title', description: 'I am the optional section 1 row 2 description' },
              ],
            },
            { title: 'I am the section 2', rows: [{ id: 'section_2_row_1', title: 'I am the row 1 title', description: 'I am the optional section 2 row 1 description' }] },
          ],
        },
      },
    });
    expect((await stored(list)).content).toMatchObject({ type: 'list', action: { button: 'I am the button CTA' } });

    // The user taps the first button; the webhook carries interactive.button_reply as Meta's does.
    await userWrites(t, p.channel_api_key, { from: USER, type: 'interactive', context: { id: buttons }, interactive: { type: 'button_reply', button_reply: { id: 'button_1', title: 'I am the button 1' } } });
    const tap = await receiver.waitForBody('the button reply', (bodies) =>
      bodies.map((b) => b.entry?.[0]?.changes?.[0]?.value).find((v) => v?.messages?.[0]?.interactive?.button_reply?.id === 'button_1'),
    );
    expect(tap.metadata.phone_number_id).toBe(phoneId);
    expect(tap.messages[0]).toMatchObject({ from: USER, type: 'interactive', context: { id: buttons } });
  });

  it('templates: Templates#create (components_json), #list (limit=100), send_template with components (Component#to_json), #delete', async () => {
    // Templates#create: POST "#{business_id}/message_templates" {name:, category:, language:, components:}.
    const created = await postJson('/message_templates', {
      name: 'ruby_order_update',
      category: 'UTILITY',
      language: 'en_US',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['#1234'] } },
        { type: 'BODY', text: 'Hi {{1}}, your total is {{2}}, due {{3}}.', example: { body_text: [['Ana', '$100.99', 'May 1']] } },
        { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Track' }] },
      ],
    });
    expect(created.status, created.text).toBe(200);
    // Resource::Template.from_hash / TemplateDataResponse: id (a String), status and category
    // deserialized with Template::Status / Category (PENDING_DELETION, APPROVED, PENDING, REJECTED;
    // AUTHENTICATION, MARKETING, UTILITY): a value outside those is nil in the gem.
    expect(created.body).toMatchObject({ id: expect.any(String), status: expect.stringMatching(/^(PENDING|APPROVED|REJECTED)$/), category: 'UTILITY' });

    // Templates#list(limit: 100): GET with params {"limit" => 100} (Faraday puts a GET's params in the query).
    await waitUntil('ruby_order_update approved', async () => {
      const res = await t.get('/message_templates', { headers: base(), query: { limit: '100' } });
      expect(res.status, res.text).toBe(200);
      return res.body.data.find((x: any) => x.name === 'ruby_order_update')?.status === 'APPROVED';
    });
    const list = await t.get('/message_templates', { headers: base(), query: { limit: '100' } });
    // parse_templates maps response['data'] with Template.from_hash; response.dig('paging', 'cursors', 'before' / 'after').
    for (const tpl of list.body.data) expect(tpl).toMatchObject({ id: expect.any(String), name: expect.any(String), status: expect.any(String), category: expect.any(String), language: expect.any(String) });
    // dig is nil-safe: paging may be absent; where given, its cursors are strings.
    if (list.body.paging !== undefined) expect(list.body.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });

    // send_template(components:): components.map(&:to_json) — Component#to_json {type:, parameters:}
    // (button components add sub_type and index), parameters as ParameterObject#to_json.
    const sent = await send({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: USER,
      type: 'template',
      template: {
        name: 'ruby_order_update',
        language: { code: 'en_US' },
        components: [
          { type: 'header', parameters: [{ type: 'text', text: '#1234' }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana' },
              { type: 'currency', currency: { fallback_value: '$100.99', code: 'USD', amount_1000: 100990 } },
              { type: 'date_time', date_time: { fallback_value: 'May 1' } },
            ],
          },
          { type: 'button', sub_type: 'quick_reply', index: 0, parameters: [{ type: 'payload', payload: 'track-1234' }] },
        ],
      },
    });
    expect((await stored(sent)).type).toBe('template');

    // Templates#delete(name:): DELETE with params {name:} (in the query) → SuccessResponse.success_response?.
    const del = await t.delete('/message_templates', { headers: base(), query: { name: 'ruby_order_update' } });
    expect(del.status, del.text).toBe(200);
    expect(del.body).toEqual({ success: true });
  });

  it('read_message and send_typing_indicator: {success: true} (SuccessResponse); the status of the inbound message is read', async () => {
    const later = await userWrites(t, p.channel_api_key, { from: USER, type: 'text', text: { body: '¿Leíste?' } });
    const read = await postJson('/messages', { messaging_product: 'whatsapp', status: 'read', message_id: later });
    expect(read.status, read.text).toBe(200);
    expect(read.body).toEqual({ success: true });
    expect((await stored(later)).status).toBe('read');

    // send_typing_indicator adds recipient_type "individual" to the mark-as-read body, which Meta's
    // docs do not list for it; Graph ignores it, and openwaba accepts it too.
    const typing = await postJson('/messages', { messaging_product: 'whatsapp', recipient_type: 'individual', status: 'read', message_id: inboundId, typing_indicator: { type: 'text' } });
    expect(typing.status, typing.text).toBe(200);
    expect(typing.body).toEqual({ success: true });
  });

  it('Medias: upload (multipart-post body) → media (MediaDataResponse) → download (Net::HTTP) → delete', async () => {
    const sample = SAMPLES.find((s) => s.name === 'chart.png')!;
    // Medias#upload: params {messaging_product: "whatsapp", file: FilePart(file_path, type), type:}.
    const form = rubyMultipart([
      ['messaging_product', 'whatsapp'],
      ['file', { filename: 'chart.png', data: sample.data, type: sample.mime }],
      ['type', sample.mime],
    ]);
    const up = await t.request('POST', '/media', { headers: { ...base(), 'Content-Type': form.contentType }, raw: form.body });
    expect(up.status, up.text).toBe(200);
    // MediaDataResponse.build_from_response: nil unless response["id"].
    expect(up.body).toEqual({ id: expect.any(String) });
    const id = up.body.id as string;

    // Medias#media: GET "/#{media_id}" (a leading slash: Faraday drops the version path).
    const info = await t.get(`/${id}`, { headers: base() });
    expect(info.status, info.text).toBe(200);
    expect(info.body).toEqual({ messaging_product: 'whatsapp', url: expect.any(String), mime_type: 'image/png', sha256: sha256(sample.data), file_size: sample.data.length, id });
    // file_size is typed Integer in MediaDataResponse (sorbet sig): a number, not a string.
    expect(Number.isInteger(info.body.file_size)).toBe(true);

    // Medias#download → Client#download_file: Net::HTTP GET with Authorization (the key here), the
    // media type as Content-Type, Net::HTTP's User-Agent "Ruby"; File.write when code == "200".
    const file = await t.request('GET', info.body.url, { headers: { 'D360-API-KEY': p.channel_api_key, 'Content-Type': 'image/png', 'user-agent': 'Ruby', accept: '*/*', 'accept-encoding': 'gzip;q=1.0,deflate;q=0.6,identity;q=0.3' } });
    expect(file.status).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    // The gem then reads `response["code"]` — on a Net::HTTPResponse that is a *header* named
    // "code", never the status — so Medias#download reports an error for every download, Meta's
    // included (a gem bug: it should read response.code). The file itself is written correctly.
    expect(file.headers.code).toBeUndefined();
    const bytes = await fetch(info.body.url, { headers: { 'D360-API-KEY': p.channel_api_key } }).then(async (r) => Buffer.from(await r.arrayBuffer()));
    expect(bytes.equals(sample.data)).toBe(true);

    // Medias#delete: DELETE "/#{media_id}" → SuccessResponse.
    const del = await t.delete(`/${id}`, { headers: base() });
    expect(del.status, del.text).toBe(200);
    expect(del.body).toEqual({ success: true });
    const gone = await t.get(`/${id}`, { headers: base() });
    // Client#send_request raises HttpResponseError when the body has "error" (GenericErrorResponse).
    expect(gone.status).toBe(400);
    expect(gone.body.error).toMatchObject({ code: 100, type: expect.any(String), message: expect.any(String) });
  });

  it('BusinessProfile: details (DEFAULT_FIELDS) and update (a form-encoded body: Faraday url_encoded)', async () => {
    // BusinessProfile#update(phone_number_id:, params:): params[:messaging_product] = 'whatsapp' is
    // added last; no JSON header, so Faraday's url_encoded middleware writes the Hash as a form.
    const body = faradayForm({ about: 'Hey there! I am using the Ruby SDK', email: 'ruby@example.com', websites: ['https://www.example.com/', 'https://shop.example.com/'], vertical: 'RETAIL', messaging_product: 'whatsapp' });
    const upd = await t.request('POST', '/whatsapp_business_profile', { headers: { ...base(), 'Content-Type': 'application/x-www-form-urlencoded' }, raw: body });
    expect(upd.status, upd.text).toBe(200);
    expect(upd.body).toEqual({ success: true });

    // BusinessProfile#details: GET "#{phone_number_id}/whatsapp_business_profile?fields=#{DEFAULT_FIELDS}".
    const got = await t.get('/whatsapp_business_profile?fields=about,address,description,email,profile_picture_url,websites,vertical', { headers: base() });
    expect(got.status, got.text).toBe(200);
    // BusinessProfileDataResponse reads data[0]'s about, address, description, email, websites, vertical.
    expect(got.body.data[0]).toMatchObject({ about: 'Hey there! I am using the Ruby SDK', email: 'ruby@example.com', websites: ['https://www.example.com/', 'https://shop.example.com/'], vertical: 'RETAIL', messaging_product: 'whatsapp' });

    // A malformed form is a 400 in Meta's error format, never a 5xx.
    const bad = await t.request('POST', '/whatsapp_business_profile', { headers: { ...base(), 'Content-Type': 'application/x-www-form-urlencoded' }, raw: 'about=%E0%A4%A&messaging_product=whatsapp' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: expect.any(Number), message: expect.any(String) });
  });

  it("the sandbox's statuses for a send reach the webhook as Meta's (the gem has no webhook parser: the app reads them raw)", async () => {
    const id = await send({ ...env('text'), text: { body: 'status please' } });
    const seen = await receiver.waitForBody(`sent, delivered, read of ${id}`, (bodies) => {
      const s = bodies.map((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]).filter((x) => x?.id === id);
      return s.length >= 3 ? s : undefined;
    });
    expect(seen.map((s) => s.status).sort()).toEqual(['delivered', 'read', 'sent']);
    for (const s of seen) expect(s).toMatchObject({ recipient_id: USER, timestamp: expect.stringMatching(/^\d+$/) });
  });
});
