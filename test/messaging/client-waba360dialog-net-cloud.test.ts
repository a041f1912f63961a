// A 360dialog-specific .NET client against openwaba's Cloud Messaging API: WABA360Dialog.NET's
// WABA360DialogCloudApiClient (C#; BASEURL https://waba-v2.360dialog.io/, added in commit 7d4d81b8).
// .NET cannot run here, so each request below is the one the client builds (its payload classes
// as Newtonsoft.Json writes them with the client's settings; the media upload as .NET's
// MultipartFormDataContent writes it), and each answer and webhook is checked as the client's
// models read it (waba360dialog-net-models.ts: `newtonsoft`).
//
// Files read (repository yuenkik6/WABA360Dialog.NET in the code index; commit named per file):
//   WABA360Dialog.NET/Cloud/WABA360DialogCloudApiClient.cs (d5f41fc4: the operations),
//   Cloud/ApiClient/Interfaces/IWABA360DialogCloudApiClient.cs,
//   ApiClient/AbstractWABA360DialogApiClient.cs (7d4d81b8: MakeHttpRequestAsync,
//     MakeFileDownloadHttpRequestAsync — see the On-Premise replay's header),
//   Cloud/ApiClient/Payloads/Requests/SendMessageRequest.cs, MarkMessagesAsReadRequest.cs,
//     GetMediaRequest.cs, UploadMediaRequest.cs, GetWebhookUrlRequest.cs, SetWebhookUrlRequest.cs,
//     UpdateBusinessProfileRequest.cs (7d4d81b8), GetMediaInformationRequest.cs, SendMessageDynamicRequest.cs (d5f41fc4),
//   Cloud/ApiClient/Payloads/Responses/*.cs (d5f41fc4, 7d4d81b8), Cloud/ApiClient/Payloads/Enums/MessagingProduct.cs,
//     Converters/MessagingProductConverter.cs,
//   Cloud/ApiClient/Payloads/Models/MessageObjects/MessageObject.cs (7d4d81b8: recipient_type
//     "individual" from the constructor, messaging_product whatsapp, nulls left out),
//     MessageObjectFactory.cs (7d4d81b8), ApiClient/Payloads/Base/Models/AbstractMessageObject.cs (7d4d81b8),
//     AbstractMessageObjectFactory.cs (d5f41fc4),
//   Cloud/ApiClient/Payloads/Models/WebhookObjects/WebhookNotification.cs, WebhookNotificationEntry.cs,
//     WebhookNotificationEntryChange.cs, WebhookNotificationEntryChangeValue.cs,
//     WebhookNotificationEntryChangeValueMetaData.cs (7d4d81b8: Meta's envelope around the
//     On-Premise webhook objects),
//   and the On-Premise payloads the Cloud client reuses (GetTemplate.cs, CreateTemplate.cs,
//   DeleteTemplate.cs, the MessageObjects, WebhookObjects and converters: see the On-Premise replay).
//
// What the client does that openwaba does not follow (each asserted below):
// - GetWebhookUrlAsync / SetWebhookUrlAsync use the path `waba_webhook` (a WABA-level webhook).
//   No 360dialog API document names that path (the reference, §4.5, lists it as unverified; the
//   WABA webhook is documented as a Hub setting). openwaba serves it as the WABA's webhook
//   (routes/waba-webhook.ts), with its own custom headers; the number's webhook, which wins over
//   the WABA's, is set through /v1/configs/webhook, as 360dialog documents.
// - GetMediaInformationAsync strips "https://lookaside.fbsbx.com/" from the answer's url and
//   GetMediaAsync requests BASEURL + the rest. 360dialog answers Meta's lookaside URL there;
//   openwaba answers the download URL at its own origin (already swapped, so that clients which
//   download the url directly work against the sandbox: see media/download-url.ts, README
//   OPENWABA_META_MEDIA_URL). The client then asks for BASEURL + "http://<openwaba>/whatsapp_business/…",
//   a path openwaba does not serve (404); the same URL with lookaside's origin downloads, which is
//   what OPENWABA_MEDIA_URL_BASE=https://lookaside.fbsbx.com makes openwaba answer
//   (test/messaging/media-url-base.test.ts).
// - UpdateBusinessProfileAsync sends no messaging_product (and "vertical" as a list): refused,
//   as Meta refuses it.
// - The single ContactObject in contacts messages and webhooks, and "subtype" in template button
//   components: as in the On-Premise replay.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as undiciRequest } from 'undici';
import { startReplayApp } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import type { HttpResponse, TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, uploadSample, userWrites as userWritesAs } from './media-fixtures.ts';
import { META_ENV, epoch, metaCloudAndOnPrem, notification, post as postMeta, sentThroughMeta, statusOf, wamid } from '../meta/meta-webhook-fixtures.ts';
import { BASE, CLOUD_SEND, CLOUD_WEBHOOK, CREATED_TEMPLATE, MEDIA_INFO, TEMPLATES, UPLOAD_CLOUD, WEBHOOK_URL, dotnetCalls, newtonsoft, type Model } from './waba360dialog-net-models.ts';

const JANE = '4917612340091';
const OTTO = '4917612340092';
const COLD = '4917612340093';
const HOOK_PATH = '/dotnet/cloud';
const META_CLOUD_NUMBER = '106540352242988';
const META_ONPREM_NUMBER = '106540352242999';

/**
 * UploadMediaRequest.ToHttpContent: a MultipartFormDataContent as .NET writes it — a quoted GUID
 * boundary in the Content-Type, `name` parameters unquoted, the file part with filename and
 * filename*, the string part typed text/plain; charset=utf-8; no `type` field.
 */
function dotnetMultipart(fileName: string, bytes: Buffer, contentType: string): { body: Buffer; contentType: string } {
  const boundary = randomUUID();
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: form-data; name=messaging_product\r\n\r\nwhatsapp\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Disposition: form-data; name=file; filename=${fileName}; filename*=utf-8''${fileName}\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary="${boundary}"` };
}

describeEachDb('client: WABA360Dialog.NET Cloud messaging client against openwaba', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let apiKey: string;
  let namespace: string;

  // MakeHttpRequestAsync and how its answers are read: see dotnetCalls.
  const { call, ok, refused } = dotnetCalls(() => ({ t, apiKey }));
  /** SendMessageAsync(MessageObject): POST messages, the Cloud MessageObject as JsonHelper writes it. */
  const send = (message: Record<string, unknown>) => call('POST', 'messages', CLOUD_SEND, { body: JSON.stringify({ recipient_type: 'individual', ...message, messaging_product: 'whatsapp' }) });
  function sentId(r: { res: HttpResponse; problems: string[] }): string {
    const body = ok(r);
    expect(body.messaging_product).toBe('whatsapp');
    expect(body.messages).toHaveLength(1);
    return body.messages[0].id as string;
  }
  const hooks = () => receiver.bodies(HOOK_PATH);
  const valueOf = (b: any) => b?.entry?.[0]?.changes?.[0]?.value;
  const inboundHook = (id: string) => receiver.waitForBody(`the webhook of ${id}`, () => hooks().find((b) => valueOf(b)?.messages?.[0]?.id === id));
  const statusHook = (id: string, status: string) =>
    receiver.waitForBody(`the ${status} status of ${id}`, () => hooks().find((b) => valueOf(b)?.statuses?.[0]?.id === id && valueOf(b).statuses[0].status === status));
  const userWrites = (json: Record<string, unknown>) => userWritesAs(t, apiKey, json);

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startReplayApp(kind, META_ENV);
    p = await t.tenant();
    apiKey = p.channel_api_key;
    const ch = await t.deps.db.kysely.selectFrom('channels').select('hosting_type').where('id', '=', p.channel_id).executeTakeFirstOrThrow();
    expect(ch.hosting_type).toBe('cloud');
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  describe('the webhook', () => {
    it('GetWebhookUrlAsync / SetWebhookUrlAsync on `waba_webhook`: the WABA\'s webhook, read by the client\'s models', async () => {
      const url = `${receiver.url}${HOOK_PATH}`;
      // Nothing set yet: no URL, no headers (routes/waba-webhook.ts).
      // (The answers also carry waba_id and phone_numbers, which other SDKs read; this client's model ignores them.)
      expect(ok(await call('GET', 'waba_webhook', WEBHOOK_URL))).toMatchObject({ url: null, headers: {}, waba_id: expect.any(String) });
      // SetWebhookUrlRequest writes headers: null when it has none.
      expect(ok(await call('POST', 'waba_webhook', WEBHOOK_URL, { body: JSON.stringify({ url, headers: null }) }))).toMatchObject({ url, headers: {} });
      expect(ok(await call('GET', 'waba_webhook', WEBHOOK_URL))).toMatchObject({ url, headers: {} });
      // The WABA's own custom headers are kept (sent with deliveries that fall back to the WABA's URL).
      expect(ok(await call('POST', 'waba_webhook', WEBHOOK_URL, { body: JSON.stringify({ url, headers: { 'X-Shop': 'dotnet' } }) }))).toMatchObject({ url, headers: { 'X-Shop': 'dotnet' } });
      expect(ok(await call('GET', 'waba_webhook', WEBHOOK_URL))).toMatchObject({ url, headers: { 'X-Shop': 'dotnet' } });
      // The number's webhook as 360dialog documents it (also for Cloud numbers), in the client's models.
      const set = ok(await call('POST', 'v1/configs/webhook', WEBHOOK_URL, { body: JSON.stringify({ url, headers: { 'X-Shop': 'dotnet' } }) }));
      expect(set).toEqual({ url, headers: { 'X-Shop': 'dotnet' } });
      expect(ok(await call('GET', 'v1/configs/webhook', WEBHOOK_URL))).toEqual({ url, headers: { 'X-Shop': 'dotnet' } });
    });
  });

  describe('SendMessageAsync with the Cloud MessageObjectFactory', () => {
    beforeAll(async () => {
      await userWrites({ from: JANE, name: 'Jane Doe', text: { body: 'Hello shop' } });
      await userWrites({ from: OTTO, name: 'Otto', text: { body: 'moin' } });
    });

    it('CreateTextMessage: recipient_type, to, type, text, messaging_product → 200 {messaging_product, contacts, messages}; statuses read as WebhookNotification', async () => {
      const id = sentId(await send({ to: JANE, type: 'text', text: { body: 'Your order ships today.' } }));
      for (const status of ['sent', 'delivered', 'read']) {
        const hook = await statusHook(id, status);
        expect(newtonsoft(hook, CLOUD_WEBHOOK), JSON.stringify(hook)).toEqual([]);
        expect(hook.object).toBe('whatsapp_business_account');
        const s = valueOf(hook).statuses[0];
        expect(['delivered', 'read', 'sent', 'failed', 'deleted', 'warning']).toContain(s.status);
        expect(s).toMatchObject({ id, recipient_id: JANE, timestamp: expect.stringMatching(/^\d+$/) });
        if (s.pricing) expect(typeof s.pricing.billable).toBe('boolean');
      }
      const req = receiver.requests.find((r) => r.url === HOOK_PATH && r.body.includes(id))!;
      expect(req.headers['x-shop']).toBe('dotnet');
    });

    it('media by link and by an uploaded id; location; interactive buttons, list, product; a template (namespace and policy kept)', async () => {
      const link = (n: string) => `https://cdn.example.com/dotnet/${n}`;
      const up = await uploadSample(t, apiKey, 'photo.jpg');
      const bodies = [
        { to: JANE, type: 'image', image: { link: link('photo.jpg'), caption: 'The photo' } },
        { to: JANE, type: 'image', image: { id: up.id, caption: 'Uploaded' } },
        { to: JANE, type: 'video', video: { link: link('clip.mp4'), caption: 'A clip' } },
        { to: JANE, type: 'document', document: { link: link('invoice.pdf'), caption: 'Invoice', filename: 'invoice.pdf' } },
        { to: JANE, type: 'audio', audio: { link: link('voice.ogg') } },
        { to: JANE, type: 'sticker', sticker: { link: link('sticker.webp') } },
        { to: OTTO, type: 'location', location: { longitude: 13.377704, latitude: 52.516275, name: 'Brandenburger Tor', address: 'Pariser Platz' } },
        {
          to: OTTO,
          type: 'interactive',
          interactive: { type: 'button', body: { text: 'Did it arrive?' }, footer: { text: 'DotNet shop' }, action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }] } },
        },
        { to: OTTO, type: 'interactive', interactive: { type: 'list', header: { type: 'text', text: 'Menu' }, body: { text: 'Pick' }, action: { button: 'Menu', sections: [{ title: 'Mains', rows: [{ id: 'pasta', title: 'Pasta' }] }] } } },
        { to: OTTO, type: 'interactive', interactive: { type: 'product', body: { text: 'Our pick' }, action: { catalog_id: '1234567890', product_retailer_id: 'sku-1' } } },
      ];
      for (const body of bodies) sentId(await send(body));
      const list = ok(await call('GET', 'v1/configs/templates', TEMPLATES, { query: { limit: '1000', offset: '0', sort: null } }));
      namespace = list.waba_templates.find((x: { name: string }) => x.name === 'hello_world').namespace;
      // CreateTemplateMessage: no RecipientType in the factory, but the Cloud MessageObject's constructor set "individual".
      const tpl = sentId(await send({ to: COLD, type: 'template', template: { namespace, name: 'hello_world', language: { code: 'en_US', policy: 'deterministic' } } }));
      expect(valueOf(await statusHook(tpl, 'delivered')).statuses[0].recipient_id).toBe(COLD);
    });

    it('SendMessageAsync(object): an anonymous object in snake_case (messaging_product written by the caller)', async () => {
      sentId(await call('POST', 'messages', CLOUD_SEND, { body: JSON.stringify({ messaging_product: 'whatsapp', to: JANE, type: 'text', text: { body: 'dynamic', preview_url: false } }) }));
    });

    it('MarkMessagesAsReadAsync: PUT messages/{id} {"status":"read"} (the On-Premise style the reference accepts) → 200', async () => {
      const inbound = await userWrites({ from: JANE, text: { body: 'Seen?' } });
      const r = ok(await call('PUT', `messages/${inbound}`, BASE, { body: JSON.stringify({ status: 'read' }) }));
      expect(r).toEqual({ success: true });
    });

    it('refusals: contacts as one object, a template button with "subtype", a wrong key', async () => {
      const contacts = refused(await send({ to: JANE, type: 'contacts', contacts: { name: 'Bob Builder', phones: [{ phone: '+49 30 1234567', type: 'WORK' }] } }), 400);
      expect(contacts.error).toMatchObject({ code: 100, error_data: { details: expect.stringMatching(/^contacts/) } });
      const button = refused(
        await send({ to: COLD, type: 'template', template: { namespace, name: 'hello_world', language: { code: 'en_US', policy: 'deterministic' }, components: [{ type: 'button', subtype: 'quick_reply', parameters: [{ type: 'payload' }] }] } }),
        400,
      );
      expect(button.error.error_data.details).toMatch(/components\[0\]/);
      const wrong = refused(await call('POST', 'messages', CLOUD_SEND, { key: 'not-a-key', body: JSON.stringify({ recipient_type: 'individual', to: JANE, type: 'text', text: { body: 'x' }, messaging_product: 'whatsapp' }) }), 401);
      // 360dialog's key error in the legacy body: ClientApiMeta reads it.
      expect(wrong.meta).toMatchObject({ success: false, http_code: 401, developer_message: 'Invalid api_key' });
    });
  });

  describe('media', () => {
    it("UploadMediaAsync: .NET's multipart (quoted boundary, unquoted names, filename*, no type field) → {id}", async () => {
      const s = SAMPLES.find((x) => x.name === 'invoice.pdf')!;
      const form = dotnetMultipart('invoice.pdf', s.data, s.mime);
      const up = ok(await call('POST', 'media', UPLOAD_CLOUD, { body: form.body, contentType: form.contentType }));
      expect(up.id).toEqual(expect.any(String));
      const info = ok(await call('GET', up.id, MEDIA_INFO));
      expect(info).toMatchObject({ id: up.id, mime_type: 'application/pdf', file_size: s.data.length, messaging_product: 'whatsapp' });
      sentId(await send({ to: JANE, type: 'document', document: { id: up.id, filename: 'invoice.pdf', caption: 'Your invoice' } }));
    });

    it("GetMediaInformationAsync then GetMediaAsync(url without lookaside's origin): openwaba's own-origin url makes the client ask for BASEURL + an absolute URL (404)", async () => {
      const s = SAMPLES.find((x) => x.name === 'photo.jpg')!;
      const { id } = await uploadSample(t, apiKey, 'photo.jpg');
      const info = ok(await call('GET', id, MEDIA_INFO));
      expect(info.file_size).toBe(s.data.length);
      /** GetMediaRequest(relativeUrl): split at '?' and '&', each k=v a query parameter; then BASEURL + MethodName. */
      const clientDownload = async (url: string) => {
        const relative = url.replace('https://lookaside.fbsbx.com/', '');
        const [methodName, ...pairs] = relative.split(/[?&]/).filter(Boolean);
        const query = new URLSearchParams(pairs.map((x) => x.split('=') as [string, string]));
        return undiciRequest(`${t.baseUrl}/${methodName}?${query.toString()}`, { headers: { 'D360-API-KEY': apiKey, 'User-Agent': 'Mozilla/5.0' } });
      };
      // 360dialog's answer names Meta's CDN; openwaba's names itself.
      expect(info.url.startsWith(`${t.baseUrl}/whatsapp_business/attachments/?`)).toBe(true);
      const broken = await clientDownload(info.url);
      expect(broken.statusCode).toBe(404);
      await broken.body.dump();
      // The same path and query under lookaside's origin (what 360dialog answers): the client downloads it.
      const asAt360 = info.url.replace(`${t.baseUrl}/`, 'https://lookaside.fbsbx.com/');
      const file = await clientDownload(asAt360);
      expect(file.statusCode).toBe(200);
      expect(Buffer.from(await file.body.arrayBuffer()).equals(s.data)).toBe(true);
      expect(String(file.headers['content-type'])).toMatch(/^image\/jpeg/);
      // An unknown media id: Meta's 400 and error body (Graph's unknown object); any non-2xx makes the
      // client throw ApiClientException with the body read as ErrorClientApiResponse (errors and meta null).
      const unknown = refused(await call('GET', 'no-such-media', MEDIA_INFO), 400);
      expect(unknown.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33 });
    });
  });

  describe('templates and the profile', () => {
    it('Create/Get/DeleteTemplateAsync through /v1/configs/templates on a Cloud number', async () => {
      const body = { category: 'MARKETING', name: 'dotnet_cloud_offer', language: 'en_US', components: [{ type: 'BODY', text: 'Save {{1}} percent today!', example: { body_text: [['20']] } }] };
      const created = ok(await call('POST', 'v1/configs/templates', CREATED_TEMPLATE, { body: JSON.stringify(body) }), 201);
      expect(created).toMatchObject({ status: 'PENDING', category: 'MARKETING' });
      await waitUntil('the template approved', async () => {
        const r = ok(await call('GET', 'v1/configs/templates', TEMPLATES, { query: { limit: '1000', offset: '0' } }));
        return r.waba_templates.find((x: { name: string; status: string }) => x.name === 'dotnet_cloud_offer' && x.status === 'APPROVED');
      });
      const id = sentId(await send({ to: COLD, type: 'template', template: { namespace, name: 'dotnet_cloud_offer', language: { code: 'en_US', policy: 'deterministic' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '20' }] }] } }));
      expect(id).toEqual(expect.any(String));
      const del = ok(await call('DELETE', 'v1/configs/templates/dotnet_cloud_offer', BASE, { body: '{}' }));
      expect(del.meta).toMatchObject({ success: true });
      // A Cloud number's template errors are Meta's: an unknown name.
      const missing = await call('DELETE', 'v1/configs/templates/dotnet_cloud_offer', BASE, { body: '{}' });
      expect(missing.res.status).toBeGreaterThanOrEqual(400);
      expect(missing.res.status).toBeLessThan(500);
      expect(newtonsoft(missing.res.body, BASE)).toEqual([]);
    });

    it('UpdateBusinessProfileAsync: POST whatsapp_business_profile without messaging_product (and vertical a list) is refused', async () => {
      const r = await call('POST', 'whatsapp_business_profile', BASE, {
        body: JSON.stringify({ vertical: ['RETAIL'], websites: ['https://shop.example.com'], email: 'shop@example.com', description: 'We sell things', address: 'Main St 1' }),
      });
      expect(refused(r, 400).error.error_data.details).toMatch(/^messaging_product/);
    });
  });

  describe('inbound webhooks read as WebhookNotification', () => {
    async function reads(id: string, type: string) {
      const hook = await inboundHook(id);
      expect(newtonsoft(hook, CLOUD_WEBHOOK), JSON.stringify(hook)).toEqual([]);
      const v = valueOf(hook);
      expect(hook.entry[0].changes[0].field).toBe('messages');
      expect(v.messaging_product).toBe('whatsapp');
      expect(v.metadata).toMatchObject({ display_phone_number: expect.any(String), phone_number_id: expect.any(String) });
      expect(v.contacts[0]).toMatchObject({ profile: { name: expect.any(String) }, wa_id: expect.stringMatching(/^\d+$/) });
      const m = v.messages[0];
      expect(m).toMatchObject({ id, from: expect.stringMatching(/^\d+$/), timestamp: expect.stringMatching(/^\d+$/), type });
      return m;
    }

    it('text with context, image, video, document, sticker, audio and a voice note (audio with voice: true)', async () => {
      const agent = sentId(await send({ to: JANE, type: 'text', text: { body: 'Anything else?' } }));
      const text = await reads(await userWrites({ from: JANE, text: { body: 'No, thanks' }, context: { message_id: agent } }), 'text');
      expect(text.context.id).toBe(agent);
      for (const [type, name, extra] of [
        ['image', 'photo.jpg', { caption: 'Look' }],
        ['video', 'clip.mp4', { caption: 'Watch' }],
        ['document', 'invoice.pdf', { filename: 'invoice.pdf' }],
        ['sticker', 'static.webp', {}],
        ['audio', 'voice.ogg', { voice: true }],
      ] as const) {
        const { id, sample } = await uploadSample(t, apiKey, name);
        const m = await reads(await userWrites({ from: JANE, type, [type]: { id, ...extra } }), type);
        expect(m[type]).toMatchObject({ id, mime_type: sample.mime, sha256: expect.any(String), ...extra });
      }
    });

    it('location, interactive button_reply / list_reply, button, reaction', async () => {
      const loc = await reads(await userWrites({ from: OTTO, type: 'location', location: { latitude: 52.5, longitude: 13.4 } }), 'location');
      expect(loc.location).toEqual({ latitude: 52.5, longitude: 13.4 });
      const br = await reads(await userWrites({ from: OTTO, type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } } }), 'interactive');
      expect(br.interactive.type).toBe('button_reply');
      const lr = await reads(await userWrites({ from: OTTO, type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'pasta', title: 'Pasta' } } }), 'interactive');
      expect(lr.interactive.list_reply).toMatchObject({ id: 'pasta', title: 'Pasta' });
      const button = await reads(await userWrites({ from: OTTO, type: 'button', button: { text: 'Thanks', payload: 'thanks' } }), 'button');
      expect(button.button).toEqual({ text: 'Thanks', payload: 'thanks' });
      const agent = sentId(await send({ to: OTTO, type: 'text', text: { body: 'Parcel arrived' } }));
      const reaction = await reads(await userWrites({ from: OTTO, type: 'reaction', reaction: { message_id: agent, emoji: '👍' } }), 'reaction');
      expect(reaction.reaction).toEqual({ message_id: agent, emoji: '👍' });
    });

    it('contacts: an array of cards, which the single ContactObject cannot read', async () => {
      const card = { name: { formatted_name: 'Bob Builder', first_name: 'Bob' }, phones: [{ phone: '+49 30 1234567', type: 'WORK' }] };
      const id = await userWrites({ from: JANE, type: 'contacts', contacts: [card] });
      const hook = await inboundHook(id);
      expect(valueOf(hook).messages[0].contacts).toEqual([card]);
      expect(newtonsoft(hook, CLOUD_WEBHOOK)).toEqual(['$.entry[0].changes[0].value.messages[0].contacts: a class got ' + JSON.stringify([card]).slice(0, 80)]);
    });

    it('a failed status (window closed): errors with code and title', async () => {
      const id = sentId(await send({ to: COLD, type: 'text', text: { body: 'Anyone there?' } }));
      const hook = await statusHook(id, 'failed');
      expect(newtonsoft(hook, CLOUD_WEBHOOK)).toEqual([]);
      expect(valueOf(hook).statuses[0].errors[0]).toMatchObject({ code: 131047, title: expect.any(String) });
    });
  });

  describe("Meta's own webhooks on a Cloud number on Meta's network: system, errors, Meta's pricing", () => {
    let cloud: BootstrapResult;
    beforeAll(async () => {
      ({ cloud } = await metaCloudAndOnPrem(t, receiver.url, { cloud: META_CLOUD_NUMBER, onprem: META_ONPREM_NUMBER }));
    });

    it('a system message and an unsupported message with errors; a sent status with conversation and pricing', async () => {
      const system = { from: '4917600000031', id: wamid(), timestamp: epoch(), type: 'system', system: { body: 'User A changed from 4917600000031 to 4917600000032', wa_id: '4917600000032', type: 'user_changed_number' } };
      const unsupported = { from: '4917600000031', id: wamid(), timestamp: epoch(), type: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', error_data: { details: 'Message type is currently not supported.' } }] };
      for (const m of [system, unsupported]) {
        const res = await postMeta(t, notification(META_CLOUD_NUMBER, { contacts: [{ profile: { name: 'Jane' }, wa_id: '4917600000031' }], messages: [m] }));
        expect(res.status, res.text).toBe(200);
      }
      for (const m of [system, unsupported]) {
        const hook = await receiver.waitForBody(`the ${m.type} message`, (b) => b.find((x) => valueOf(x)?.messages?.[0]?.id === m.id));
        expect(newtonsoft(hook, CLOUD_WEBHOOK)).toEqual([]);
        expect(valueOf(hook).messages[0]).toMatchObject({ type: m.type });
      }
      const id = await sentThroughMeta(t, cloud);
      const conversation = { id: 'c0ffee0123456789', expiration_timestamp: epoch(-86_400), origin: { type: 'utility' } };
      const pricing = { billable: true, pricing_model: 'PMP', category: 'utility', type: 'regular' };
      expect((await postMeta(t, statusOf(META_CLOUD_NUMBER, id, 'sent', { conversation, pricing }))).status).toBe(200);
      const hook = await receiver.waitForBody('the sent status from Meta', (b) => b.find((x) => valueOf(x)?.statuses?.[0]?.id === id));
      expect(newtonsoft(hook, CLOUD_WEBHOOK)).toEqual([]);
      expect(valueOf(hook).statuses[0]).toMatchObject({ id, status: 'sent', conversation, pricing });
    });
  });
});
