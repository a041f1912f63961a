// A real Cloud API client against openwaba's Cloud flavour: Chatwoot's WhatsApp Cloud provider
// (Ruby, so replayed here request by request, as a 360dialog user runs it). Chatwoot is not run;
// every request below is the one its code builds, and every assertion is on a field its code
// reads from the answer or from the webhook. What client-chatwoot-360dialog.test.ts covers (the
// 360dialog provider on the On-Premise flavour) is not repeated: this is the provider that
// speaks Meta's Cloud API, which differs in nearly every body and in the webhook's envelope.
//
// Chatwoot files read (repository chatwoot/chatwoot in the code index, which unions forks'
// histories; the upstream shape is what the versions below share):
//   app/services/whatsapp/providers/whatsapp_cloud_service.rb: commit 0018330e (send_message,
//     send_template with recipient_type, sync_templates/fetch_whatsapp_templates/next_url,
//     validate_provider_config?, media_url(media_id, phone_number_id), whatsapp_reply_context,
//     error_message, create/delete_csat_template, get_template_status); the later shape with
//     read_messages, toggle_typing_status, send_reaction_message and the audio `voice` flag
//     read in the stored versions 60880720915 and 60868810022; commit e0549ca4 (the first one),
//   app/services/whatsapp/providers/base_service.rb: commit 05e9e186 (process_response,
//     handle_error, create_payload_based_on_items with the action as JSON.generate text, a list
//     when an item has a description) and stored version 60098023257 (the action as a hash, the
//     builders below),
//   app/services/whatsapp/interactive_buttons_payload_builder.rb, interactive_list_payload_builder.rb,
//     cta_url_payload_builder.rb: commit 60c1d198,
//   app/services/whatsapp/template_processor_service.rb: commit 0495316f and stored version
//     1832552395 (media_name), template_parameter_service.rb (PopulateTemplateParametersService):
//     commit 6a68cb1f and stored version 1386945463 (a document header's filename),
//   app/services/whatsapp/csat_template_service.rb: commit f9d59c44; csat_template_name_service.rb:
//     commit 70e5e9e3; the CSAT send (CsatSurveyService#build_template_info) read in copies,
//   app/services/whatsapp/incoming_message_whatsapp_cloud_service.rb: commit 069282ce and the
//     stored versions 57110390194 / 66641809993 (download_attachment_file: GET media_url, then
//     Down.download(parsed_response['url'], headers: api_headers), the payload's filename kept),
//   app/services/whatsapp/incoming_message_base_service.rb: commit 0032d604,
//   app/services/whatsapp/incoming_message_service_helpers.rb: commit 0bcffbe9 and stored version
//     66304221356,
//   app/jobs/webhooks/whatsapp_events_job.rb: commit 000bb0f4 (get_channel_from_wb_payload),
//   app/controllers/webhooks/whatsapp_controller.rb: commit 017bb954,
//   spec/services/whatsapp/providers/whatsapp_cloud_service_spec.rb: commit 01b36894 (the exact
//     bodies stubbed: `context: nil`, the action as JSON text, the paged template sync),
//   spec/jobs/webhooks/whatsapp_events_job_spec.rb (stored version 54998638214: the channel is
//     found by metadata.display_phone_number = phone_number without "+" and phone_number_id).
//
// The mapping a 360dialog user makes (reference §4: 360dialog serves Meta's Cloud API without the
// /<version>/<phone_number_id> prefix, the key in D360-API-KEY), and what 360dialog users' forks
// of this provider do (WhatsappD360CloudService in the index: WHATSAPP_CLOUD_BASE_URL pointed at
// waba-v2, phone_id_path and business_account_path the base itself, api_headers the D360 key):
//   POST {graph}/v13.0/{phone_number_id}/messages          → POST /messages
//   GET  {graph}/v14.0/{waba_id}/message_templates?access_token=KEY → GET /message_templates (key as header)
//   POST/DELETE {graph}/v14.0/{waba_id}/message_templates  → POST/DELETE /message_templates
//   GET  {graph}/v13.0/{media_id}?phone_number_id=…       → GET /{media_id}?phone_number_id=…
//   `Authorization: Bearer KEY`                             → `D360-API-KEY: KEY`
// Upstream sends the key for the template sync only as ?access_token= (no header): neither
// 360dialog nor openwaba takes a key there, so the mapped sync sends it as the header, as the forks do.
//
// Chatwoot's channel for this number: phone_number "+<digits>" and provider_config
// {api_key, phone_number_id, business_account_id}; the webhook URL it shows is
// FRONTEND_URL/webhooks/whatsapp/+<digits>, registered here with POST /v1/configs/webhook
// (360dialog's way; Meta's app dashboard would be Chatwoot's).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplayApp } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import type { HttpResponse, TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { sha256, uploadSample, userWrites as userWritesAs } from './media-fixtures.ts';

/** Users who wrote first (their 24-hour windows are open). */
const JANE = '4917612340081';
const OTTO = '4917612340082';
/** A user who never wrote: only templates reach them. */
const COLD = '4917612340083';
/** Chatwoot's inbox id, part of the CSAT template's name (CsatTemplateNameService). */
const INBOX_ID = 7;
const CSAT_NAME = `customer_satisfaction_survey_${INBOX_ID}`;
/** Where Chatwoot's ActiveStorage redirects attachment downloads (Attachment#download_url). */
const blobUrl = (name: string) => `https://chatwoot.example.com/rails/active_storage/blobs/redirect/eyJfcmFpbHMiOnt9/${name}`;
/** I18n conversations.messages.whatsapp.list_button_label (en). */
const LIST_BUTTON_LABEL = 'Choose an item';

/** What Ruby's Net::HTTP adds to every HTTParty request. */
const NET_HTTP = { accept: '*/*', 'user-agent': 'Ruby', 'accept-encoding': 'gzip;q=1.0,deflate;q=0.6,identity;q=0.3' };

/**
 * `.to_json` as Rails writes it: ActiveSupport escapes <, > and & (escape_html_entities_in_json),
 * which a JSON parser reads back as the same characters.
 */
const toJson = (v: unknown) => JSON.stringify(v).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

type Json = Record<string, any>;

/**
 * Whatsapp::TemplateProcessorService#process_enhanced_template_params with the builders of
 * PopulateTemplateParametersService (template_parameter_service.rb): the `components` Chatwoot sends
 * for the dashboard's processed_params, given the template as the sync stored it.
 */
function templateComponents(template: Json, processed: Json): Json[] {
  const components: Json[] = [];
  // #build_parameter: a string is text; a hash of type currency or date_time keeps all its keys (nil too).
  const parameter = (v: any): Json => {
    if (typeof v === 'string') return { type: 'text', text: v.trim() };
    if (v.type === 'currency') return { type: 'currency', currency: { fallback_value: v.fallback_value, code: v.code, amount_1000: v.amount_1000 } };
    if (v.type === 'date_time') {
      return { type: 'date_time', date_time: { fallback_value: v.fallback_value, day_of_week: v.day_of_week ?? null, day_of_month: v.day_of_month ?? null, month: v.month ?? null, year: v.year ?? null } };
    }
    return { type: 'text', text: String(v) };
  };
  // #process_header_components / #build_header_params: media_url with media_type → a media parameter
  // (#build_media_parameter: a document takes media_name as its filename), any other value text.
  if (processed.header) {
    const h = processed.header;
    const params: Json[] = [];
    for (const [k, v] of Object.entries<any>(h)) {
      if (v === undefined || v === null || v === '') continue;
      if (k === 'media_url' && h.media_type) {
        const type = String(h.media_type).toLowerCase();
        params.push({ type, [type]: type === 'document' && h.media_name ? { link: v, filename: h.media_name } : { link: v } });
      } else if (k !== 'media_type' && k !== 'media_name') params.push(parameter(v));
    }
    if (params.length) components.push({ type: 'header', parameters: params });
  }
  // #process_body_components: template['parameter_format'] == 'NAMED' → #build_named_parameter.
  if (processed.body) {
    const params = Object.entries<any>(processed.body)
      .filter(([, v]) => v !== '' && v !== null && v !== undefined)
      .map(([k, v]) => (template.parameter_format === 'NAMED' ? { type: 'text', parameter_name: k, text: String(v).trim() } : parameter(v)));
    if (params.length) components.push({ type: 'body', parameters: params });
  }
  // #process_button_components: the button's position in processed_params is its index (an Integer);
  // #build_button_parameter: copy_code → coupon_code, anything else text.
  (processed.buttons ?? []).forEach((b: Json | null, index: number) => {
    if (!b || !(b.type === 'url' || b.parameter)) return;
    const p = b.type === 'copy_code' ? { type: 'coupon_code', coupon_code: String(b.parameter).trim() } : { type: 'text', text: String(b.parameter ?? '').trim() };
    components.push({ type: 'button', sub_type: b.type ?? 'url', index, parameters: [p] });
  });
  return components;
}

describeEachDb("client: Chatwoot's WhatsApp Cloud provider against the Cloud Messaging API", (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  /** Channel::Whatsapp#phone_number ("+" and the digits) and its provider_config. */
  let channelNumber: string;
  let config: { api_key: string; phone_number_id: string; business_account_id: string };
  let webhookPath: string;
  /** Channel::Whatsapp#message_templates as sync_templates stored them. */
  let messageTemplates: Json[];
  /** Inbound messages (their wamids) the agent answers and reacts to. */
  let janeFirst: string;

  /** WhatsappCloudService#api_headers, the bearer token made the D360 key. */
  const apiHeaders = (key = config.api_key) => ({ 'D360-API-KEY': key, 'Content-Type': 'application/json', ...NET_HTTP });
  /** HTTParty.post("#{phone_id_path}/messages", headers: api_headers, body: {...}.to_json). */
  const postMessages = (body: unknown, key?: string) => t.request('POST', '/messages', { headers: apiHeaders(key), raw: toJson(body) });

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
    expect(id).toMatch(/^wamid\./);
    return id as string;
  }

  /**
   * BaseService#handle_error → WhatsappCloudService#error_message:
   * `parsed_response&.dig('error', 'message')` becomes the message's external_error (status failed).
   */
  function externalErrorOf(res: HttpResponse): string {
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.messages).toBeUndefined();
    expect(typeof res.body.error.message).toBe('string');
    expect(res.body.error.message.length).toBeGreaterThan(0);
    return res.body.error.message as string;
  }

  /** The stored row of a message of this channel. */
  async function stored(id: string) {
    const row = await t.deps.db.kysely.selectFrom('messages').select(['type', 'content', 'context_id', 'wa_id', 'template_name', 'status']).where('channel_id', '=', p.channel_id).where('id', '=', id).executeTakeFirstOrThrow();
    const message = JSON.parse(row.content) as Json;
    return { ...row, message, content: message[row.type] as Json };
  }

  /** The webhook bodies that reached Chatwoot's /webhooks/whatsapp/+<number>. */
  const hooks = () => receiver.bodies(webhookPath);
  /** value of a `messages` change (what IncomingMessageWhatsappCloudService#processed_params takes). */
  const valueOf = (b: any) => b?.entry?.[0]?.changes?.[0]?.value;
  const inboundHook = (id: string) => receiver.waitForBody(`the webhook of inbound ${id}`, () => hooks().find((b) => valueOf(b)?.messages?.[0]?.id === id));
  const statusHook = (id: string, status: string) =>
    receiver.waitForBody(`the ${status} status of ${id}`, () => hooks().find((b) => valueOf(b)?.statuses?.[0]?.id === id && valueOf(b).statuses[0].status === status));

  /**
   * Webhooks::WhatsappEventsJob#get_channel_from_wb_payload: `object` is whatsapp_business_account,
   * "+#{metadata.display_phone_number}" is the channel's phone_number and metadata.phone_number_id
   * equals provider_config['phone_number_id'] (a string compare: a number would find no channel).
   * Returns the value (IncomingMessageWhatsappCloudService#processed_params: entry[0].changes[0].value).
   */
  function routedToChannel(body: any): Json {
    expect(body.object).toBe('whatsapp_business_account');
    expect(Array.isArray(body.entry)).toBe(true);
    expect(body.entry[0].id).toBe(config.business_account_id);
    const change = body.entry[0].changes[0];
    expect(change.field).toBe('messages');
    const value = change.value;
    expect(value.messaging_product).toBe('whatsapp');
    expect(`+${value.metadata.display_phone_number}`).toBe(channelNumber);
    expect(typeof value.metadata.phone_number_id).toBe('string');
    expect(value.metadata.phone_number_id).toBe(config.phone_number_id);
    return value;
  }

  /**
   * What IncomingMessageBaseService reads of an inbound message: #set_contact (contacts[0].wa_id as
   * the contact's source_id, contacts[0].profile.name, "+#{messages[0].from}"), #process_messages
   * (messages[0].id for dedup, messages[0].type: `.to_s`), #create_message (source_id: message[:id]),
   * helpers#error_webhook_event? (a message with an `errors` key is only logged). Returns the message.
   */
  function readsAsChatwoot(body: any, from: string, type: string): Json {
    const value = routedToChannel(body);
    expect(value.statuses).toBeUndefined();
    expect(value.contacts).toHaveLength(1);
    expect(typeof value.contacts[0].profile.name).toBe('string');
    expect(value.contacts[0].wa_id).toBe(from);
    expect(value.messages).toHaveLength(1);
    const m = value.messages[0];
    expect(m.from).toBe(from);
    expect(m.from).toMatch(/^\d+$/);
    expect(m.id).toMatch(/^wamid\./);
    expect(m.timestamp).toMatch(/^\d+$/);
    expect(m.type).toBe(type);
    expect(m).not.toHaveProperty('errors');
    return m;
  }

  /** A sandbox user writes (what a WhatsApp user does on their phone). */
  const userWrites = (json: Json) => userWritesAs(t, config.api_key, json);

  /** The user's phone uploads a file first (as the sandbox phone does), for a media message. */
  const phoneUploads = (name: string) => uploadSample(t, config.api_key, name);

  /** A template as a 360dialog user creates it in the Hub (the Cloud API's POST /message_templates); not Chatwoot. */
  async function createTemplate(body: Json) {
    const res = await t.post('/message_templates', { headers: { 'D360-API-KEY': config.api_key }, json: body });
    expect(res.status, res.text).toBe(200);
  }

  /** WhatsappCloudService#send_template: the body for a synced template and the dashboard's processed_params. */
  function templateBody(to: string, name: string, language: string, components: Json[]) {
    return {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      type: 'template',
      // #template_body_parameters: `components: template_info[:parameters] || []`.
      template: { name, language: { policy: 'deterministic', code: language }, components },
    };
  }
  /** TemplateProcessorService#find_template: name, language and `status&.downcase == 'approved'`. */
  const synced = (name: string, language = 'en_US') => {
    const tpl = messageTemplates.find((x) => x.name === name && x.language === language && String(x.status).toLowerCase() === 'approved');
    if (!tpl) throw new Error(`template ${name} (${language}) is not among the synced templates`);
    return tpl;
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startReplayApp(kind);
    p = await t.tenant();
    const ch = await t.deps.db.kysely
      .selectFrom('channels')
      .innerJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
      .select(['channels.phone_number', 'channels.external_id', 'channels.hosting_type', 'waba_accounts.external_id as waba_external_id'])
      .where('channels.id', '=', p.channel_id)
      .executeTakeFirstOrThrow();
    expect(ch.hosting_type).toBe('cloud');
    channelNumber = `+${ch.phone_number}`;
    config = { api_key: p.channel_api_key, phone_number_id: ch.external_id, business_account_id: ch.waba_external_id };
    webhookPath = `/webhooks/whatsapp/${channelNumber}`;
    // The 360dialog user points the number's webhook at Chatwoot's URL for the inbox.
    const hook = await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': config.api_key }, json: { url: `${receiver.url}${webhookPath}` } });
    expect(hook.status, hook.text).toBe(200);
    janeFirst = await userWrites({ from: JANE, name: 'Jane Doe', text: { body: 'Hi, where is my order?' } });
    await userWrites({ from: OTTO, name: 'Otto', text: { body: 'moin' } });

    // The WABA's templates, as the 360dialog user made them: one per shape Chatwoot's template
    // code builds parameters for (the Hub's work, not Chatwoot's).
    await createTemplate({
      name: 'order_shipped',
      category: 'UTILITY',
      language: 'en_US',
      components: [
        { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2UvanBlZw==:ARb'] } },
        { type: 'BODY', text: 'Hi {{1}}, your order {{2}} has shipped.', example: { body_text: [['Jane', '#1001']] } },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'URL', text: 'Track it', url: 'https://shop.example.com/track/{{1}}', example: ['https://shop.example.com/track/1001'] },
            { type: 'QUICK_REPLY', text: 'Stop updates' },
          ],
        },
      ],
    });
    await createTemplate({
      name: 'delivery_window',
      category: 'UTILITY',
      language: 'en_US',
      parameter_format: 'NAMED',
      components: [
        {
          type: 'BODY',
          text: 'Hello {{customer_name}}, we deliver on {{delivery_day}} between 9 and 12.',
          example: { body_text_named_params: [{ param_name: 'customer_name', example: 'Jane' }, { param_name: 'delivery_day', example: 'Monday' }] },
        },
      ],
    });
    await createTemplate({
      name: 'invoice_ready',
      category: 'UTILITY',
      language: 'en_US',
      components: [
        { type: 'HEADER', format: 'DOCUMENT', example: { header_handle: ['4::YXBwbGljYXRpb24vcGRm:ARb'] } },
        { type: 'BODY', text: 'Your invoice {{1}} is attached.', example: { body_text: [['INV-7']] } },
      ],
    });
    await createTemplate({
      name: 'payment_due',
      category: 'UTILITY',
      language: 'en_US',
      components: [{ type: 'BODY', text: 'A payment of {{1}} is due on {{2}}, thank you.', example: { body_text: [['€12.50', 'May 1']] } }],
    });
    await createTemplate({
      name: 'spring_coupon',
      category: 'MARKETING',
      language: 'en_US',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Hello {{1}}', example: { header_text: ['Jane'] } },
        { type: 'BODY', text: 'Spring is here: use the code below for 10% off.' },
        { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: 'SPRING10' }] },
      ],
    });
    await createTemplate({
      name: 'login_code',
      category: 'AUTHENTICATION',
      language: 'en_US',
      components: [{ type: 'BODY', add_security_recommendation: true }, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] }],
    });
    // More than Meta's default page (25): Chatwoot's sync has to follow paging.next.
    for (let i = 1; i <= 22; i++) {
      await createTemplate({ name: `seasonal_note_${String(i).padStart(2, '0')}`, category: 'MARKETING', language: 'en_US', components: [{ type: 'BODY', text: `Seasonal note number ${i} for our customers.` }] });
    }
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  describe('setting the inbox up', () => {
    it('validate_provider_config?: GET message_templates answers 2xx with the key, 401 with a wrong one', async () => {
      // WhatsappCloudService#validate_provider_config?: only `response.success?` is read.
      const ok = await t.request('GET', '/message_templates', { headers: { 'D360-API-KEY': config.api_key, ...NET_HTTP } });
      expect(ok.status).toBe(200);
      const wrong = await t.request('GET', '/message_templates', { headers: { 'D360-API-KEY': 'not-a-key', ...NET_HTTP } });
      expect(wrong.status).toBe(401);
      // Upstream's unmapped request carries the key only as ?access_token=: not a 360dialog key place.
      const unmapped = await t.request('GET', '/message_templates', { query: { access_token: config.api_key }, headers: NET_HTTP });
      expect(unmapped.status).toBe(401);
    });

    it('sync_templates: data of every page, following paging.next until there is none', async () => {
      const all = await waitUntil('every template approved', async () => {
        // WhatsappCloudService#fetch_whatsapp_templates(url): `return [] unless response.success?`,
        // `response['data'] + fetch_whatsapp_templates(next_url)` while #next_url
        // (`response['paging'] ? response['paging']['next'] : ''`) is present. HTTParty GETs each URL as it comes.
        const pages: HttpResponse[] = [];
        let url: string | undefined = '/message_templates';
        while (url) {
          const res: HttpResponse = await t.request('GET', url, { headers: { 'D360-API-KEY': config.api_key, ...NET_HTTP } });
          expect(res.status, res.text).toBe(200);
          expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
          pages.push(res);
          url = res.body.paging ? res.body.paging.next : '';
          // An absolute URL on openwaba itself (HTTParty takes no relative one).
          if (url) expect(url.startsWith(`${t.baseUrl}/message_templates?`)).toBe(true);
        }
        const data = pages.flatMap((x) => x.body.data as Json[]);
        return pages.length >= 2 && data.length === 29 && data.every((x) => x.status === 'APPROVED') ? data : undefined;
      });
      // Each template once, across the pages.
      expect(new Set(all.map((x) => `${x.name}/${x.language}`)).size).toBe(all.length);
      messageTemplates = all;
      for (const tpl of messageTemplates) {
        // What Chatwoot keeps and reads: name, language, status (find_template), parameter_format
        // (#process_body_components), components (the dashboard's template picker), id and category.
        expect(typeof tpl.id).toBe('string');
        expect(typeof tpl.name).toBe('string');
        expect(tpl.language).toBe('en_US');
        expect(typeof tpl.category).toBe('string');
        expect(['POSITIONAL', 'NAMED']).toContain(tpl.parameter_format);
        expect(Array.isArray(tpl.components)).toBe(true);
      }
      expect(synced('delivery_window').parameter_format).toBe('NAMED');
      expect(synced('order_shipped').parameter_format).toBe('POSITIONAL');
      expect(synced('hello_world').components.find((c: Json) => c.type === 'BODY').text).toEqual(expect.any(String));

      // A later fork's fetch_whatsapp_templates(after:) follows paging.cursors.after while present
      // (Meta gives cursors on the last page too): the same templates, ending on an empty page.
      const byCursor: Json[] = [];
      let after: string | undefined;
      for (let round = 0; round < 5; round++) {
        const res = await t.request('GET', '/message_templates', { query: after ? { after } : {}, headers: apiHeaders() });
        expect(res.status, res.text).toBe(200);
        byCursor.push(...(res.body.data as Json[]));
        after = res.body.paging?.cursors?.after;
        if (!after) break;
      }
      expect(after).toBeUndefined();
      expect(byCursor.map((x) => x.id)).toEqual(all.map((x) => x.id));
    });
  });

  describe('outgoing messages (WhatsappCloudService#send_message)', () => {
    it('send_text_message: `context: null` when the message replies to nothing, {message_id} when it does', async () => {
      // #whatsapp_reply_context returns nil without in_reply_to_external_id, and `.to_json` writes
      // "context": null (whatsapp_cloud_service_spec.rb stubs exactly this body).
      const plain = { messaging_product: 'whatsapp', context: null, to: JANE, text: { body: 'Your order ships today.' }, type: 'text' };
      const id = sourceIdOf(await postMessages(plain));
      expect(await stored(id)).toMatchObject({ type: 'text', wa_id: JANE, context_id: null, content: { body: 'Your order ships today.' } });
      expect((await stored(id)).message).not.toHaveProperty('context');
      // A reply to Jane's message: content_attributes[:in_reply_to_external_id] is its wamid.
      const reply = { messaging_product: 'whatsapp', context: { message_id: janeFirst }, to: JANE, text: { body: 'It left our warehouse this morning.' }, type: 'text' };
      const replyId = sourceIdOf(await postMessages(reply));
      expect(await stored(replyId)).toMatchObject({ context_id: janeFirst, message: { context: { message_id: janeFirst } } });
      // WhatsappCloudService's spec sends to '+123456789': Meta takes the number with its +; the
      // answer's contacts[0].input is what was sent (Chatwoot reads only messages[0].id).
      const plus = await postMessages({ ...plain, to: `+${JANE}` });
      sourceIdOf(plus);
      expect(plus.body.contacts).toEqual([{ input: `+${JANE}`, wa_id: JANE }]);
    });

    it('send_attachment_message: media by link, caption from the message (null without text), filename for documents, voice for recordings', async () => {
      // type: image/audio/video as the attachment's file_type, anything else a document;
      // caption unless audio or sticker; filename for a document; `voice: true` for a recorded
      // ogg (the later shape); `context` as for text.
      const bodies: Json[] = [
        { messaging_product: 'whatsapp', context: null, to: JANE, type: 'image', image: { link: blobUrl('photo.jpg'), caption: 'Here is the photo' } },
        { messaging_product: 'whatsapp', context: null, to: JANE, type: 'video', video: { link: blobUrl('clip.mp4'), caption: 'And a clip' } },
        { messaging_product: 'whatsapp', context: null, to: JANE, type: 'document', document: { link: blobUrl('invoice.pdf'), caption: 'Your invoice', filename: 'invoice.pdf' } },
        { messaging_product: 'whatsapp', context: null, to: JANE, type: 'audio', audio: { link: blobUrl('recording.ogg'), voice: true } },
        { messaging_product: 'whatsapp', context: null, to: JANE, type: 'audio', audio: { link: blobUrl('song.mp3') } },
        // An attachment sent without text: outgoing_content is nil, so "caption": null.
        { messaging_product: 'whatsapp', context: null, to: JANE, type: 'image', image: { link: blobUrl('scan.png'), caption: null } },
        { messaging_product: 'whatsapp', context: null, to: JANE, type: 'document', document: { link: blobUrl('terms.pdf'), caption: null, filename: 'terms.pdf' } },
        // A reply with a file.
        { messaging_product: 'whatsapp', context: { message_id: janeFirst }, to: JANE, type: 'image', image: { link: blobUrl('parcel.jpg'), caption: 'This one?' } },
      ];
      for (const body of bodies) {
        const id = sourceIdOf(await postMessages(body));
        const row = await stored(id);
        expect(row.type).toBe(body.type);
        const { caption, ...rest } = body[body.type];
        expect(row.content).toEqual(caption === null ? rest : body[body.type]);
        expect(row.context_id).toBe(body.context?.message_id ?? null);
      }
    });

    it('send_interactive_text_message: input_select items as reply buttons or a list, the action as JSON text (upstream) or a hash', async () => {
      // BaseService#create_button_payload: ≤ 3 items without descriptions, `action: JSON.generate(…)`
      // (the spec's stubbed body); #create_list_payload otherwise, the button label from I18n.
      const buttons = { buttons: ['Burito', 'Pasta', 'Sushi'].map((x) => ({ type: 'reply', reply: { id: x, title: x } })) };
      const list = {
        button: LIST_BUTTON_LABEL,
        sections: [{ rows: [{ id: 'Burito', title: 'Burito' }, { id: 'Pasta', title: 'Pasta', description: 'Fresh every day' }] }],
      };
      for (const [type, action] of [
        ['button', buttons],
        ['list', list],
      ] as const) {
        for (const wire of [JSON.stringify(action), action]) {
          const id = sourceIdOf(await postMessages({ messaging_product: 'whatsapp', to: JANE, interactive: { type, body: { text: 'What would you like?' }, action: wire }, type: 'interactive' }));
          // Stored as the object, whichever way it came (the sandbox phone renders it).
          expect((await stored(id)).content).toEqual({ type, body: { text: 'What would you like?' }, action });
        }
      }
    });

    it('the payload builders: interactive buttons with an image header, a list with a text header and sections, cta_url', async () => {
      // InteractiveButtonsPayloadBuilder#perform: {type, header: {type: image, image: {link}},
      // body: {text}, footer: {text}, action: {buttons}} (.compact), titles cut to 20 characters.
      const interactiveButtons = {
        type: 'button',
        header: { type: 'image', image: { link: blobUrl('menu.jpg') } },
        body: { text: 'Would you like to book a table?' },
        footer: { text: 'Reply with a button' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'book_yes', title: 'Yes, book it' } },
            { type: 'reply', reply: { id: 'book_no', title: 'No, thank you' } },
          ],
        },
      };
      // InteractiveListPayloadBuilder#perform: a text header, action {button: button_text, sections:
      // [{title, rows: [{id, title, description}.compact]}.compact]}.
      const interactiveList = {
        type: 'list',
        header: { type: 'text', text: 'Our menu' },
        body: { text: 'Pick a dish' },
        footer: { text: 'Prices include VAT' },
        action: {
          button: 'See dishes',
          sections: [
            { title: 'Mains', rows: [{ id: 'pizza', title: 'Pizza', description: 'Margherita' }, { id: 'pasta', title: 'Pasta' }] },
            { title: 'Drinks', rows: [{ id: 'water', title: 'Water' }] },
          ],
        },
      };
      // CtaUrlPayloadBuilder#perform: {type: cta_url, header (image), body, action: {name: cta_url,
      // parameters: {display_text, url}}, footer}; the URL's & goes out as \u0026 (Rails' to_json).
      const ctaUrl = {
        type: 'cta_url',
        header: { type: 'image', image: { link: blobUrl('sale.jpg') } },
        body: { text: 'Our spring collection is here' },
        action: { name: 'cta_url', parameters: { display_text: 'Open the shop', url: 'https://shop.example.com/spring?utm_source=chatwoot&utm_medium=whatsapp' } },
        footer: { text: 'Until Sunday' },
      };
      for (const interactive of [interactiveButtons, interactiveList, ctaUrl]) {
        const id = sourceIdOf(await postMessages({ messaging_product: 'whatsapp', to: OTTO, interactive, type: 'interactive' }));
        expect((await stored(id)).content).toEqual(interactive);
      }
    });

    it('send_reaction_message: recipient_type individual, reaction {message_id: in_reply_to_external_id, emoji}', async () => {
      const like = await postMessages({ messaging_product: 'whatsapp', recipient_type: 'individual', to: JANE, type: 'reaction', reaction: { message_id: janeFirst, emoji: '👍' } });
      expect((await stored(sourceIdOf(like))).content).toEqual({ message_id: janeFirst, emoji: '👍' });
    });

    it('read_messages and toggle_typing_status: POST /messages {message_id, status: read[, typing_indicator]}, response.success?', async () => {
      const later = await userWrites({ from: OTTO, text: { body: 'Are you open on Sunday?' } });
      // #toggle_typing_status (conversation.typing_on): read with the typing indicator, the last message's source_id.
      const typing = await postMessages({ messaging_product: 'whatsapp', message_id: later, status: 'read', typing_indicator: { type: 'text' } });
      expect(typing.status).toBe(200);
      expect(typing.body).toEqual({ success: true });
      // #read_messages: the last of the messages read ("applies to all previous ones").
      const read = await postMessages({ messaging_product: 'whatsapp', message_id: later, status: 'read' });
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ success: true });
      expect((await stored(later)).status).toBe('read');
      // Channel::Whatsapp#toggle_typing_status passes conversation.messages.last, often the agent's
      // own message: only logged when not success?; openwaba takes it as a no-op.
      const own = sourceIdOf(await postMessages({ messaging_product: 'whatsapp', context: null, to: OTTO, text: { body: 'Yes, from 10 to 4.' }, type: 'text' }));
      const typingAfterOwn = await postMessages({ messaging_product: 'whatsapp', message_id: own, status: 'read', typing_indicator: { type: 'text' } });
      expect(typingAfterOwn.body).toEqual({ success: true });
    });

    it('refusals: error.message for handle_error; a wrong key answers 360dialog\'s 401 body, which error_message finds nothing in', async () => {
      // A refused send: no messages, `error.message` becomes external_error.
      const tooLong = await postMessages({ messaging_product: 'whatsapp', context: null, to: JANE, text: { body: 'x'.repeat(4097) }, type: 'text' });
      expect(tooLong.status).toBe(400);
      expect(externalErrorOf(tooLong)).toContain('Invalid parameter');
      expect(tooLong.body.error).toMatchObject({ code: 100, type: 'OAuthException', error_data: { messaging_product: 'whatsapp', details: expect.stringMatching(/^text\.body: /) } });
      // Eleven list rows (InteractiveListPayloadBuilder does not count them): Meta's limit, refused.
      const rows = Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, title: `Row ${i}` }));
      const eleven = await postMessages({ messaging_product: 'whatsapp', to: JANE, interactive: { type: 'list', body: { text: 'Pick' }, action: { button: 'Open', sections: [{ rows }] } }, type: 'interactive' });
      expect(externalErrorOf(eleven)).toContain('Invalid parameter');
      // A wrong key: 360dialog's own body. process_response sees no success and #error_message
      // (dig('error', 'message')) nil, so handle_error only logs: the message is not marked failed.
      const wrongKey = await postMessages({ messaging_product: 'whatsapp', context: null, to: JANE, text: { body: 'x' }, type: 'text' }, 'not-a-key');
      expect(wrongKey.status).toBe(401);
      expect(wrongKey.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
      expect(wrongKey.body.error).toBeUndefined();
    });
  });

  describe('templates (#send_template with TemplateProcessorService parameters, the CSAT template)', () => {
    it('positional: image header, body and a URL button (index as an Integer); sent, delivered, read to a user who never wrote', async () => {
      const tpl = synced('order_shipped');
      const components = templateComponents(tpl, {
        header: { media_url: 'https://cdn.example.com/parcel.jpg', media_type: 'image' },
        body: { '1': 'Jane', '2': '#1001' },
        buttons: [{ type: 'url', parameter: '1001' }],
      });
      expect(components).toEqual([
        { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/parcel.jpg' } }] },
        { type: 'body', parameters: [{ type: 'text', text: 'Jane' }, { type: 'text', text: '#1001' }] },
        { type: 'button', sub_type: 'url', index: 0, parameters: [{ type: 'text', text: '1001' }] },
      ]);
      const id = sourceIdOf(await postMessages(templateBody(COLD, tpl.name, tpl.language, components)));
      expect(await stored(id)).toMatchObject({ type: 'template', wa_id: COLD, template_name: 'order_shipped' });
      // Base#process_statuses finds the message by statuses[0].id; #update_message_with_status sets statuses[0].status.
      for (const status of ['sent', 'delivered', 'read']) {
        const s = routedToChannel(await statusHook(id, status)).statuses[0];
        expect(s).toMatchObject({ id, status, recipient_id: COLD, timestamp: expect.stringMatching(/^\d+$/) });
        expect(s.errors).toBeUndefined();
      }
    });

    it('named: parameter_format NAMED from the sync makes each body parameter {type, parameter_name, text}', async () => {
      const tpl = synced('delivery_window');
      const components = templateComponents(tpl, { body: { customer_name: 'Jane', delivery_day: 'Monday' } });
      expect(components).toEqual([
        {
          type: 'body',
          parameters: [
            { type: 'text', parameter_name: 'customer_name', text: 'Jane' },
            { type: 'text', parameter_name: 'delivery_day', text: 'Monday' },
          ],
        },
      ]);
      sourceIdOf(await postMessages(templateBody(COLD, tpl.name, tpl.language, components)));
      // Positional parameters for the named template (a sync without parameter_format would do
      // this): refused, and the error's message is what Chatwoot shows.
      const positional = await postMessages(templateBody(COLD, tpl.name, tpl.language, templateComponents({}, { body: { '1': 'Jane', '2': 'Monday' } })));
      expect(positional.status).toBe(400);
      expect(externalErrorOf(positional)).toMatch(/\(#132000\)/);
    });

    it('a document header with media_name as filename; currency and date_time body parameters with nil fields', async () => {
      const invoice = synced('invoice_ready');
      const doc = templateComponents(invoice, {
        header: { media_url: 'https://cdn.example.com/INV-7.pdf', media_type: 'document', media_name: 'INV-7.pdf' },
        body: { '1': 'INV-7' },
      });
      expect(doc[0]).toEqual({ type: 'header', parameters: [{ type: 'document', document: { link: 'https://cdn.example.com/INV-7.pdf', filename: 'INV-7.pdf' } }] });
      sourceIdOf(await postMessages(templateBody(COLD, invoice.name, invoice.language, doc)));

      const due = synced('payment_due');
      const money = templateComponents(due, {
        body: { '1': { type: 'currency', fallback_value: '€12.50', code: 'EUR', amount_1000: 12500 }, '2': { type: 'date_time', fallback_value: 'May 1' } },
      });
      // #build_date_time_parameter writes every key: day_of_week … year are null here.
      expect(money[0]!.parameters[1]).toEqual({ type: 'date_time', date_time: { fallback_value: 'May 1', day_of_week: null, day_of_month: null, month: null, year: null } });
      const id = sourceIdOf(await postMessages(templateBody(COLD, due.name, due.language, money)));
      expect((await stored(id)).content.components).toEqual(money);
    });

    it('a text header parameter and a copy_code button (coupon_code); an authentication code (body and url button)', async () => {
      const coupon = synced('spring_coupon');
      const couponComponents = templateComponents(coupon, { header: { '1': 'Jane' }, buttons: [{ type: 'copy_code', parameter: 'SPRING10' }] });
      expect(couponComponents).toEqual([
        { type: 'header', parameters: [{ type: 'text', text: 'Jane' }] },
        { type: 'button', sub_type: 'copy_code', index: 0, parameters: [{ type: 'coupon_code', coupon_code: 'SPRING10' }] },
      ]);
      sourceIdOf(await postMessages(templateBody(COLD, coupon.name, coupon.language, couponComponents)));

      // An authentication template: the code in the body and as the OTP button's url parameter.
      const otp = synced('login_code');
      const otpComponents = templateComponents(otp, { body: { '1': '482913' }, buttons: [{ type: 'url', parameter: '482913' }] });
      sourceIdOf(await postMessages(templateBody(COLD, otp.name, otp.language, otpComponents)));
      // hello_world (no variables): components [].
      const hello = synced('hello_world');
      sourceIdOf(await postMessages(templateBody(COLD, hello.name, hello.language, templateComponents(hello, {}))));
    });

    it('refusals: an unknown template and a missing parameter answer error.message (#132001, #132000)', async () => {
      const unknown = await postMessages(templateBody(COLD, 'no_such_template', 'en_US', []));
      expect(externalErrorOf(unknown)).toMatch(/\(#132001\)/);
      const tpl = synced('order_shipped');
      const missing = await postMessages(templateBody(COLD, tpl.name, tpl.language, templateComponents(tpl, { body: { '1': 'Jane' } })));
      expect(externalErrorOf(missing)).toMatch(/\(#132000\)/);
    });

    it('CSAT: create_csat_template, get_template_status until APPROVED, the survey send, delete_csat_template', async () => {
      // CsatTemplateService#create_template: POST message_templates, language 'en', MARKETING, a
      // BODY and one URL button "#{base_url}/survey/responses/{{1}}" with example ['12345'].
      const create = await t.request('POST', '/message_templates', {
        headers: apiHeaders(),
        raw: toJson({
          name: CSAT_NAME,
          language: 'en',
          category: 'MARKETING',
          components: [
            { type: 'BODY', text: 'How would you rate your conversation with us?' },
            { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Please rate us', url: 'https://chatwoot.example.com/survey/responses/{{1}}', example: ['12345'] }] },
          ],
        }),
      });
      // #process_template_creation_response: response.success?, response['id'] (and response['name'] if any).
      expect(create.status, create.text).toBe(200);
      expect(create.body.id).toMatch(/^\d+$/);
      // #get_template_status: GET message_templates?name=…, response['data'].first id, name, status, language.
      const status = await waitUntil('the CSAT template approved', async () => {
        const res = await t.request('GET', '/message_templates', { query: { name: CSAT_NAME }, headers: apiHeaders() });
        expect(res.status).toBe(200);
        const first = res.body.data?.[0];
        return first?.status === 'APPROVED' ? first : undefined;
      });
      expect(status).toMatchObject({ id: create.body.id, name: CSAT_NAME, language: 'en' });
      // CsatSurveyService#build_template_info: a url button, index '0', the conversation's uuid.
      const uuid = 'c0a8012e-8f2d-4a7e-9b1c-3d5e7f9a1b2c';
      const send = templateBody(JANE, CSAT_NAME, 'en', [{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: uuid }] }]);
      const id = sourceIdOf(await postMessages(send));
      expect(await stored(id)).toMatchObject({ template_name: CSAT_NAME });
      // #delete_template: DELETE message_templates?name=…; only response.success? is read.
      const del = await t.request('DELETE', '/message_templates', { query: { name: CSAT_NAME }, headers: apiHeaders() });
      expect(del.status).toBe(200);
      expect(del.body).toEqual({ success: true });
      const gone = await t.request('GET', '/message_templates', { query: { name: CSAT_NAME }, headers: apiHeaders() });
      expect(gone.body.data).toEqual([]);
    });

    it('a template review reaches the same URL as Meta sends it, without metadata: the events job finds no channel and drops it', async () => {
      // Upstream Chatwoot handles no message_template_status_update: get_channel_from_wb_payload
      // reads metadata.display_phone_number, which a WABA-level change has not, so "+" names no
      // channel and the event is dropped (not misread as a message).
      const review = await receiver.waitForBody('the review of order_shipped', () =>
        hooks().find((b) => b.entry?.[0]?.changes?.[0]?.field === 'message_template_status_update' && valueOf(b).message_template_name === 'order_shipped'),
      );
      expect(review.object).toBe('whatsapp_business_account');
      expect(review.entry[0].id).toBe(config.business_account_id);
      const value = valueOf(review);
      expect(value.metadata).toBeUndefined();
      expect(value.messages).toBeUndefined();
      expect(value.statuses).toBeUndefined();
      expect(value).toMatchObject({ event: 'APPROVED', message_template_name: 'order_shipped', message_template_language: 'en_US', reason: 'NONE' });
      expect(String(value.message_template_id)).toBe(synced('order_shipped').id);
    });
  });

  describe('incoming messages (IncomingMessageWhatsappCloudService over the Cloud webhook)', () => {
    /**
     * IncomingMessageWhatsappCloudService#download_attachment_file: GET media_url(id,
     * phone_number_id) with api_headers (unauthorized? → authorization_error!), then
     * Down.download(parsed_response['url'], headers: api_headers). Down needs a 2xx; the attachment
     * takes the answer's content type, and its filename from Content-Disposition (or the payload's).
     */
    async function downloadAsChatwoot(mediaId: string) {
      const info = await t.request('GET', `/${mediaId}`, { query: { phone_number_id: config.phone_number_id }, headers: apiHeaders() });
      expect(info.status, info.text).toBe(200);
      expect(typeof info.body.url).toBe('string');
      expect(info.body.url.startsWith(t.baseUrl)).toBe(true);
      const file = await fetch(info.body.url, { headers: { ...apiHeaders(), 'user-agent': 'Down/5.4.2' } });
      expect(file.status).toBe(200);
      return { info: info.body as Json, file, bytes: Buffer.from(await file.arrayBuffer()) };
    }

    it('text: the envelope the events job routes, contacts[0] and messages[0] as set_contact and create_message read them', async () => {
      const id = await userWrites({ from: JANE, text: { body: 'Do you ship to Austria?' } });
      const body = await inboundHook(id);
      const m = readsAsChatwoot(body, JANE, 'text');
      // helpers#message_content: message.dig(:text, :body).
      expect(m.text.body).toBe('Do you ship to Austria?');
      // The profile name stays the user's (update_contact_with_profile_name).
      expect(valueOf(body).contacts[0].profile.name).toBe('Jane Doe');
      const req = receiver.requests.find((r) => r.body.includes(id))!;
      // Rails parses params from a JSON POST; the route's :phone_number keeps its +.
      expect(req.method).toBe('POST');
      expect(req.url).toBe(webhookPath);
      expect(String(req.headers['content-type'])).toMatch(/^application\/json/);
    });

    it('image, document (filename), voice note and sticker: [type][:id] downloads by id then by url, [:caption] is the content', async () => {
      const photo = await phoneUploads('photo.jpg');
      const id = await userWrites({ from: JANE, type: 'image', image: { id: photo.id, caption: 'Is this the right one?' } });
      const m = readsAsChatwoot(await inboundHook(id), JANE, 'image');
      // #attach_files: messages[0][message_type][:caption] (content) and [:id] (the download).
      expect(m.image).toMatchObject({ id: photo.id, mime_type: 'image/jpeg', sha256: sha256(photo.sample.data), caption: 'Is this the right one?' });
      const got = await downloadAsChatwoot(m.image.id);
      expect(got.info).toMatchObject({ id: photo.id, mime_type: 'image/jpeg', sha256: sha256(photo.sample.data), file_size: photo.sample.data.length, messaging_product: 'whatsapp' });
      expect(got.file.headers.get('content-type')).toMatch(/^image\/jpeg/);
      expect(got.file.headers.get('content-disposition')).toMatch(/filename="?[^"]+\.jpe?g"?/);
      expect(got.bytes.equals(photo.sample.data)).toBe(true);

      const cases: [string, string, Json][] = [
        ['document', 'invoice.pdf', { filename: 'invoice-7.pdf', caption: 'my invoice' }],
        ['audio', 'voice.ogg', { voice: true }],
        ['sticker', 'static.webp', {}],
      ];
      for (const [type, name, extra] of cases) {
        const up = await phoneUploads(name);
        const mid = await userWrites({ from: OTTO, type, [type]: { id: up.id, ...extra } });
        const msg = readsAsChatwoot(await inboundHook(mid), OTTO, type);
        // helpers#file_content_type maps the type; the later download keeps attachment_payload[:filename].
        expect(msg[type]).toMatchObject({ id: up.id, mime_type: up.sample.mime, ...extra });
        const d = await downloadAsChatwoot(msg[type].id);
        expect(d.file.headers.get('content-type')).toMatch(new RegExp(`^${up.sample.mime}`));
        expect(d.bytes.equals(up.sample.data)).toBe(true);
      }
    });

    it('a media download with a revoked or wrong key is a 401 (url_response.unauthorized? → authorization_error!)', async () => {
      const photo = await phoneUploads('chart.png');
      const info = await t.request('GET', `/${photo.id}`, { query: { phone_number_id: config.phone_number_id }, headers: apiHeaders('not-a-key') });
      expect(info.status).toBe(401);
      // And the url itself needs the key (Down.download with api_headers).
      const ok = await t.request('GET', `/${photo.id}`, { headers: apiHeaders() });
      const file = await fetch(ok.body.url, { headers: { 'D360-API-KEY': 'not-a-key' } });
      expect(file.status).toBe(401);
    });

    it('location (#attach_location: latitude, longitude, name, address) and contacts (#create_contact_messages)', async () => {
      const loc = await userWrites({ from: JANE, type: 'location', location: { latitude: 52.516275, longitude: 13.377704, name: 'Brandenburger Tor', address: 'Pariser Platz, Berlin' } });
      const m = readsAsChatwoot(await inboundHook(loc), JANE, 'location');
      expect(typeof m.location.latitude).toBe('number');
      expect(typeof m.location.longitude).toBe('number');
      expect(m.location).toMatchObject({ latitude: 52.516275, longitude: 13.377704, name: 'Brandenburger Tor', address: 'Pariser Platz, Berlin' });

      const card = { name: { formatted_name: 'Bob Builder', first_name: 'Bob', last_name: 'Builder' }, phones: [{ phone: '+49 30 1234567', type: 'WORK', wa_id: '49301234567' }] };
      const c = readsAsChatwoot(await inboundHook(await userWrites({ from: JANE, type: 'contacts', contacts: [card] })), JANE, 'contacts');
      // message['contacts'].each: name.formatted_name (content), first_name/last_name (meta), phones[].phone.
      expect(c.contacts[0].name).toMatchObject({ formatted_name: 'Bob Builder', first_name: 'Bob', last_name: 'Builder' });
      expect(c.contacts[0].phones[0].phone).toBe('+49 30 1234567');
    });

    it('replies: context.id is the agent message\'s source_id; button.text, interactive button_reply / list_reply title and id', async () => {
      const asked = sourceIdOf(
        await postMessages({
          messaging_product: 'whatsapp',
          to: OTTO,
          interactive: { type: 'button', body: { text: 'Table for two at 8?' }, action: JSON.stringify({ buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }] }) },
          type: 'interactive',
        }),
      );
      // helpers#message_content: text.body, button.text, interactive.button_reply.title,
      // interactive.list_reply.title; #message_content_attributes (later): the reply's id, type and
      // button payload; #process_in_reply_to: message['context']['id'].
      const cases: [string, Json, (m: Json) => unknown, unknown][] = [
        ['text', { body: 'Yes please' }, (m) => m.text.body, 'Yes please'],
        ['button', { text: 'Stop updates', payload: 'STOP' }, (m) => [m.button.text, m.button.payload], ['Stop updates', 'STOP']],
        ['interactive', { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } }, (m) => [m.interactive.type, m.interactive.button_reply.id, m.interactive.button_reply.title], ['button_reply', 'yes', 'Yes']],
        ['interactive', { type: 'list_reply', list_reply: { id: 'pasta', title: 'Pasta', description: 'fresh' } }, (m) => [m.interactive.type, m.interactive.list_reply.id, m.interactive.list_reply.title], ['list_reply', 'pasta', 'Pasta']],
      ];
      for (const [type, content, read, expected] of cases) {
        const id = await userWrites({ from: OTTO, type, [type]: content, context: { message_id: asked } });
        const m = readsAsChatwoot(await inboundHook(id), OTTO, type);
        expect(read(m)).toEqual(expected);
        expect(m.context.id).toBe(asked);
        // Meta's context.from is the business number the user replied to.
        expect(`+${m.context.from}`).toBe(channelNumber);
      }
    });

    it('a reaction: type reaction (skipped by upstream\'s unprocessable_message_type?), reaction.message_id and emoji', async () => {
      const agent = sourceIdOf(await postMessages({ messaging_product: 'whatsapp', context: null, to: JANE, text: { body: 'Your parcel arrived' }, type: 'text' }));
      const id = await userWrites({ from: JANE, type: 'reaction', reaction: { message_id: agent, emoji: '❤️' } });
      const m = readsAsChatwoot(await inboundHook(id), JANE, 'reaction');
      // Forks that keep reactions read reaction.message_id as in_reply_to and the emoji as content.
      expect(m.reaction).toEqual({ message_id: agent, emoji: '❤️' });
    });

    it("a session message to a user whose window is closed: 2xx, then failed with errors[0].code and title (external_error)", async () => {
      const id = sourceIdOf(await postMessages({ messaging_product: 'whatsapp', context: null, to: COLD, text: { body: 'Are you there?' }, type: 'text' }));
      // #update_message_with_status: status 'failed', external_error "#{errors[0][:code]}: #{errors[0][:title]}".
      const s = routedToChannel(await statusHook(id, 'failed')).statuses[0];
      expect(s).toMatchObject({ id, status: 'failed', recipient_id: COLD, timestamp: expect.stringMatching(/^\d+$/) });
      expect(s.errors[0].code).toBe(131047);
      expect(typeof s.errors[0].title).toBe('string');
      expect(s.errors[0].title.length).toBeGreaterThan(0);
      // Message#status is an enum (sent, delivered, read, failed): every status this channel got is
      // one of them, or the `played` of the voice note sent above, which Meta sends Chatwoot too:
      // assigning it raises ArgumentError, which process_statuses rescues (logged, status kept).
      const all = hooks().flatMap((b) => valueOf(b)?.statuses ?? []);
      expect(all.length).toBeGreaterThan(0);
      for (const x of all) expect(['sent', 'delivered', 'read', 'failed', 'played']).toContain(x.status);
    });
  });
});
