// A real 360dialog client against openwaba: Chatwoot's 360dialog provider (Ruby, so replayed
// here request by request). Chatwoot is not run; every request below is the one its code builds,
// and every assertion is on the fields its code reads from the answer or the webhook.
//
// Chatwoot files read (repository chatwoot/chatwoot in the code index):
//   app/services/whatsapp/providers/whatsapp_360_dialog_service.rb (commit 6ad63fd4; the later
//     upstream shape with send_template(…, message), error_message and components:
//     template_info[:parameters] was read in copies of the same file), base_service.rb
//     (commit 05e9e186: process_response, create_payload_based_on_items),
//   app/services/whatsapp/incoming_message_base_service.rb (commit 0032d604),
//   app/services/whatsapp/incoming_message_service_helpers.rb (commit 0bcffbe9),
//   app/services/whatsapp/send_on_whatsapp_service.rb (commit 0d708fdf),
//   app/services/whatsapp/template_processor_service.rb (commit 0495316f),
//   app/jobs/webhooks/whatsapp_events_job.rb, app/javascript/dashboard/api/inbox/message.js,
//   spec/services/whatsapp/providers/whatsapp360_dialog_service_spec.rb (commit 00842958),
//   spec/services/whatsapp/incoming_message_service_spec.rb, spec/factories/channel/channel_whatsapp.rb.
//
// The provider talks to https://waba.360dialog.io/v1 (360DIALOG_BASE_URL): the On-Premise
// flavour, so the channel here is an On-Premise one and its webhooks are top-level arrays, which
// Chatwoot's IncomingMessageService reads (a body with `object: "whatsapp_business_account"` it
// would route by display_phone_number instead). The webhook URL Chatwoot registers is
// `FRONTEND_URL/webhooks/whatsapp/<channel phone_number with +>`; its WhatsappEventsJob finds the
// channel by that path segment.
//
// Every request carries Chatwoot's api_headers, `D360-API-KEY` and `Content-Type: application/json`
// (on GETs too), plus what Ruby's Net::HTTP adds; bodies are JSON as `.to_json` writes them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplayApp } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, type HttpResponse, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, uploadOnPrem, userWrites as userWritesAs } from './media-fixtures.ts';

const ADMIN = 'c'.repeat(32);
/** The channel's number as Chatwoot stores it (Channel::Whatsapp#phone_number, with the +). */
const CHANNEL_NUMBER = '+4930123450077';
/** Users who wrote first (their 24-hour windows are open). */
const JANE = '4917612340077';
const OTTO = '4917612340078';
/** A user who never wrote: only templates reach them. */
const COLD = '4917612340079';
const WEBHOOK_PATH = `/webhooks/whatsapp/${CHANNEL_NUMBER}`;
/** The body Chatwoot's channel_whatsapp factory holds for sample_shipping_confirmation (en_US). */
const SHIPPING_BODY = 'Your package has been shipped. It will be delivered in {{1}} business days.';

/** What Ruby's Net::HTTP adds to every HTTParty request. */
const NET_HTTP = { accept: '*/*', 'user-agent': 'Ruby', 'accept-encoding': 'gzip;q=1.0,deflate;q=0.6,identity;q=0.3' };

describeEachDb("client: Chatwoot's 360dialog provider (On-Premise) against openwaba", (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  /** provider_config['api_key'] of the Chatwoot channel. */
  let apiKey: string;
  /** The template list as Chatwoot's sync_templates stored it (message_templates). */
  let messageTemplates: Record<string, any>[];
  /** Id of an image the user Jane sent, and its bytes. */
  let inboundImage: { id: string; data: Buffer; mime: string };

  /** Whatsapp360DialogService#api_headers, on every call Chatwoot makes. */
  const apiHeaders = (key = apiKey) => ({ 'D360-API-KEY': key, 'Content-Type': 'application/json', ...NET_HTTP });
  /** HTTParty.post(url, headers: api_headers, body: {...}.to_json). */
  const post = (path: string, body: unknown, key?: string) => t.request('POST', path, { headers: apiHeaders(key), raw: JSON.stringify(body) });
  /** HTTParty.get(url, headers: api_headers) and Down.download(url, headers: api_headers). */
  const get = (path: string) => t.request('GET', path, { headers: apiHeaders() });

  /**
   * BaseService#process_response: `response.success? && parsed_response['error'].blank?`, then
   * `parsed_response['messages'].first['id']` becomes the message's source_id.
   */
  function sourceIdOf(res: HttpResponse): string {
    expect(res.status, res.text).toBeGreaterThanOrEqual(200);
    expect(res.status, res.text).toBeLessThan(300);
    expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
    expect(res.body.error).toBeUndefined();
    const id = res.body.messages[0].id;
    expect(typeof id).toBe('string');
    expect(id.length).toBeGreaterThan(0);
    return id as string;
  }

  /** The webhook bodies that reached Chatwoot's /webhooks/whatsapp/<number>. */
  const hooks = () => receiver.bodies(WEBHOOK_PATH);
  /** The webhook that carries inbound message `id` (IncomingMessageBaseService#perform: messages present). */
  const inboundHook = (id: string) =>
    receiver.waitForBody(`the webhook of inbound ${id}`, () => hooks().find((b) => b.messages?.[0]?.id === id));
  /** The webhook that carries status `status` of message `id` (#process_statuses: statuses present). */
  const statusHook = (id: string, status: string) =>
    receiver.waitForBody(`the ${status} status of ${id}`, () => hooks().find((b) => b.statuses?.[0]?.id === id && b.statuses[0].status === status));

  /** A sandbox user writes (the sandbox's own API: what a WhatsApp user would do on their phone). */
  const userWrites = (json: Record<string, unknown>) => userWritesAs(t, apiKey, json);

  /**
   * The fields every inbound webhook must have for Chatwoot: IncomingMessageBaseService#set_contact
   * (contacts[0].wa_id as the contact's source_id, contacts[0].profile.name, "+#{messages[0].from}"),
   * #process_messages (messages[0].id for dedup, messages[0].type), #create_message (source_id:
   * message[:id]), and helpers#error_webhook_event? (a message with an `errors` key is only logged).
   * Returns the message object.
   */
  function readsAsChatwoot(body: any, from: string, type: string): Record<string, any> {
    // WhatsappEventsJob#find_channel_from_whatsapp_business_payload: no `object` → by the URL's number.
    expect(body.object).toBeUndefined();
    expect(body.entry).toBeUndefined();
    expect(body.contacts).toHaveLength(1);
    expect(typeof body.contacts[0].profile.name).toBe('string');
    expect(body.contacts[0].wa_id).toBe(from);
    expect(body.messages).toHaveLength(1);
    const m = body.messages[0];
    expect(m.from).toBe(from);
    expect(m.from).toMatch(/^\d+$/);
    expect(typeof m.id).toBe('string');
    expect(m.timestamp).toMatch(/^\d+$/);
    expect(m.type).toBe(type);
    expect(m).not.toHaveProperty('errors');
    return m;
  }

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startReplayApp(kind, { OPENWABA_ADMIN_TOKEN: ADMIN });
    p = await t.tenant();
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: CHANNEL_NUMBER.slice(1), phone_name: 'Chatwoot inbox' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    expect(k.status, k.text).toBe(201);
    apiKey = k.body.api_key;
    // The WABA's templates as a 360 user has them in the Hub: Chatwoot's fixture template (one
    // positional variable) besides the hello_world every WABA has. Created through the API, not by Chatwoot.
    const created = await t.post('/v1/configs/templates', {
      headers: { 'D360-API-KEY': apiKey },
      json: { name: 'sample_shipping_confirmation', category: 'UTILITY', language: 'en_US', components: [{ type: 'BODY', text: SHIPPING_BODY, example: { body_text: [['3']] } }] },
    });
    expect(created.status, created.text).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  describe('setting the channel up', () => {
    it('validate_provider_config? registers the webhook: POST /v1/configs/webhook answers 2xx; a wrong key does not', async () => {
      // Whatsapp360DialogService#validate_provider_config?: only `response.success?` is read.
      const url = `${receiver.url}${WEBHOOK_PATH}`;
      const res = await t.request('POST', '/v1/configs/webhook', {
        headers: { 'D360-API-KEY': apiKey, 'Content-Type': 'application/json', ...NET_HTTP },
        raw: JSON.stringify({ url }),
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body.url).toBe(url);
      // A wrong key fails channel creation in Chatwoot (the inbox is not created).
      const wrong = await t.request('POST', '/v1/configs/webhook', { headers: { 'D360-API-KEY': 'not-a-key', 'Content-Type': 'application/json' }, raw: JSON.stringify({ url }) });
      expect(wrong.status).toBe(401);
      expect((await t.get('/v1/configs/webhook', { headers: { 'D360-API-KEY': apiKey } })).body.url).toBe(url);
    });

    it('sync_templates: GET /v1/configs/templates answers waba_templates with what the template code reads', async () => {
      // The review approves the new template after OPENWABA_TEMPLATE_REVIEW_DELAY; Chatwoot syncs again later.
      const res = await waitUntil('a sync that finds both templates approved', async () => {
        const r = await get('/v1/configs/templates');
        const all = r.body?.waba_templates as { status: string }[] | undefined;
        return all?.length === 2 && all.every((x) => String(x.status).toLowerCase() === 'approved') ? r : undefined;
      });
      // #sync_templates: `response['waba_templates'] if response.success?` (HTTParty parses JSON by content type).
      expect(res.status).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
      expect(Array.isArray(res.body.waba_templates)).toBe(true);
      messageTemplates = res.body.waba_templates;
      expect(messageTemplates.map((x) => x.name).sort()).toEqual(['hello_world', 'sample_shipping_confirmation']);
      const namespace = (await t.deps.db.kysely.selectFrom('waba_accounts').select('namespace').innerJoin('channels', 'channels.waba_account_id', 'waba_accounts.id').where('channels.phone_number', '=', CHANNEL_NUMBER.slice(1)).executeTakeFirstOrThrow()).namespace;
      for (const tpl of messageTemplates) {
        // TemplateProcessorService#find_template: name, language, `status&.downcase == 'approved'`;
        // the send takes template['namespace'] and template['language'] (SendOnWhatsappService).
        expect(typeof tpl.name).toBe('string');
        expect(tpl.language).toBe('en_US');
        expect(String(tpl.status).toLowerCase()).toBe('approved');
        expect(tpl.namespace).toBe(namespace);
        expect(typeof tpl.category).toBe('string');
        // The dashboard's template picker needs status and components; the legacy body matcher
        // (SendOnWhatsappService#validated_body_object) looks for `type == 'BODY'` with a `text`.
        expect(Array.isArray(tpl.components)).toBe(true);
        expect(tpl.components.find((c: any) => c.type === 'BODY' && typeof c.text === 'string')).toBeDefined();
      }
      expect(messageTemplates.find((x) => x.name === 'sample_shipping_confirmation')!.components[0].text).toBe(SHIPPING_BODY);
    });

    it('users write in: each webhook reaches the registered path, as JSON, in the On-Premise format', async () => {
      const id = await userWrites({ from: JANE, name: 'Jane Doe', text: { body: 'Hi, where is my order?' } });
      const body = await inboundHook(id);
      const m = readsAsChatwoot(body, JANE, 'text');
      // IncomingMessageServiceHelpers#message_content: message.dig(:text, :body).
      expect(m.text.body).toBe('Hi, where is my order?');
      expect(body.contacts[0].profile.name).toBe('Jane Doe');
      const req = receiver.requests.find((r) => r.body.includes(id))!;
      // Rails parses the params from a JSON body; the phone number segment keeps its +.
      expect(req.method).toBe('POST');
      expect(req.url).toBe(WEBHOOK_PATH);
      expect(String(req.headers['content-type'])).toMatch(/^application\/json/);
      await userWrites({ from: OTTO, name: 'Otto', text: { body: 'moin' } });
    });
  });

  describe('outgoing messages (Whatsapp360DialogService#send_message, #send_template)', () => {
    it('send_text_message: {to, text: {body}, type: "text"} to the contact\'s wa_id; statuses carry that id', async () => {
      // The contact_inbox source_id is contacts[0].wa_id: Chatwoot sends `to` as those digits.
      const id = sourceIdOf(await post('/v1/messages', { to: JANE, text: { body: 'Your order ships today.' }, type: 'text' }));
      // #process_statuses: statuses[0].id finds the message by source_id; statuses[0].status is
      // assigned to Message#status (an enum of sent, delivered, read, failed: anything else raises).
      for (const status of ['sent', 'delivered', 'read']) {
        const body = await statusHook(id, status);
        expect(body.object).toBeUndefined();
        const s = body.statuses[0];
        expect(s).toMatchObject({ id, status, recipient_id: JANE, timestamp: expect.stringMatching(/^\d+$/) });
        expect(s.errors).toBeUndefined();
      }
      for (const b of hooks().filter((x) => x.statuses?.[0]?.id === id)) expect(['sent', 'delivered', 'read', 'failed']).toContain(b.statuses[0].status);
    });

    it('send_attachment_message: media by link, caption from the message, filename for documents', async () => {
      const link = (name: string) => `https://chatwoot.example.com/rails/active_storage/blobs/redirect/eyJfcmFpbHMiOnt9/${name}`;
      const bodies = [
        { to: JANE, type: 'image', image: { link: link('photo.jpg'), caption: 'Here is the photo' } },
        { to: JANE, type: 'video', video: { link: link('clip.mp4'), caption: 'And a clip' } },
        // type_content['filename'] = attachment.file.filename if type == 'document'
        { to: JANE, type: 'document', document: { link: link('invoice.pdf'), caption: 'Your invoice', filename: 'invoice.pdf' } },
        // No caption for audio (`unless %w[audio sticker].include?(type)`).
        { to: JANE, type: 'audio', audio: { link: link('voice.ogg') } },
      ];
      for (const body of bodies) {
        const id = sourceIdOf(await post('/v1/messages', body));
        expect((await statusHook(id, 'sent')).statuses[0].recipient_id).toBe(JANE);
      }
    });

    it('send_attachment_message without text: the caption is null (the dashboard sends no content) and the send goes through', async () => {
      // api/inbox/message.js#buildCreatePayload appends `content` only when there is text, so
      // message.content is nil and `type_content['caption'] = message.outgoing_content` writes
      // "caption": null. Chatwoot's Cloud provider sends Meta the same body for every
      // attachment an agent sends without text.
      const link = 'https://chatwoot.example.com/rails/active_storage/blobs/redirect/eyJfcmFpbHMiOnt9/photo.jpg';
      for (const body of [
        { to: JANE, type: 'image', image: { link, caption: null } },
        { to: JANE, type: 'document', document: { link, caption: null, filename: 'photo.jpg' } },
      ]) {
        const res = await post('/v1/messages', body);
        const id = sourceIdOf(res);
        const row = await t.deps.db.kysely.selectFrom('messages').select(['type', 'content']).where('id', '=', id).executeTakeFirstOrThrow();
        // Stored (and shown) as a message without a caption.
        expect(JSON.parse(row.content)[row.type]).not.toHaveProperty('caption');
      }
    });

    it('send_interactive_text_message: input_select items as reply buttons (≤ 3) or a list, `action` as a JSON string', async () => {
      // BaseService#create_button_payload / #create_list_payload pass the action through
      // JSON.generate: the wire has `action` as a string (whatsapp360_dialog_service_spec.rb
      // stubs exactly these bodies). Meta's API reads that JSON text as the object.
      const buttons = {
        to: JANE,
        interactive: {
          type: 'button',
          body: { text: 'What would you like?' },
          action: JSON.stringify({ buttons: ['Burito', 'Pasta', 'Sushi'].map((x) => ({ type: 'reply', reply: { id: x, title: x } })) }),
        },
        type: 'interactive',
      };
      const buttonsId = sourceIdOf(await post('/v1/messages', buttons));
      // More than 3 items, or any with a description: a list with the I18n button label.
      const rows = ['Burito', 'Pasta', 'Sushi', 'Salad'].map((x) => ({ id: x, title: x }));
      const list = {
        to: JANE,
        interactive: { type: 'list', body: { text: 'Pick a dish' }, action: JSON.stringify({ button: 'Choose an item', sections: [{ rows }] }) },
        type: 'interactive',
      };
      const listId = sourceIdOf(await post('/v1/messages', list));
      // Stored as the objects the JSON text holds (the sandbox phone renders them).
      for (const [id, action] of [
        [buttonsId, JSON.parse(buttons.interactive.action)],
        [listId, JSON.parse(list.interactive.action)],
      ] as const) {
        const row = await t.deps.db.kysely.selectFrom('messages').select('content').where('id', '=', id).executeTakeFirstOrThrow();
        expect(JSON.parse(row.content).interactive.action).toEqual(action);
      }
      // The JSON text is checked as the object would be: a fourth reply button is refused (400).
      const four = JSON.stringify({ buttons: ['A', 'B', 'C', 'D'].map((x) => ({ type: 'reply', reply: { id: x, title: x } })) });
      const tooMany = await post('/v1/messages', { to: JANE, interactive: { type: 'button', body: { text: 'x' }, action: four }, type: 'interactive' });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.errors[0].details).toMatch(/^interactive\.action\.buttons: /);
      for (const bad of ['not json', '[1,2]', '"text"']) {
        const res = await post('/v1/messages', { to: JANE, interactive: { type: 'button', body: { text: 'x' }, action: bad }, type: 'interactive' });
        expect(res.status, bad).toBe(400);
        expect(res.body.errors[0].details).toMatch(/^interactive\.action: must be an object/);
      }
    });

    it('send_template: namespace, language {policy: deterministic, code} and name as synced; body parameters', async () => {
      // SendOnWhatsappService takes name, namespace and language from message_templates (the synced
      // waba_templates), and Whatsapp360DialogService#template_body_parameters builds the body.
      const tpl = messageTemplates.find((x) => x.name === 'sample_shipping_confirmation')!;
      const hello = messageTemplates.find((x) => x.name === 'hello_world')!;
      const template = (x: Record<string, any>, components: unknown) => ({
        to: COLD,
        template: { name: x.name, namespace: x.namespace, language: { policy: 'deterministic', code: x.language }, components },
        type: 'template',
      });
      // Older upstream: components: [{type: 'body', parameters: template_info[:parameters]}], the
      // parameters `{type: 'text', text: capture}` (the legacy matcher) or from processed_params;
      // a template without variables gets an empty parameter list.
      const shipped = sourceIdOf(await post('/v1/messages', template(tpl, [{ type: 'body', parameters: [{ type: 'text', text: '3' }] }])));
      sourceIdOf(await post('/v1/messages', template(hello, [{ type: 'body', parameters: [] }])));
      // Later upstream: components: template_info[:parameters], the components TemplateProcessorService
      // built (none for a template without variables).
      sourceIdOf(await post('/v1/messages', template(tpl, [{ type: 'body', parameters: [{ type: 'text', text: '5' }] }])));
      sourceIdOf(await post('/v1/messages', template(hello, [])));
      // The template reaches the user who never wrote: sent, delivered, read.
      expect((await statusHook(shipped, 'read')).statuses[0].recipient_id).toBe(COLD);
      // A parameter missing: a 4xx; process_response then gives no source_id (nothing is marked sent).
      const missing = await post('/v1/messages', template(tpl, [{ type: 'body', parameters: [] }]));
      expect(missing.status).toBeGreaterThanOrEqual(400);
      expect(missing.status).toBeLessThan(500);
    });

    it('a session message to a user whose window is closed: 2xx, then a failed status with errors[0].code and title', async () => {
      const id = sourceIdOf(await post('/v1/messages', { to: COLD, text: { body: 'Are you there?' }, type: 'text' }));
      // #update_message_with_status: status 'failed', external_error "#{errors[0][:code]}: #{errors[0][:title]}".
      const s = (await statusHook(id, 'failed')).statuses[0];
      expect(s).toMatchObject({ id, status: 'failed', recipient_id: COLD, timestamp: expect.stringMatching(/^\d+$/) });
      expect(s.errors[0].code).toBe(131047);
      expect(typeof s.errors[0].title).toBe('string');
      expect(s.errors[0].title.length).toBeGreaterThan(0);
    });

    it('refusals: a 4xx without messages; a wrong key answers meta.developer_message, which error_message reads', async () => {
      // BaseService#handle_error → Whatsapp360DialogService#error_message: parsed_response.dig('meta', 'developer_message').
      const wrongKey = await post('/v1/messages', { to: JANE, text: { body: 'x' }, type: 'text' }, 'not-a-key');
      expect(wrongKey.status).toBe(401);
      expect(wrongKey.body.meta).toMatchObject({ success: false, http_code: 401, developer_message: 'Invalid api_key' });
      expect(wrongKey.body.messages).toBeUndefined();
      // A refused message: On-Premise's error body. `response.success?` is false, so no source_id.
      const tooLong = await post('/v1/messages', { to: JANE, text: { body: 'x'.repeat(4097) }, type: 'text' });
      expect(tooLong.status).toBe(400);
      expect(tooLong.body.messages).toBeUndefined();
      expect(tooLong.body.errors[0]).toMatchObject({ code: expect.any(Number), title: expect.any(String), details: expect.stringMatching(/^text\.body: /) });
    });
  });

  describe('incoming messages (IncomingMessageService over the On-Premise webhook)', () => {
    beforeAll(async () => {
      // The user's phone uploads the photo first (POST /v1/media, as the sandbox phone does).
      const s = SAMPLES.find((x) => x.name === 'photo.jpg')!;
      const up = await uploadOnPrem(t, apiKey, s.data, s.mime);
      expect(up.status, JSON.stringify(up.body)).toBe(201);
      inboundImage = { id: up.body.media[0].id, data: s.data, mime: s.mime };
    });

    it('image with caption: image.id, mime_type, caption; GET /v1/media/{id} (Channel::Whatsapp#media_url) returns the file', async () => {
      const id = await userWrites({ from: JANE, type: 'image', image: { id: inboundImage.id, caption: 'Check out my product!' } });
      const m = readsAsChatwoot(await inboundHook(id), JANE, 'image');
      // #attach_files: messages[0][message_type] → [:caption] as content, [:id] for the download.
      expect(m.image).toMatchObject({ id: inboundImage.id, mime_type: inboundImage.mime, caption: 'Check out my product!' });
      // helpers#download_attachment_file: Down.download(media_url(id), headers: api_headers). Down
      // needs a 2xx; the attachment takes its content_type and original_filename from the answer.
      const file = await t.request('GET', `/v1/media/${m.image.id}`, { headers: { 'D360-API-KEY': apiKey, 'Content-Type': 'application/json', 'user-agent': 'Down/5.4.2' } });
      expect(file.status).toBe(200);
      expect(String(file.headers['content-type'])).toMatch(/^image\/jpeg/);
      expect(String(file.headers['content-disposition'])).toMatch(/filename="?[^"]+\.jpe?g"?/);
      const bytes = await fetch(`${t.baseUrl}/v1/media/${m.image.id}`, { headers: apiHeaders() }).then(async (r) => Buffer.from(await r.arrayBuffer()));
      expect(bytes.equals(inboundImage.data)).toBe(true);
    });

    it('document, audio (voice note), video and sticker: each under its type with an id Chatwoot downloads', async () => {
      const uploads: Record<string, string> = {};
      for (const name of ['invoice.pdf', 'voice.ogg', 'clip.mp4', 'static.webp']) {
        const s = SAMPLES.find((x) => x.name === name)!;
        const up = await uploadOnPrem(t, apiKey, s.data, s.mime);
        expect(up.status, JSON.stringify(up.body)).toBe(201);
        uploads[name] = up.body.media[0].id;
      }
      const cases: [string, Record<string, unknown>, string][] = [
        ['document', { id: uploads['invoice.pdf'], filename: 'invoice.pdf', caption: 'the invoice' }, 'application/pdf'],
        ['audio', { id: uploads['voice.ogg'] }, 'audio/ogg'],
        ['video', { id: uploads['clip.mp4'], caption: 'a clip' }, 'video/mp4'],
        ['sticker', { id: uploads['static.webp'] }, 'image/webp'],
      ];
      for (const [type, content, mime] of cases) {
        const id = await userWrites({ from: OTTO, type, [type]: content });
        const m = readsAsChatwoot(await inboundHook(id), OTTO, type);
        // helpers#file_content_type maps the type; #attach_files reads [:id] and [:caption].
        expect(m[type]).toMatchObject({ id: content.id, mime_type: mime });
        if (content.caption) expect(m[type].caption).toBe(content.caption);
        const file = await get(`/v1/media/${m[type].id}`);
        expect(file.status, type).toBe(200);
        expect(String(file.headers['content-type'])).toMatch(new RegExp(`^${mime}`));
      }
    });

    it("a voice note arrives as On-Premise's own `voice` type (file_content_type maps voice to audio; #attach_files reads message['voice'][:id])", async () => {
      const s = SAMPLES.find((x) => x.name === 'voice.ogg')!;
      const up = await uploadOnPrem(t, apiKey, s.data, s.mime);
      expect(up.status, JSON.stringify(up.body)).toBe(201);
      const mediaId = up.body.media[0].id;
      const id = await userWrites({ from: OTTO, type: 'audio', audio: { id: mediaId, voice: true } });
      const m = readsAsChatwoot(await inboundHook(id), OTTO, 'voice');
      expect(m.audio).toBeUndefined();
      expect(m.voice).toMatchObject({ id: mediaId, mime_type: 'audio/ogg' });
      expect(m.voice.voice).toBeUndefined();
      const file = await get(`/v1/media/${m.voice.id}`);
      expect(file.status).toBe(200);
      expect(String(file.headers['content-type'])).toMatch(/^audio\/ogg/);
    });

    it('location: latitude, longitude, name and address (#attach_location)', async () => {
      const id = await userWrites({ from: JANE, type: 'location', location: { latitude: 52.516275, longitude: 13.377704, name: 'Brandenburger Tor', address: 'Pariser Platz, Berlin' } });
      const m = readsAsChatwoot(await inboundHook(id), JANE, 'location');
      expect(typeof m.location.latitude).toBe('number');
      expect(typeof m.location.longitude).toBe('number');
      expect(m.location).toMatchObject({ latitude: 52.516275, longitude: 13.377704, name: 'Brandenburger Tor', address: 'Pariser Platz, Berlin' });
    });

    it("contacts: message['contacts'] with name.formatted_name, first_name, last_name and phones[].phone (#create_contact_messages)", async () => {
      const card = { name: { formatted_name: 'Bob Builder', first_name: 'Bob', last_name: 'Builder' }, phones: [{ phone: '+49 30 1234567', type: 'WORK', wa_id: '49301234567' }] };
      const id = await userWrites({ from: JANE, type: 'contacts', contacts: [card] });
      const m = readsAsChatwoot(await inboundHook(id), JANE, 'contacts');
      expect(Array.isArray(m.contacts)).toBe(true);
      expect(m.contacts[0].name).toMatchObject({ formatted_name: 'Bob Builder', first_name: 'Bob', last_name: 'Builder' });
      expect(m.contacts[0].phones[0].phone).toBe('+49 30 1234567');
    });

    it('a template quick reply (button.text) and interactive replies (button_reply.title, list_reply.title) with context.id', async () => {
      const asked = sourceIdOf(
        await post('/v1/messages', {
          to: OTTO,
          interactive: { type: 'button', body: { text: 'Yes or no?' }, action: JSON.stringify({ buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }] }) },
          type: 'interactive',
        }),
      );
      // helpers#message_content: button.text, interactive.button_reply.title, interactive.list_reply.title;
      // #process_in_reply_to: message['context']['id'] as in_reply_to_external_id.
      const cases: [string, Record<string, unknown>, (m: any) => unknown, string][] = [
        ['button', { text: 'Yes this is a button', payload: 'yes' }, (m) => m.button.text, 'Yes this is a button'],
        ['interactive', { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } }, (m) => m.interactive.button_reply.title, 'Yes'],
        ['interactive', { type: 'list_reply', list_reply: { id: 'Pasta', title: 'Pasta', description: 'fresh' } }, (m) => m.interactive.list_reply.title, 'Pasta'],
      ];
      for (const [type, content, read, expected] of cases) {
        const id = await userWrites({ from: OTTO, type, [type]: content, context: { message_id: asked } });
        const m = readsAsChatwoot(await inboundHook(id), OTTO, type);
        expect(read(m)).toBe(expected);
        expect(m.context.id).toBe(asked);
      }
    });

    it('a text reply to an agent message: context.id is that message\'s source_id', async () => {
      const agent = sourceIdOf(await post('/v1/messages', { to: JANE, text: { body: 'Anything else?' }, type: 'text' }));
      const id = await userWrites({ from: JANE, text: { body: 'No, thanks' }, context: { message_id: agent } });
      const m = readsAsChatwoot(await inboundHook(id), JANE, 'text');
      expect(m.text.body).toBe('No, thanks');
      expect(m.context.id).toBe(agent);
    });

    it('a reaction: reaction.message_id and emoji (skipped as unprocessable by older versions, read by later ones)', async () => {
      const agent = sourceIdOf(await post('/v1/messages', { to: JANE, text: { body: 'Your parcel arrived' }, type: 'text' }));
      const id = await userWrites({ from: JANE, type: 'reaction', reaction: { message_id: agent, emoji: '👍' } });
      const m = readsAsChatwoot(await inboundHook(id), JANE, 'reaction');
      expect(m.reaction).toEqual({ message_id: agent, emoji: '👍' });
    });
  });
});
