// A 360dialog-specific .NET client against openwaba's On-Premise Messaging API: WABA360Dialog.NET's
// WABA360DialogApiClient (C#, NuGet WABA360Dialog.NET; base https://waba.360dialog.io/). .NET
// cannot run here, so each request below is the one the client builds (its payload classes as
// Newtonsoft.Json writes them with the client's settings), and each answer and webhook is checked
// as the client's models read it (waba360dialog-net-models.ts: `newtonsoft`).
//
// Files read (repository yuenkik6/WABA360Dialog.NET in the code index; the index holds several
// versions of most files, the commit each was read at is named):
//   WABA360Dialog.NET/ApiClient/AbstractWABA360DialogApiClient.cs (7d4d81b8: MakeHttpRequestAsync —
//     BasePath + MethodName, the query without nulls, header D360-API-KEY, request.ToHttpContent() on
//     every non-GET, TryDeserializeJson<TResponse> of the answer whatever its status; a non-2xx or
//     an answer that does not deserialize throws ApiClientException with ErrorClientApiResponse's
//     errors and meta; MakeFileDownloadHttpRequestAsync adds User-Agent: Mozilla/5.0 and keeps the
//     bytes, Content-Type, Content-Disposition and Content-Length),
//   ApiClient/WABA360DialogApiClientBase.cs (the operations), WABA360DialogApiClient.cs (BASEURL),
//   ApiClient/Payloads/Base/ApiRequestBase.cs (13213de8, 8d96f0d0: [JsonObject(OptIn)], the request
//     object itself as "application/json"), Base/ApiResponseBase.cs (35cc36e1), Base/BinaryApiRequestBase.cs,
//     Base/BinaryApiResponseBase.cs, Models/ClientApiMeta.cs (72c03ee5), Models/Common/ErrorObject.cs,
//   ApiClient/Payloads/SendMessage.cs (667f6466), MarkMessageAsRead.cs (53b2347d), UploadMedia.cs,
//     GetMedia.cs, SetWebhookUrl.cs, GetWebhookUrl.cs, CheckContacts.cs, CheckPhoneNumber.cs,
//     HealthCheck.cs, GetTemplate.cs, CreateTemplate.cs, DeleteTemplate.cs (13213de8),
//     UpdateProfileInfoPhoto.cs (8d96f0d0), and UpdateProfileInfoAboutTextRequest and
//     UpdateBusinessProfileRequest (two versions each, found by their text in the index),
//   ApiClient/Payloads/Models/MessageObjects/MessageObject.cs, MessageObjectFactory.cs (13213de8),
//     Base/Models/AbstractMessageObjectFactory.cs (d5f41fc4), TextObjects/TextObject.cs,
//     MediaObjects/MediaObject.cs, ProviderObject.cs, LocationObjects/LocationObject.cs,
//     ContactObjects/ContactObject.cs (13213de8 and 4e4c6023), TemplateObjects/TemplateMessageObject.cs,
//     CreateTemplateObject.cs (0691f249), WhatsAppBusinessApiTemplate.cs, InteractiveObjects/*.cs,
//     ParameterObject.cs, Enums/LanguageObject.cs, Enums/MessageType.cs (13213de8, 8d96f0d0 and the
//     later one with `contacts` and `button`), Enums/Blocking.cs, Payloads/Converters/*.cs,
//   Common/Helpers/JsonHelper.cs (0b1e666b), Common/Converters/Base/EnumConverter.cs,
//     Common/Converters/WhatsAppLanguageConverter.cs,
//   ApiClient/Payloads/Models/WABA360DialogWebhookPayload.cs (c3167c07), WebhookObjects/*.cs
//     (WebhookMessageObject at 4e4c6023 and 092175a3, WebhookMessageStatus, ConversationObject,
//     PricingObject, OriginObject, WebhookMediaObject, MetadataObject, WebhookContextObject,
//     WebhookInteractiveObject, WebhookSystemObject, MessageIdentityObject, WebhookContactObject).
//
// What the client does that cannot work, on any server that follows the On-Premise API (each is
// asserted below, none bends openwaba):
// - MessageObject.contacts is ONE ContactObject whose `name` is a string: a contacts message goes
//   out as "contacts": {…} and is refused (the API takes an array of cards with a name object).
//   The same single ContactObject in WebhookMessageObject (4e4c6023) cannot read an inbound
//   contacts message ("contacts": [ … ]): that whole webhook fails to deserialize in the client.
// - TemplateMessageComponentObject writes "subtype" (not "sub_type") and has no "index", and
//   ParameterObject has no "payload" field: a template's button component is refused.
// - UpdateBusinessProfileRequest writes "vertical" as a list (IEnumerable<string>): the On-Premise
//   API's vertical is a string, so the update is refused naming `vertical`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as undiciRequest } from 'undici';
import { startReplayApp } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, type HttpResponse, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, uploadOnPrem, userWrites as userWritesAs } from './media-fixtures.ts';
import { META_ENV, epoch, metaCloudAndOnPrem, notification, post as postMeta, sentThroughMeta, statusOf, wamid } from '../meta/meta-webhook-fixtures.ts';
import {
  BASE,
  CHECK_CONTACTS,
  CREATED_TEMPLATE,
  HEALTH,
  ONPREM_WEBHOOK,
  PHONE_NUMBER,
  SEND,
  TEMPLATES,
  UPLOAD_ONPREM,
  WEBHOOK_URL,
  dotnetCalls,
  newtonsoft,
  type Model,
} from './waba360dialog-net-models.ts';

const ADMIN = 'd'.repeat(32);
const CHANNEL_NUMBER = '4930123450088';
/** Users who write first (their windows are open). */
const JANE = '4917612340088';
const OTTO = '4917612340089';
/** A user who never wrote. */
const COLD = '4917612340090';
const HOOK_PATH = '/dotnet/onprem';
/** The Meta-network On-Premise number (system messages and Meta's own errors come from Meta only). */
const META_ONPREM_NUMBER = '106540352242977';
const META_CLOUD_NUMBER = '106540352242966';

describeEachDb('client: WABA360Dialog.NET On-Premise messaging client against openwaba', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  /** The key the WABA360DialogApiClient was constructed with. */
  let apiKey: string;
  /** The WABA's template namespace, as GetTemplateAsync gives it. */
  let namespace: string;

  // MakeHttpRequestAsync and how its answers are read: see dotnetCalls.
  const { call, ok, refused } = dotnetCalls(() => ({ t, apiKey }));
  /** SendMessageAsync(MessageObject): POST v1/messages with the MessageObject as JsonHelper writes it. */
  const send = (message: Record<string, unknown>) => call('POST', 'v1/messages', SEND, { body: JSON.stringify(message) });
  /** A send the client returns: the id of CreatedMessages.First(). */
  function sentId(r: { res: HttpResponse; problems: string[] }): string {
    const body = ok(r, 201);
    expect(body.messages).toHaveLength(1);
    expect(typeof body.messages[0].id).toBe('string');
    return body.messages[0].id as string;
  }

  /** The webhooks that reached the client's endpoint, as WABA360DialogWebhookPayload. */
  const hooks = () => receiver.bodies(HOOK_PATH);
  const inboundHook = (id: string) => receiver.waitForBody(`the webhook of ${id}`, () => hooks().find((b) => b.messages?.[0]?.id === id));
  const statusHook = (id: string, status: string) =>
    receiver.waitForBody(`the ${status} status of ${id}`, () => hooks().find((b) => b.statuses?.[0]?.id === id && b.statuses[0].status === status));
  const userWrites = (json: Record<string, unknown>) => userWritesAs(t, apiKey, json);

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startReplayApp(kind, { ...META_ENV, OPENWABA_ADMIN_TOKEN: ADMIN });
    p = await t.tenant();
    const ch = await t.post(`/admin/partners/${p.partner_id}/clients/${p.client_id}/channels`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      json: { hosting_type: 'onpremise', phone_number: CHANNEL_NUMBER, phone_name: 'DotNet shop' },
    });
    expect(ch.status, ch.text).toBe(201);
    const k = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.body.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    expect(k.status, k.text).toBe(201);
    apiKey = k.body.api_key;
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  describe('the number and its webhook', () => {
    it('GetWebhookUrlAsync, SetWebhookUrlAsync(url, headers) and with headers null ("headers": null is written)', async () => {
      const before = ok(await call('GET', 'v1/configs/webhook', WEBHOOK_URL));
      expect(before).toMatchObject({ url: null, headers: {} });
      const url = `${receiver.url}${HOOK_PATH}`;
      // SetWebhookUrlRequest: [JsonProperty] url and headers, nulls included (no ItemNullValueHandling).
      const noHeaders = ok(await call('POST', 'v1/configs/webhook', WEBHOOK_URL, { body: JSON.stringify({ url, headers: null }) }));
      expect(noHeaders).toMatchObject({ url, headers: {} });
      const set = ok(await call('POST', 'v1/configs/webhook', WEBHOOK_URL, { body: JSON.stringify({ url, headers: { Authorization: 'Basic ZG90bmV0OnNlY3JldA==' } }) }));
      expect(set).toMatchObject({ url, headers: { Authorization: 'Basic ZG90bmV0OnNlY3JldA==' } });
      const read = ok(await call('GET', 'v1/configs/webhook', WEBHOOK_URL));
      expect(read).toEqual({ url, headers: { Authorization: 'Basic ZG90bmV0OnNlY3JldA==' } });
    });

    it('CheckPhoneNumberAsync, HealthCheckAsync (health a JObject)', async () => {
      expect(ok(await call('GET', 'v1/configs/phone_number', PHONE_NUMBER)).phone_number).toBe(CHANNEL_NUMBER);
      const health = ok(await call('GET', 'v1/health', HEALTH));
      expect(health.health).toEqual(expect.any(Object));
      expect(Array.isArray(health.health)).toBe(false);
    });

    it('CheckContactsAsync: {"contacts":[…],"blocking":"no_wait"|"wait","force_check":bool} → input, wa_id, status', async () => {
      // Blocking has BlockingConverter (no_wait, wait); force_check a bool, always written.
      const checked = ok(await call('POST', 'v1/contacts', CHECK_CONTACTS, { body: JSON.stringify({ contacts: [`+${JANE}`, 'not a number'], blocking: 'no_wait', force_check: false }) }));
      expect(checked.contacts).toEqual([
        { input: `+${JANE}`, status: 'valid', wa_id: JANE },
        { input: 'not a number', status: 'invalid' },
      ]);
      const waited = ok(await call('POST', 'v1/contacts', CHECK_CONTACTS, { body: JSON.stringify({ contacts: [OTTO], blocking: 'wait', force_check: true }) }));
      expect(waited.contacts[0]).toMatchObject({ input: OTTO, status: 'valid', wa_id: OTTO });
    });

    it('a wrong key: 401 with meta.developer_message, which ApiClientException carries', async () => {
      const r = await call('GET', 'v1/configs/webhook', WEBHOOK_URL, { key: 'not-a-key' });
      const body = refused(r, 401);
      expect(body.meta).toMatchObject({ success: false, http_code: 401, developer_message: 'Invalid api_key' });
    });
  });

  describe('SendMessageAsync with MessageObjectFactory', () => {
    beforeAll(async () => {
      await userWrites({ from: JANE, name: 'Jane Doe', text: { body: 'Hello shop' } });
      await userWrites({ from: OTTO, name: 'Otto', text: { body: 'moin' } });
    });

    it('CreateTextMessage(id, text, previewUrl): recipient_type, to, type, top-level preview_url, text → 201, and its statuses read as WebhookMessageStatus', async () => {
      const id = sentId(await send({ recipient_type: 'individual', to: JANE, type: 'text', preview_url: false, text: { body: 'Your order ships today.' } }));
      sentId(await send({ recipient_type: 'individual', to: JANE, type: 'text', preview_url: true, text: { body: 'Track it at https://example.com/t/1' } }));
      for (const status of ['sent', 'delivered', 'read']) {
        const hook = await statusHook(id, status);
        expect(newtonsoft(hook, ONPREM_WEBHOOK), JSON.stringify(hook)).toEqual([]);
        const s = hook.statuses[0];
        // MessageStatusConverter's table: delivered, read, sent, failed, deleted, warning.
        expect(['delivered', 'read', 'sent', 'failed', 'deleted', 'warning']).toContain(s.status);
        expect(s).toMatchObject({ id, recipient_id: JANE, timestamp: expect.stringMatching(/^\d+$/), type: 'message' });
        if (s.conversation) {
          expect(s.conversation.origin.type).toEqual(expect.any(String));
          // ConversationObject.ExpirationTimestamp is a long: a digit string reads, null would not.
          if ('expiration_timestamp' in s.conversation) expect(s.conversation.expiration_timestamp).toMatch(/^\d+$/);
        }
        if (s.pricing) expect(typeof s.pricing.billable).toBe('boolean');
      }
      // The delivery carries the custom header SetWebhookUrlAsync set.
      const req = receiver.requests.find((r) => r.url === HOOK_PATH && r.body.includes(id))!;
      expect(req.headers.authorization).toBe('Basic ZG90bmV0OnNlY3JldA==');
    });

    it('media by link (image, video, document with filename, audio, sticker), a provider {name}, captions left out when null', async () => {
      const link = (n: string) => `https://cdn.example.com/dotnet/${n}`;
      const bodies = [
        { recipient_type: 'individual', to: JANE, type: 'image', image: { link: link('photo.jpg'), caption: 'The photo' } },
        // CreateImageMessageByLink(…, caption: null, provider): ProviderObject {name} (type and config null, left out).
        { recipient_type: 'individual', to: JANE, type: 'image', image: { link: link('private.jpg'), provider: { name: 'dotnet-cdn' } } },
        { recipient_type: 'individual', to: JANE, type: 'video', video: { link: link('clip.mp4'), caption: 'A clip' } },
        { recipient_type: 'individual', to: JANE, type: 'document', document: { link: link('invoice.pdf'), caption: 'Invoice', filename: 'invoice.pdf' } },
        { recipient_type: 'individual', to: JANE, type: 'audio', audio: { link: link('voice.ogg') } },
        { recipient_type: 'individual', to: JANE, type: 'sticker', sticker: { link: link('sticker.webp') } },
      ];
      for (const body of bodies) sentId(await send(body));
    });

    it('UploadMediaAsync (raw body, its Content-Type) → media[0].id; CreateImageMessageByMediaId; GetMediaAsync returns the bytes and headers', async () => {
      const s = SAMPLES.find((x) => x.name === 'photo.jpg')!;
      // UploadMediaRequest: BinaryApiRequestBase, a ByteArrayContent with ContentType = contentType.
      const up = ok(await call('POST', 'v1/media', UPLOAD_ONPREM, { body: s.data, contentType: s.mime }), 201);
      const mediaId = up.media[0].id as string;
      sentId(await send({ recipient_type: 'individual', to: JANE, type: 'image', image: { id: mediaId, caption: 'Uploaded' } }));
      // GetMediaRequest: GET v1/media/{id} with D360-API-KEY and User-Agent: Mozilla/5.0.
      const file = await undiciRequest(`${t.baseUrl}/v1/media/${mediaId}`, { headers: { 'D360-API-KEY': apiKey, 'User-Agent': 'Mozilla/5.0' } });
      expect(file.statusCode).toBe(200);
      const bytes = Buffer.from(await file.body.arrayBuffer());
      expect(bytes.equals(s.data)).toBe(true);
      // Content.Headers.ContentType (MediaTypeHeaderValue), ContentDisposition (parsed), ContentLength.
      expect(String(file.headers['content-type'])).toMatch(/^image\/jpeg/);
      expect(String(file.headers['content-disposition'])).toMatch(/^(attachment|inline); filename="?[^";]+"?/);
      expect(Number(file.headers['content-length'])).toBe(s.data.length);
      // An unknown id: not a 2xx, so the client reads the error body.
      const missing = await undiciRequest(`${t.baseUrl}/v1/media/no-such-media`, { headers: { 'D360-API-KEY': apiKey, 'User-Agent': 'Mozilla/5.0' } });
      expect(missing.statusCode).toBe(404);
      expect(newtonsoft(await missing.body.json(), BASE)).toEqual([]);
    });

    it('CreateLocationMessage (doubles; name and address left out when null), CreateInteractiveMessage: buttons, list, product', async () => {
      sentId(await send({ recipient_type: 'individual', to: OTTO, type: 'location', location: { longitude: 13.377704, latitude: 52.516275, name: 'Brandenburger Tor', address: 'Pariser Platz' } }));
      sentId(await send({ recipient_type: 'individual', to: OTTO, type: 'location', location: { longitude: 13.4, latitude: 52.5 } }));
      // InteractiveObject: type (InteractiveTypeConverter), header {type (HeaderTypeConverter), text},
      // body, footer, action; ButtonObject {type: "reply", reply {id, title}} (ButtonObject writes no nulls here: both set).
      sentId(
        await send({
          recipient_type: 'individual',
          to: OTTO,
          type: 'interactive',
          interactive: {
            type: 'button',
            header: { type: 'text', text: 'Your order' },
            body: { text: 'Did it arrive?' },
            footer: { text: 'DotNet shop' },
            action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }, { type: 'reply', reply: { id: 'no', title: 'No' } }] },
          },
        }),
      );
      sentId(
        await send({
          recipient_type: 'individual',
          to: OTTO,
          type: 'interactive',
          interactive: {
            type: 'list',
            body: { text: 'Pick a dish' },
            action: { button: 'Menu', sections: [{ title: 'Mains', rows: [{ id: 'pasta', title: 'Pasta', description: 'fresh' }, { id: 'soup', title: 'Soup' }] }] },
          },
        }),
      );
      // CreateSingleProductMessage: body and footer only when not blank, action {catalog_id, product_retailer_id}.
      sentId(await send({ recipient_type: 'individual', to: OTTO, type: 'interactive', interactive: { type: 'product', body: { text: 'Our pick' }, action: { catalog_id: '1234567890', product_retailer_id: 'sku-1' } } }));
    });

    it('SendMessageAsync(object): an anonymous object written in snake_case', async () => {
      // new { RecipientType = "individual", To = …, Type = "text", PreviewUrl = false, Text = new { Body = … } }
      sentId(await send({ recipient_type: 'individual', to: JANE, type: 'text', preview_url: false, text: { body: 'Sent as a dynamic object' } }));
    });

    it('MarkMessagesAsReadAsync: PUT v1/messages/{id} {"status":"read"} → 200, meta only', async () => {
      const inbound = await userWrites({ from: JANE, text: { body: 'Did you get this?' } });
      const read = ok(await call('PUT', `v1/messages/${inbound}`, BASE, { body: JSON.stringify({ status: 'read' }) }));
      expect(read.meta).toMatchObject({ api_status: expect.any(String), version: expect.any(String) });
    });

    it("the client's contacts message: \"contacts\" as one object with a string name is refused (400), read as ApiClientException", async () => {
      // CreateContactsMessage(id, ContactObject): MessageObject.Contacts is a ContactObject, not a list.
      const r = await send({ recipient_type: 'individual', to: JANE, type: 'contacts', contacts: { name: 'Bob Builder', phones: [{ phone: '+49 30 1234567', type: 'WORK' }] } });
      const body = refused(r, 400);
      expect(body.errors[0]).toMatchObject({ code: expect.any(Number), title: expect.any(String), details: expect.stringMatching(/^contacts/) });
      expect(body.messages).toBeUndefined();
    });

    it('a session message to a user who never wrote: 201, then a failed status whose errors read as ErrorObject', async () => {
      const id = sentId(await send({ recipient_type: 'individual', to: COLD, type: 'text', preview_url: false, text: { body: 'Anyone there?' } }));
      const hook = await statusHook(id, 'failed');
      expect(newtonsoft(hook, ONPREM_WEBHOOK)).toEqual([]);
      expect(hook.statuses[0].errors[0]).toMatchObject({ code: 131047, title: expect.any(String) });
    });

    it('a refused send: 400 with errors[] and meta (ErrorClientApiResponse); no messages', async () => {
      const body = refused(await send({ recipient_type: 'individual', to: JANE, type: 'text', preview_url: false, text: { body: 'x'.repeat(4097) } }), 400);
      expect(body.errors[0].details).toMatch(/^text\.body: /);
      expect(body.meta).toMatchObject({ api_status: expect.any(String), version: expect.any(String) });
    });
  });

  describe('templates (/v1/configs/templates)', () => {
    it('GetTemplateAsync(1000, 0, null): limit and offset in the query, sort left out; ints, a sort list, enums the converters know', async () => {
      const r = ok(await call('GET', 'v1/configs/templates', TEMPLATES, { query: { limit: '1000', offset: '0', sort: null } }));
      expect(r).toMatchObject({ limit: 1000, offset: 0 });
      expect(r.count).toBe(r.waba_templates.length);
      const hello = r.waba_templates.find((x: { name: string }) => x.name === 'hello_world');
      // WhatsAppLanguageConverter knows en_US; TemplateStatus (the Partner client's, lower case)
      // reads Meta's "APPROVED" as unknown, as in the Partner API replay.
      expect(hello).toMatchObject({ language: 'en_US', status: 'APPROVED', namespace: expect.any(String) });
      namespace = hello.namespace;
    });

    it('CreateTemplateAsync: the CreateTemplateObject (nulls left out, BODY/HEADER/BUTTONS upper case) → 201; the review approves it', async () => {
      const body = {
        category: 'UTILITY',
        name: 'dotnet_shipping',
        language: 'en_US',
        components: [
          { type: 'HEADER', format: 'TEXT', text: 'Shipping update' },
          { type: 'BODY', text: 'Your order {{1}} ships in {{2}} days.', example: { body_text: [['A-17', '3']] } },
          { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Thanks' }] },
        ],
      };
      const created = ok(await call('POST', 'v1/configs/templates', CREATED_TEMPLATE, { body: JSON.stringify(body) }), 201);
      expect(created).toMatchObject({ id: expect.any(String), status: 'PENDING', category: 'UTILITY' });
      const approved = await waitUntil('the template approved', async () => {
        const r = await call('GET', 'v1/configs/templates', TEMPLATES, { query: { limit: '1000', offset: '0' } });
        const tpl = r.res.body.waba_templates?.find((x: { name: string }) => x.name === 'dotnet_shipping');
        return tpl?.status === 'APPROVED' ? r : undefined;
      });
      expect(approved.problems).toEqual([]);
    });

    it('CreateTemplateMessage: namespace, language {code, policy: deterministic}, body parameters → 201; a button component with "subtype" is refused', async () => {
      const params = [{ type: 'text', text: 'A-17' }, { type: 'text', text: '3' }];
      const id = sentId(
        await send({ to: COLD, type: 'template', template: { namespace, name: 'dotnet_shipping', language: { code: 'en_US', policy: 'deterministic' }, components: [{ type: 'body', parameters: params }] } }),
      );
      expect((await statusHook(id, 'delivered')).statuses[0].recipient_id).toBe(COLD);
      // hello_world takes no parameter: components null is left out.
      sentId(await send({ to: COLD, type: 'template', template: { namespace, name: 'hello_world', language: { code: 'en_US', policy: 'deterministic' } } }));
      // TemplateMessageComponentObject {type: "button", subtype, parameters: [{type: "payload"}]}:
      // no sub_type, no index, and ParameterObject has no payload field.
      const button = await send({
        to: COLD,
        type: 'template',
        template: { namespace, name: 'dotnet_shipping', language: { code: 'en_US', policy: 'deterministic' }, components: [{ type: 'body', parameters: params }, { type: 'button', subtype: 'quick_reply', parameters: [{ type: 'payload' }] }] },
      });
      expect(refused(button, 400).errors[0].details).toMatch(/components\[1\]/);
    });

    it('DeleteTemplateAsync: DELETE v1/configs/templates/{name} with the body "{}" → meta', async () => {
      const del = ok(await call('DELETE', 'v1/configs/templates/dotnet_shipping', BASE, { body: '{}' }));
      expect(del.meta).toMatchObject({ success: true, developer_message: expect.stringContaining('dotnet_shipping') });
      const after = ok(await call('GET', 'v1/configs/templates', TEMPLATES, { query: { limit: '1000', offset: '0' } }));
      expect(after.waba_templates.map((x: { name: string }) => x.name)).not.toContain('dotnet_shipping');
    });
  });

  describe('the profile', () => {
    it('UpdateProfileInfoAboutTextAsync: PATCH v1/settings/profile/about {"text"} → meta', async () => {
      ok(await call('PATCH', 'v1/settings/profile/about', BASE, { body: JSON.stringify({ text: 'Open 9 to 5' }) }));
      const read = await t.get('/v1/settings/profile/about', { headers: { 'D360-API-KEY': apiKey } });
      expect(read.body.settings.profile.about.text).toBe('Open 9 to 5');
    });

    it('UpdateProfileInfoPhotoAsync: POST v1/settings/profile/photo, the image as the body', async () => {
      const s = SAMPLES.find((x) => x.name === 'photo.jpg')!;
      const set = ok(await call('POST', 'v1/settings/profile/photo', BASE, { body: s.data, contentType: s.mime }));
      expect(set.meta).toMatchObject({ api_status: expect.any(String) });
      const photo = await undiciRequest(`${t.baseUrl}/v1/settings/profile/photo`, { headers: { 'D360-API-KEY': apiKey } });
      expect(photo.statusCode).toBe(200);
      expect(Buffer.from(await photo.body.arrayBuffer()).equals(s.data)).toBe(true);
    });

    it('UpdateBusinessProfileAsync writes "vertical" as a list: refused naming vertical; the other fields are not changed', async () => {
      const r = await call('POST', 'v1/settings/business/profile', BASE, {
        body: JSON.stringify({ vertical: ['Shopping and Retail'], websites: ['https://shop.example.com'], email: 'shop@example.com', description: 'We sell things', address: 'Main St 1' }),
      });
      expect(refused(r, 400).errors[0].details).toMatch(/^vertical: /);
      const profile = await t.get('/v1/settings/business/profile', { headers: { 'D360-API-KEY': apiKey } });
      expect(profile.body.settings.business.profile.email).not.toBe('shop@example.com');
    });

    it('UpdateBusinessProfileAsync(vertical: null, …): the request class writes its nulls; a null field is one not given, the others are set', async () => {
      const before = await t.get('/v1/settings/business/profile', { headers: { 'D360-API-KEY': apiKey } });
      const nulled = await call('POST', 'v1/settings/business/profile', BASE, {
        body: JSON.stringify({ vertical: null, websites: ['https://shop.example.com'], email: 'shop@example.com', description: 'We sell things', address: null }),
      });
      ok(nulled);
      const profile = (await t.get('/v1/settings/business/profile', { headers: { 'D360-API-KEY': apiKey } })).body.settings.business.profile;
      expect(profile).toMatchObject({ email: 'shop@example.com', description: 'We sell things', websites: ['https://shop.example.com'] });
      expect(profile.vertical).toEqual(before.body.settings.business.profile.vertical);
      expect(profile.address).toEqual(before.body.settings.business.profile.address);
    });
  });

  describe('inbound webhooks read as WABA360DialogWebhookPayload', () => {
    /** The payload deserializes; returns the message. */
    async function reads(id: string, type: string) {
      const hook = await inboundHook(id);
      expect(newtonsoft(hook, ONPREM_WEBHOOK), JSON.stringify(hook)).toEqual([]);
      expect(hook.object).toBeUndefined();
      expect(hook.contacts[0]).toMatchObject({ profile: { name: expect.any(String) }, wa_id: expect.stringMatching(/^\d+$/) });
      const m = hook.messages[0];
      expect(m).toMatchObject({ id, from: expect.stringMatching(/^\d+$/), timestamp: expect.stringMatching(/^\d+$/), type });
      return m;
    }
    const upload = async (name: string) => {
      const s = SAMPLES.find((x) => x.name === name)!;
      const up = await uploadOnPrem(t, apiKey, s.data, s.mime);
      expect(up.status).toBe(201);
      return up.body.media[0].id as string;
    };

    it('text (with context), image, video, document, sticker, audio, and a voice note as `voice`', async () => {
      const agent = sentId(await send({ recipient_type: 'individual', to: JANE, type: 'text', preview_url: false, text: { body: 'Anything else?' } }));
      const text = await reads(await userWrites({ from: JANE, text: { body: 'No, thanks' }, context: { message_id: agent } }), 'text');
      expect(text.text.body).toBe('No, thanks');
      expect(text.context.id).toBe(agent);
      const cases: [string, string, Record<string, unknown>, string][] = [
        ['image', 'photo.jpg', { caption: 'Look' }, 'image/jpeg'],
        ['video', 'clip.mp4', { caption: 'Watch' }, 'video/mp4'],
        ['document', 'invoice.pdf', { filename: 'invoice.pdf', caption: 'Invoice' }, 'application/pdf'],
        ['sticker', 'static.webp', {}, 'image/webp'],
        ['audio', 'song.mp3', {}, 'audio/mpeg'],
      ];
      for (const [type, name, extra, mime] of cases) {
        const mediaId = await upload(name);
        const m = await reads(await userWrites({ from: JANE, type, [type]: { id: mediaId, ...extra } }), type);
        // WebhookMediaObject: id, caption, filename, mime_type, sha256 (sticker has no property: ignored).
        expect(m[type]).toMatchObject({ id: mediaId, mime_type: mime, sha256: expect.any(String), ...extra });
      }
      const voiceId = await upload('voice.ogg');
      const voice = await reads(await userWrites({ from: JANE, type: 'audio', audio: { id: voiceId, voice: true } }), 'voice');
      expect(voice.voice).toMatchObject({ id: voiceId, mime_type: 'audio/ogg' });
    });

    it('location (read into a WebhookMediaObject: its fields ignored), interactive button_reply and list_reply, button, reaction', async () => {
      const loc = await reads(await userWrites({ from: OTTO, type: 'location', location: { latitude: 52.516275, longitude: 13.377704, name: 'Tor' } }), 'location');
      expect(loc.location).toMatchObject({ latitude: 52.516275, longitude: 13.377704 });
      const br = await reads(await userWrites({ from: OTTO, type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } } }), 'interactive');
      // InteractiveReplyTypeConverter: button_reply, list_reply.
      expect(br.interactive).toEqual({ type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } });
      const lr = await reads(await userWrites({ from: OTTO, type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'pasta', title: 'Pasta', description: 'fresh' } } }), 'interactive');
      expect(lr.interactive.list_reply).toEqual({ id: 'pasta', title: 'Pasta', description: 'fresh' });
      // MessageType's table (later versions) has "button"; no model property holds it in these versions.
      const button = await reads(await userWrites({ from: OTTO, type: 'button', button: { text: 'Thanks', payload: 'thanks' } }), 'button');
      expect(button.button).toEqual({ text: 'Thanks', payload: 'thanks' });
      const agent = sentId(await send({ recipient_type: 'individual', to: OTTO, type: 'text', preview_url: false, text: { body: 'Parcel arrived' } }));
      const reaction = await reads(await userWrites({ from: OTTO, type: 'reaction', reaction: { message_id: agent, emoji: '👍' } }), 'reaction');
      expect(reaction.reaction).toEqual({ message_id: agent, emoji: '👍' });
    });

    it("contacts: the On-Premise array of cards, which the client's single ContactObject (name a string) cannot read", async () => {
      const card = { name: { formatted_name: 'Bob Builder', first_name: 'Bob' }, phones: [{ phone: '+49 30 1234567', type: 'WORK', wa_id: '49301234567' }] };
      const id = await userWrites({ from: JANE, type: 'contacts', contacts: [card] });
      const hook = await inboundHook(id);
      expect(hook.messages[0].contacts).toEqual([card]);
      // WebhookMessageObject.Contacts (4e4c6023) is a ContactObject: an array does not deserialize into it.
      expect(newtonsoft(hook, ONPREM_WEBHOOK)).toEqual(['$.messages[0].contacts: a class got ' + JSON.stringify([card]).slice(0, 80)]);
    });
  });

  describe("Meta's own webhooks on an On-Premise number on Meta's network: system, errors, Meta's pricing", () => {
    let onprem: BootstrapResult;
    beforeAll(async () => {
      ({ onprem } = await metaCloudAndOnPrem(t, receiver.url, { cloud: META_CLOUD_NUMBER, onprem: META_ONPREM_NUMBER }));
    });

    it('a system message (user changed number) and an unsupported message with errors read as WebhookMessageObject', async () => {
      const system = { from: '4917600000021', id: wamid(), timestamp: epoch(), type: 'system', system: { body: 'User A changed from 4917600000021 to 4917600000022', new_wa_id: '4917600000022', type: 'user_changed_number' } };
      const unsupported = { from: '4917600000021', id: wamid(), timestamp: epoch(), type: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', error_data: { details: 'Message type is currently not supported.' } }] };
      for (const m of [system, unsupported]) {
        const res = await postMeta(t, notification(META_ONPREM_NUMBER, { contacts: [{ profile: { name: 'Jane' }, wa_id: '4917600000021' }], messages: [m] }));
        expect(res.status, res.text).toBe(200);
      }
      const sys = await receiver.waitForBody('the system message', (b) => b.find((x) => x.messages?.[0]?.id === system.id));
      expect(newtonsoft(sys, ONPREM_WEBHOOK)).toEqual([]);
      expect(sys.messages[0]).toMatchObject({ type: 'system', system: { body: system.system.body } });
      const uns = await receiver.waitForBody('the unsupported message', (b) => b.find((x) => x.messages?.[0]?.id === unsupported.id));
      expect(newtonsoft(uns, ONPREM_WEBHOOK)).toEqual([]);
      expect(uns.messages[0].errors[0]).toMatchObject({ code: 131051 });
    });

    it("Meta's status with conversation (expiration_timestamp a digit string) and pricing read as WebhookMessageStatus", async () => {
      const id = await sentThroughMeta(t, onprem);
      const conversation = { id: 'c0ffee0123456789', expiration_timestamp: epoch(-86_400), origin: { type: 'utility' } };
      const pricing = { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' };
      const res = await postMeta(t, statusOf(META_ONPREM_NUMBER, id, 'sent', { conversation, pricing }));
      expect(res.status, res.text).toBe(200);
      const hook = await receiver.waitForBody('the sent status from Meta', (b) => b.find((x) => x.statuses?.[0]?.id === id));
      expect(newtonsoft(hook, ONPREM_WEBHOOK)).toEqual([]);
      expect(hook.statuses[0]).toMatchObject({ id, status: 'sent', conversation, pricing: { billable: true, pricing_model: 'PMP', category: 'utility' } });
    });
  });
});
