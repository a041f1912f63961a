// A real Cloud API client against openwaba's Cloud flavour: Evolution API's "WhatsApp Business"
// channel (its BusinessStartupService, the Meta Cloud API integration of EvolutionAPI/evolution-api).
// Evolution is not run here: each request below is rebuilt as its code builds it (axios, JSON
// bodies with undefined values dropped by JSON.stringify, multipart from the npm `form-data`
// package) and replayed against openwaba; each assertion is on a field its code reads from the
// answer or from the webhook. What the other client tests cover is not repeated: this is the
// client that builds contact cards with empty sub-objects, uploads with a stray `typeFile` field,
// sends lists and buttons without truncating, routes webhooks by metadata.phone_number_id and
// template reviews by message_template_id, and keys its store by the wamids of its sends.
//
// Files read (repository EvolutionAPI/evolution-api in the code index, which unions forks'
// histories):
//   src/api/integrations/channel/meta/whatsapp.business.service.ts: commit 00e191ff (the newest
//     shape: post, downloadMediaMessage, fetchMediaFromGraph, messageHandle with
//     resolveMessageRemoteId / isCloudApiFromMe / isCloudApiStatusFromMe, the message*Json
//     mappers, sendMessageWithTyping, getIdMedia, prepareMediaMessage, processAudio,
//     buttonMessage, listMessage, templateMessage, contactMessage, locationMessage,
//     reactionMessage, setWhatsappBusinessProfile, getBase64FromMediaMessage) and commit ba5fb567
//     (the earlier messageHandle: pushName = contacts[0].profile.name, fromMe by
//     metadata.phone_number_id; the same senders),
//   src/api/integrations/channel/meta/meta.controller.ts: commit 2e572baa (receiveWebhook: the
//     template branch by field and message_template_id, the rest routed by phone_number_id),
//   src/api/services/template.service.ts: commits 0bb2b928 and c041986e (find, create with
//     allow_category_change, requestTemplate's error return),
//   src/api/dto/sendMessage.dto.ts: commit 00e191ff (SendMediaDto, SendButtonsDto, SendListDto,
//     ContactMessage, SendTemplateDto, SendReactionDto); chat.dto.ts NumberBusiness (stored versions).
//
// The mapping a 360dialog user makes (reference §4): Evolution's WA_BUSINESS URL/VERSION/number
// paths lose the version and the phone number (or WABA) id, the bearer token is sent as D360-API-KEY:
//   POST {URL}/{VERSION}/{number}/messages                  → POST /messages
//   POST {URL}/{VERSION}/{number}/media                     → POST /media
//   POST {URL}/{VERSION}/{number}/whatsapp_business_profile → POST /whatsapp_business_profile
//   GET/POST {URL}/{VERSION}/{businessId}/message_templates → GET/POST /message_templates
//   GET {URL}/{VERSION}/{media_id}                          → GET /{media_id}
// The instance's `number` is the phone_number_id (its webhook routing compares it with
// metadata.phone_number_id), `token` the channel's key, `businessId` the WABA id. Its webhook,
// /webhook/meta, is registered with POST /v1/configs/webhook (360dialog's way).
//
// Not exercised because Evolution's Business channel does not build them: markMessageAsRead,
// stickers, polls and presence all throw "Method not available on WhatsApp Business API".
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplayApp } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import type { TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, sha256, uploadSample, userWrites as userWritesAs } from './media-fixtures.ts';

type Json = Record<string, any>;

/** Users who wrote first (their 24-hour windows are open), in Evolution's DTO spelling (any separators). */
const ANA = '5511987650001';
const BRUNO = '5511987650002';
/** A user who never wrote. */
const COLD = '5511987650003';
const WAMID = /^wamid\.[\w=+/-]+$/;
/** Evolution's webhook route for Meta's notifications (meta.router.ts). */
const WEBHOOK_PATH = '/webhook/meta';
/** What axios 1.x adds to every request. */
const AXIOS = { accept: 'application/json, text/plain, */*', 'user-agent': 'axios/1.7.9' };

/** @utils/createJid for a plain number: the digits and "@s.whatsapp.net". */
const createJid = (n: string) => `${n.replace(/\D/g, '')}@s.whatsapp.net`;

/**
 * A multipart body as the npm `form-data` package writes it (getIdMedia fills one): 26 dashes and
 * 24 hex digits as boundary; a Buffer part with its filename and content type; string parts
 * without a type (`form.append(name, undefined)` writes the text "undefined").
 */
function formData(parts: ({ name: string; value: string } | { name: string; data: Buffer; filename: string; contentType: string })[]) {
  const boundary = `--------------------------${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('data' in part) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: ${part.contentType}\r\n\r\n`), part.data, Buffer.from('\r\n'));
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

describeEachDb("client: Evolution API's WhatsApp Business channel (BusinessStartupService) against the Cloud Messaging API", (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  /** The Evolution instance of this number: number (the phone_number_id), token, businessId. */
  let instance: { number: string; token: string; businessId: string; displayNumber: string };
  /** Wamids of Evolution's sends (its Message rows' key.id), by recipient. */
  const sent: { id: string; to: string }[] = [];
  /** Inbound wamids Evolution quotes and reacts to. */
  let anaFirst: string;
  /** templateId and name of the template TemplateService#create stored. */
  let created: { templateId: string; name: string };

  /**
   * BusinessStartupService#post(message, params): axios.post to {URL}/{VERSION}/{number}/{params}
   * with Content-Type application/json and the token; result.data on a 2xx, otherwise
   * `e.response?.data?.error` (undefined when the body has no `error`).
   */
  async function post(message: unknown, params = 'messages', token = instance.token) {
    const res = await t.request('POST', `/${params}`, { headers: { 'Content-Type': 'application/json', 'D360-API-KEY': token, ...AXIOS }, raw: JSON.stringify(message) });
    const ok = res.status >= 200 && res.status < 300;
    return { res, returned: (ok ? res.body : res.body?.error) as Json | undefined };
  }

  /**
   * sendMessageWithTyping after post(): `messageSent?.error_data || messageSent.message` means an
   * error (returned to the caller as it came); otherwise the Message row is keyed by
   * messageSent.messages[0].id (its timestamp, absent on Meta's answer, falls back to now).
   */
  async function send(content: Json): Promise<string> {
    const { res, returned } = await post(content);
    expect(res.status, res.text).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
    expect(returned!.error_data).toBeUndefined();
    expect(returned!.message).toBeUndefined();
    const id = returned!.messages[0].id as string;
    expect(id).toMatch(WAMID);
    sent.push({ id, to: content.to });
    return id;
  }

  /** An error sendMessageWithTyping hands back: the `error` object, with message and error_data. */
  async function refusal(content: Json) {
    const { res, returned } = await post(content);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(returned).toBeDefined();
    expect(typeof returned!.message).toBe('string');
    expect(returned!.error_data).toEqual({ messaging_product: 'whatsapp', details: expect.any(String) });
    return returned!;
  }

  /** The envelope sendMessageWithTyping puts every content in: number.replace(/\D/g, ''), individual. */
  const envelope = (number: string, type: string, rest: Json, quoted?: string): Json => ({
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    type,
    to: number.replace(/\D/g, ''),
    ...rest,
    ...(quoted ? { context: { message_id: quoted } } : {}),
  });

  /** The stored row of a message of this channel. */
  async function stored(id: string) {
    const row = await t.deps.db.kysely.selectFrom('messages').select(['type', 'content', 'context_id', 'wa_id', 'template_name', 'direction']).where('channel_id', '=', p.channel_id).where('id', '=', id).executeTakeFirstOrThrow();
    const message = JSON.parse(row.content) as Json;
    return { ...row, content: message[row.type] as Json };
  }

  /**
   * getIdMedia: a form-data body with `file` (the buffer, filename, content type), `typeFile`
   * (the media's mimetype, often undefined) and `messaging_product`, posted to {number}/media
   * with only the token (axios adds form-data's Content-Type); returns res.data.id.
   */
  async function getIdMedia(file: { data: Buffer; filename: string; contentType: string }, typeFile: string | undefined) {
    const form = formData([
      { name: 'file', ...file },
      { name: 'typeFile', value: String(typeFile) },
      { name: 'messaging_product', value: 'whatsapp' },
    ]);
    const res = await t.request('POST', '/media', { headers: { 'D360-API-KEY': instance.token, 'content-type': form.contentType, ...AXIOS }, raw: form.body });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ id: expect.stringMatching(/^\d+$/) });
    return res.body.id as string;
  }

  /** The webhook bodies that reached Evolution's /webhook/meta. */
  const hooks = () => receiver.bodies(WEBHOOK_PATH);
  const valueOf = (b: any) => b?.entry?.[0]?.changes?.[0]?.value;
  const inboundHook = (id: string) => receiver.waitForBody(`the webhook of inbound ${id}`, () => hooks().find((b) => valueOf(b)?.messages?.[0]?.id === id));

  /**
   * MetaController#receiveWebhook for a `messages` change: object whatsapp_business_account;
   * each entry's changes[0].value.metadata.phone_number_id names the instance (a string compared
   * with instance.number); connectToWhatsapp then takes entry[0].changes[0].value. isCloudApiFromMe
   * and resolveRemoteId compare the sender with metadata.display_phone_number and phone_number_id.
   */
  function routedToInstance(body: any): Json {
    expect(body.object).toBe('whatsapp_business_account');
    expect(body.entry[0].changes[0].field).toBe('messages');
    for (const entry of body.entry) {
      expect(typeof entry.changes[0].value.metadata.phone_number_id).toBe('string');
      expect(entry.changes[0].value.metadata.phone_number_id).toBe(instance.number);
    }
    const value = valueOf(body);
    expect(value.metadata.display_phone_number).toBe(instance.displayNumber);
    // normalizeWebhookContent: no message_echoes / smb_message_echoes from a sandbox number.
    expect(value.message_echoes).toBeUndefined();
    expect(value.smb_message_echoes).toBeUndefined();
    return value;
  }

  /**
   * What messageHandle reads of every inbound message: pushName from contacts[0].profile.name,
   * the key (id, remoteJid from `from`, fromMe false: `from` is neither business number),
   * messageTimestamp = parseInt(timestamp), and `type` among eventHandler's handled types.
   */
  function readsAsEvolution(body: any, from: string, type: string): Json {
    const value = routedToInstance(body);
    expect(value.contacts[0].profile.name).toEqual(expect.any(String));
    expect(value.contacts[0].wa_id).toBe(from);
    const m = value.messages[0];
    expect(m.id).toMatch(WAMID);
    expect(m.from).toBe(from);
    expect(createJid(m.from)).toBe(`${from}@s.whatsapp.net`);
    expect([instance.displayNumber, instance.number]).not.toContain(m.from.replace(/\D/g, ''));
    expect(m.timestamp).toMatch(/^\d+$/);
    expect(Math.abs(parseInt(m.timestamp, 10) - Date.now() / 1000)).toBeLessThan(120);
    expect(m.type).toBe(type);
    expect(['text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contacts', 'interactive', 'button', 'reaction']).toContain(m.type);
    return m;
  }

  /** A sandbox user writes. */
  const userWrites = (json: Json) => userWritesAs(t, instance.token, json);

  /** The user's phone uploads a file first (as the sandbox phone does) for a media message. */
  const phoneUploads = (name: string) => uploadSample(t, instance.token, name);

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startReplayApp(kind);
    p = await t.tenant();
    const ch = await t.deps.db.kysely
      .selectFrom('channels')
      .innerJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id')
      .select(['channels.phone_number', 'channels.external_id', 'waba_accounts.external_id as waba_external_id'])
      .where('channels.id', '=', p.channel_id)
      .executeTakeFirstOrThrow();
    instance = { number: ch.external_id, token: p.channel_api_key, businessId: ch.waba_external_id, displayNumber: ch.phone_number };
    const hook = await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': instance.token }, json: { url: `${receiver.url}${WEBHOOK_PATH}` } });
    expect(hook.status, hook.text).toBe(200);
    anaFirst = await userWrites({ from: ANA, name: 'Ana Souza', text: { body: 'Oi, tudo bem?' } });
    await userWrites({ from: BRUNO, name: 'Bruno', text: { body: 'Bom dia' } });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  describe('templates (TemplateService) and their reviews (MetaController)', () => {
    it('create: {name, category, allow_category_change, language, components} → response.id; find: response.data', async () => {
      const postData = {
        name: 'pedido_enviado',
        category: 'UTILITY',
        allow_category_change: true,
        language: 'pt_BR',
        components: [{ type: 'BODY', text: 'Olá {{1}}, seu pedido {{2}} foi enviado.', example: { body_text: [['Ana', '#4521']] } }],
      };
      const res = await t.request('POST', '/message_templates', { headers: { 'Content-Type': 'application/json', 'D360-API-KEY': instance.token, ...AXIOS }, raw: JSON.stringify(postData) });
      // `if (!response || response.error)`; the Template row keeps templateId: response.id.
      expect(res.status, res.text).toBe(200);
      expect(res.body.error).toBeUndefined();
      expect(res.body.id).toMatch(/^\d+$/);
      created = { templateId: res.body.id, name: postData.name };
      // A refusal: requestTemplate returns e.response.data, create throws with error.message.
      const bad = await t.request('POST', '/message_templates', { headers: { 'Content-Type': 'application/json', 'D360-API-KEY': instance.token, ...AXIOS }, raw: JSON.stringify({ ...postData, name: 'promo_x', category: 'PROMO' }) });
      expect(bad.status).toBe(400);
      expect(typeof bad.body.error.message).toBe('string');
      // find: GET message_templates, `response.data`.
      const found = await t.request('GET', '/message_templates', { headers: { 'Content-Type': 'application/json', 'D360-API-KEY': instance.token, ...AXIOS } });
      expect(found.status).toBe(200);
      expect(Array.isArray(found.body.data)).toBe(true);
      expect(found.body.data.find((x: Json) => x.id === created.templateId)).toMatchObject({ name: 'pedido_enviado', language: 'pt_BR', category: 'UTILITY' });
    });

    it('the review reaches /webhook/meta: field message_template_status_update, `${message_template_id}` finds the stored templateId', async () => {
      const review = await receiver.waitForBody('the review of pedido_enviado', () =>
        hooks().find((b) => b.entry?.[0]?.changes?.[0]?.field === 'message_template_status_update' && valueOf(b).message_template_name === created.name),
      );
      expect(review.object).toBe('whatsapp_business_account');
      const value = valueOf(review);
      // prisma.template.findFirst({ where: { templateId: `${value.message_template_id}` } }).
      expect(`${value.message_template_id}`).toBe(created.templateId);
      // The value is what Evolution posts on to the template's webhookUrl.
      expect(value).toMatchObject({ event: 'APPROVED', message_template_name: 'pedido_enviado', message_template_language: 'pt_BR', reason: 'NONE' });
      // It has no metadata: the template branch comes first, so receiveWebhook never reads it.
      expect(value.metadata).toBeUndefined();
    });
  });

  describe('sends (sendMessageWithTyping and the DTO builders)', () => {
    it('textMessage: text {body, preview_url: Boolean(linkPreview)} to the DTO number\'s digits; a quoted key becomes context.message_id', async () => {
      // SendTextDto {number, text}: linkPreview absent → preview_url false.
      const plain = await send(envelope('+55 (11) 98765-0001', 'text', { text: { body: 'Olá Ana!', preview_url: Boolean(undefined) } }));
      expect(await stored(plain)).toMatchObject({ direction: 'outbound', wa_id: ANA, type: 'text', content: { body: 'Olá Ana!', preview_url: false }, context_id: null });
      // linkPreview true and options.quoted = {key: {id: <the inbound wamid>}}.
      const quoted = await send(envelope(ANA, 'text', { text: { body: 'Veja: https://loja.example.com.br', preview_url: Boolean(true) } }, anaFirst));
      expect(await stored(quoted)).toMatchObject({ wa_id: ANA, content: { body: 'Veja: https://loja.example.com.br', preview_url: true }, context_id: anaFirst });
    });

    it('mediaMessage / audioWhatsapp by URL: {link}, a caption where given (not for audio), a filename for documents only', async () => {
      // prepareMediaMessage: isURL(media) → type 'link', mimetype = mime-types lookup of the URL
      // (image/jpeg makes isImage true: no filename for images; video and audio never get one).
      const cases: [string, Json][] = [
        ['image', { link: 'https://cdn.example.com.br/produtos/tenis.jpg', caption: 'Novo tênis' }],
        ['document', { link: 'https://cdn.example.com.br/docs/catalogo.pdf', filename: 'catalogo.pdf', caption: 'Catálogo 2025' }],
        ['video', { link: 'https://cdn.example.com.br/videos/demo.mp4', caption: 'Demonstração' }],
        // processAudio without AUDIO_CONVERTER: a URL goes as {link}, nothing else.
        ['audio', { link: 'https://cdn.example.com.br/audios/boas-vindas.mp3' }],
      ];
      for (const [type, object] of cases) {
        const id = await send(envelope(ANA, type, { [type]: object }));
        expect(await stored(id)).toMatchObject({ type, content: object });
      }
      // A document named by the DTO's fileName and sent without caption: `caption &&` leaves it out.
      const bare = await send(envelope(BRUNO, 'document', { document: { link: 'https://cdn.example.com.br/docs/boleto.pdf', filename: 'boleto' } }));
      expect((await stored(bare)).content).toEqual({ link: 'https://cdn.example.com.br/docs/boleto.pdf', filename: 'boleto' });
    });

    it('mediaMessage from base64 and audioWhatsapp from a file: getIdMedia uploads (file, typeFile, messaging_product), the send names the id', async () => {
      // Base64 image without fileName: prepareMediaMessage names it image.png; the file part's
      // type is form-data's lookup of that name (contentType undefined), `typeFile` the text
      // "undefined" (prepareMedia has no mimetype yet).
      const png = SAMPLES.find((s) => s.name === 'chart.png')!;
      const imageId = await getIdMedia({ data: Buffer.from(png.data.toString('base64'), 'base64'), filename: 'image.png', contentType: 'image/png' }, undefined);
      // Base64 document with fileName: its own name and type.
      const pdf = SAMPLES.find((s) => s.name === 'invoice.pdf')!;
      const docId = await getIdMedia({ data: pdf.data, filename: 'fatura-123.pdf', contentType: 'application/pdf' }, undefined);
      // audioWhatsapp with a multer file: its originalname and mimetype, typeFile = file.mimetype.
      const ogg = SAMPLES.find((s) => s.name === 'voice.ogg')!;
      const audioId = await getIdMedia({ data: ogg.data, filename: 'audio-gravado.ogg', contentType: 'audio/ogg' }, 'audio/ogg');

      // The upload is what the file part declared (the stray typeFile field is ignored, as Meta does).
      const info = await t.request('GET', `/${imageId}`, { headers: { 'Content-Type': 'application/json', 'D360-API-KEY': instance.token, ...AXIOS } });
      expect(info.body).toMatchObject({ id: imageId, mime_type: 'image/png', sha256: sha256(png.data), file_size: png.data.length });

      // The sends: {[type]: {id: ...}} — prepareMedia.type is 'id' after an upload.
      const image = await send(envelope(ANA, 'image', { image: { id: imageId, caption: 'Gráfico de vendas' } }));
      expect(await stored(image)).toMatchObject({ type: 'image', content: { id: imageId, caption: 'Gráfico de vendas' } });
      const doc = await send(envelope(ANA, 'document', { document: { id: docId, filename: 'fatura-123.pdf', caption: 'Sua fatura' } }));
      expect((await stored(doc)).content).toEqual({ id: docId, filename: 'fatura-123.pdf', caption: 'Sua fatura' });
      const audio = await send(envelope(ANA, 'audio', { audio: { id: audioId } }));
      expect((await stored(audio)).content).toEqual({ id: audioId });
    });

    it('buttonMessage and listMessage: reply buttons under body title || "Select"; a list with header, body, footer and rows cut to 72', async () => {
      // buttonMessage: every DTO button becomes {type:'reply', reply:{title: displayText, id}}.
      const buttons = envelope(ANA, 'interactive', {
        interactive: {
          type: 'button',
          body: { text: 'Como prefere receber?' },
          action: { buttons: [{ type: 'reply', reply: { title: 'Entrega', id: 'entrega' } }, { type: 'reply', reply: { title: 'Retirada', id: 'retirada' } }] },
        },
      });
      const b = await send(buttons);
      expect((await stored(b)).content).toEqual(buttons.interactive);
      // No title in the DTO: the body is "Select".
      const bodyOf = (title?: string) => title || 'Select';
      const untitled = envelope(ANA, 'interactive', { interactive: { type: 'button', body: { text: bodyOf(undefined) }, action: { buttons: [{ type: 'reply', reply: { title: 'Sim', id: 'sim' } }] } } });
      await send(untitled);

      // listMessage: rows {title, description: description.substring(0, 72), id: rowId}.
      const longDescription = 'Pizza de calabresa com cebola roxa, azeitonas pretas e orégano fresco da casa';
      expect(longDescription.length).toBeGreaterThan(72);
      const list = envelope(BRUNO, 'interactive', {
        interactive: {
          type: 'list',
          header: { type: 'text', text: 'Cardápio' },
          body: { text: 'Escolha seu sabor' },
          footer: { text: 'Pizzaria Bella' },
          action: {
            button: 'Ver opções',
            sections: [
              { title: 'Salgadas', rows: [{ title: 'Calabresa', description: longDescription.substring(0, 72), id: 'calabresa' }, { title: 'Marguerita', description: 'Tomate e manjericão', id: 'marguerita' }] },
              { title: 'Doces', rows: [{ title: 'Chocolate', description: 'Com morangos', id: 'chocolate' }] },
            ],
          },
        },
      });
      const l = await send(list);
      expect((await stored(l)).content).toEqual(list.interactive);
    });

    it('what Evolution leaves to the user is checked as Meta checks it: an untrimmed title, a list without footerText, a "ptv" media type', async () => {
      // buttonMessage does not shorten displayText: Meta's reply titles take 20 characters.
      const long = await refusal(envelope(ANA, 'interactive', { interactive: { type: 'button', body: { text: 'Escolha' }, action: { buttons: [{ type: 'reply', reply: { title: 'Quero falar com um atendente', id: 'humano' } }] } } }));
      expect(long.error_data.details).toBe('interactive.action.buttons[0].reply.title: must be at most 20 characters (got 28)');
      // listMessage without footerText writes `footer: {text: undefined}`, i.e. "footer":{}:
      // a footer without text, which Meta refuses as well.
      const noFooter = await refusal(
        JSON.parse(
          JSON.stringify(
            envelope(BRUNO, 'interactive', {
              interactive: { type: 'list', header: { type: 'text', text: 'Menu' }, body: { text: 'Escolha' }, footer: { text: undefined }, action: { button: 'Ver', sections: [{ title: 'A', rows: [{ title: 'Um', description: 'x', id: 'um' }] }] } },
            }),
          ),
        ),
      );
      expect(noFooter.error_data.details).toBe('interactive.footer.text: is required');
      // SendMediaDto's mediatype 'ptv' (a round video note on Baileys) goes out as type "ptv".
      const ptv = await refusal(envelope(ANA, 'ptv', { ptv: { link: 'https://cdn.example.com.br/videos/nota.mp4' } }));
      expect(ptv.message).toContain('Invalid parameter');
    });

    it('templateMessage: template {name, language: {code: language || "en_US"}, components} as the DTO gives them', async () => {
      const languageOf = (language?: string) => language || 'en_US';
      const hello = await send(envelope(COLD, 'template', { template: { name: 'hello_world', language: { code: languageOf(undefined) }, components: undefined } }));
      expect(await stored(hello)).toMatchObject({ type: 'template', template_name: 'hello_world', wa_id: COLD });
      // The template TemplateService#create made (below), with body parameters in Meta's shape.
      await waitUntil('the created template approved', async () => {
        const res = await t.request('GET', '/message_templates', { query: { name: 'pedido_enviado' }, headers: { 'Content-Type': 'application/json', 'D360-API-KEY': instance.token, ...AXIOS } });
        return res.body.data?.[0]?.status === 'APPROVED';
      });
      const order = await send(
        envelope(COLD, 'template', {
          template: { name: 'pedido_enviado', language: { code: 'pt_BR' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: '#4521' }] }] },
        }),
      );
      expect(await stored(order)).toMatchObject({ template_name: 'pedido_enviado', content: { name: 'pedido_enviado', language: { code: 'pt_BR' } } });
      // An unknown template: the error object comes back (code 132001), as sendMessageWithTyping returns it.
      const unknown = await refusal(envelope(COLD, 'template', { template: { name: 'nao_existe', language: { code: 'pt_BR' } } }));
      expect(unknown.message).toContain('(#132001)');
      expect(unknown.code).toBe(132001);
    });

    it('contactMessage: the card from a full ContactMessage, and from one without url, email and organization (urls [{}], emails [{}], org {})', async () => {
      // contactMessage: {name: {formatted_name: fullName, first_name: fullName}, phones: [{phone}],
      // urls: [{url}], emails: [{email}], org: {company: organization}}.
      const card = (c: { fullName: string; phoneNumber: string; url?: string; email?: string; organization?: string }) => ({
        name: { formatted_name: c.fullName, first_name: c.fullName },
        phones: [{ phone: c.phoneNumber }],
        urls: [{ url: c.url }],
        emails: [{ email: c.email }],
        org: { company: c.organization },
      });
      const full = envelope(ANA, 'contacts', { contacts: [card({ fullName: 'Loja Central', phoneNumber: '+55 11 3333-4444', url: 'https://loja.example.com.br', email: 'contato@loja.example.com.br', organization: 'Loja Central Ltda' })] });
      const f = await send(full);
      expect((await stored(f)).content).toEqual(full.contacts);
      // The DTO's optional fields left out: axios's JSON.stringify drops the undefined values and
      // keeps their objects. Meta documents email, url and the org fields as optional, so such a
      // card is a card with just a name and a phone.
      const minimalBody = JSON.stringify(envelope(BRUNO, 'contacts', { contacts: [card({ fullName: 'Suporte', phoneNumber: '5511999990000' })] }));
      expect(minimalBody).toContain('"urls":[{}],"emails":[{}],"org":{}');
      const minimal = JSON.parse(minimalBody) as Json;
      const m = await send(minimal);
      expect((await stored(m)).content).toEqual([{ name: { formatted_name: 'Suporte', first_name: 'Suporte' }, phones: [{ phone: '5511999990000' }], urls: [{}], emails: [{}], org: {} }]);
    });

    it('locationMessage ({longitude, latitude, name?, address?}) and reactionMessage (set, then removed with "")', async () => {
      const loc = await send(envelope(ANA, 'location', { location: { longitude: -46.633308, latitude: -23.55052, name: 'Praça da Sé', address: 'Sé, São Paulo - SP' } }));
      expect((await stored(loc)).content).toEqual({ longitude: -46.633308, latitude: -23.55052, name: 'Praça da Sé', address: 'Sé, São Paulo - SP' });
      // Without name and address in the DTO: both undefined, so neither key is sent.
      const pin = JSON.parse(JSON.stringify(envelope(ANA, 'location', { location: { longitude: -43.172897, latitude: -22.906847, name: undefined, address: undefined } }))) as Json;
      expect(Object.keys(pin.location)).toEqual(['longitude', 'latitude']);
      await send(pin);
      // reactionMessage({key: {remoteJid, id}, reaction}): `to` is the remoteJid's digits.
      const key = { remoteJid: createJid(ANA), fromMe: false, id: anaFirst };
      const like = await send(envelope(key.remoteJid, 'reaction', { reaction: { message_id: key.id, emoji: '👍' } }));
      expect(await stored(like)).toMatchObject({ wa_id: ANA, type: 'reaction', content: { message_id: anaFirst, emoji: '👍' } });
      await send(envelope(key.remoteJid, 'reaction', { reaction: { message_id: key.id, emoji: '' } }));
    });

    it('setWhatsappBusinessProfile: POST whatsapp_business_profile with the NumberBusiness fields (profile_picture_handle undefined)', async () => {
      const content = {
        messaging_product: 'whatsapp',
        about: 'Atendimento de seg. a sex.',
        address: 'Av. Paulista, 1000 - São Paulo',
        description: 'Loja de calçados',
        vertical: 'RETAIL',
        email: 'contato@loja.example.com.br',
        websites: ['https://loja.example.com.br'],
        profile_picture_handle: undefined,
      };
      const { res, returned } = await post(content, 'whatsapp_business_profile');
      expect(res.status, res.text).toBe(200);
      expect(returned).toEqual({ success: true });
      const profile = await t.request('GET', '/whatsapp_business_profile', { headers: { 'D360-API-KEY': instance.token } });
      expect(profile.body.data[0]).toMatchObject({ about: content.about, address: content.address, vertical: 'RETAIL', websites: content.websites });
    });

    it('a wrong token: 360dialog\'s 401 body has no `error`, so post() returns undefined (Meta\'s 401 has one)', async () => {
      const { res, returned } = await post(envelope(ANA, 'text', { text: { body: 'oi', preview_url: false } }), 'messages', 'nao-e-uma-chave');
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
      // sendMessageWithTyping then reads `messageSent.message` of undefined and answers its own
      // BadRequestException: the reference's 401 body (§4.3), not something openwaba can change.
      expect(returned).toBeUndefined();
    });
  });

  describe('incoming messages and statuses (messageHandle over the Cloud webhook)', () => {
    /**
     * downloadMediaMessage / fetchMediaFromGraph: GET {URL}/{VERSION}/{id} with Content-Type
     * application/json and the token; then GET result.data.url with the token alone, as an
     * arraybuffer. With S3 on, the mimetype is result.data?.mime_type.
     */
    async function downloadAsEvolution(mediaId: string) {
      const result = await t.request('GET', `/${mediaId}`, { headers: { 'Content-Type': 'application/json', 'D360-API-KEY': instance.token, ...AXIOS } });
      expect(result.status, result.text).toBe(200);
      expect(typeof result.body.url).toBe('string');
      expect(typeof result.body.mime_type).toBe('string');
      const file = await fetch(result.body.url, { headers: { 'D360-API-KEY': instance.token, ...AXIOS } });
      expect(file.status).toBe(200);
      return { data: result.body as Json, bytes: Buffer.from(await file.arrayBuffer()) };
    }

    it('text: pushName, the key (id, remoteJid, fromMe false), conversation = text.body', async () => {
      const id = await userWrites({ from: ANA, text: { body: 'Quero saber do meu pedido' } });
      const body = await inboundHook(id);
      const m = readsAsEvolution(body, ANA, 'text');
      // messageTextJson: text.body, and metadata.phone_number_id must be there (else null).
      expect(m.text.body).toBe('Quero saber do meu pedido');
      expect(m.context).toBeUndefined();
      // The profile name is the user's, kept from the first message.
      expect(valueOf(body).contacts[0].profile.name).toBe('Ana Souza');
      const req = receiver.requests.find((r) => r.body.includes(id))!;
      expect(req.method).toBe('POST');
      expect(String(req.headers['content-type'])).toMatch(/^application\/json/);
    });

    it('image, document, voice note, video: messageMediaJson / messageAudioJson ({...audio, ptt: voice}) and the download by id, then url', async () => {
      const cases: [string, string, Json][] = [
        ['image', 'photo.jpg', { caption: 'Olha o defeito' }],
        ['document', 'invoice.pdf', { filename: 'nota-fiscal.pdf', caption: 'minha nota' }],
        ['audio', 'voice.ogg', { voice: true }],
        ['video', 'clip.mp4', { caption: 'vídeo' }],
      ];
      for (const [type, name, extra] of cases) {
        const up = await phoneUploads(name);
        const id = await userWrites({ from: BRUNO, type, [type]: { id: up.id, ...extra } });
        const m = readsAsEvolution(await inboundHook(id), BRUNO, type);
        // isMediaMessage: message.document || image || audio || video; the content is
        // {[type + 'Message']: message[type]}, whose id the download takes and whose mime_type
        // getBase64FromMediaMessage answers as mimetype (fileName from filename).
        expect(m[type]).toMatchObject({ id: up.id, mime_type: up.sample.mime, sha256: sha256(up.sample.data), ...extra });
        if (type === 'audio') expect(m.audio.voice || false).toBe(true);
        const got = await downloadAsEvolution(m[type].id);
        expect(got.data.mime_type).toBe(up.sample.mime);
        expect(got.bytes.equals(up.sample.data)).toBe(true);
      }
    });

    it('sticker (stickerMessage: message.sticker), location (locationMessage from messageTextJson), contacts (the vCard)', async () => {
      const webp = await phoneUploads('static.webp');
      const s = readsAsEvolution(await inboundHook(await userWrites({ from: ANA, type: 'sticker', sticker: { id: webp.id } })), ANA, 'sticker');
      expect(s.sticker).toMatchObject({ id: webp.id, mime_type: 'image/webp' });

      const loc = readsAsEvolution(await inboundHook(await userWrites({ from: ANA, type: 'location', location: { latitude: -23.561414, longitude: -46.655881, name: 'MASP', address: 'Av. Paulista, 1578' } })), ANA, 'location');
      // No text: degreesLatitude/degreesLongitude from location.latitude/longitude, name, address.
      expect(loc.text).toBeUndefined();
      expect(typeof loc.location.latitude).toBe('number');
      expect(typeof loc.location.longitude).toBe('number');
      expect(loc.location).toMatchObject({ name: 'MASP', address: 'Av. Paulista, 1578' });

      // messageContactsJson builds one vCard from contacts[0]: name.formatted_name, org.company,
      // emails[0].email, urls[0].url, phones[0].wa_id (or createJid(phones[0].phone)), phones[0].phone.
      const card = {
        name: { formatted_name: 'Carla Dias', first_name: 'Carla', last_name: 'Dias' },
        org: { company: 'Dias & Cia' },
        emails: [{ email: 'carla@example.com.br', type: 'WORK' }],
        urls: [{ url: 'https://dias.example.com.br', type: 'WORK' }],
        phones: [{ phone: '+55 11 91234-5678', type: 'CELL', wa_id: '5511912345678' }],
      };
      const c = readsAsEvolution(await inboundHook(await userWrites({ from: ANA, type: 'contacts', contacts: [card] })), ANA, 'contacts');
      expect(c.contacts).toHaveLength(1);
      expect(c.contacts[0]).toMatchObject(card);
    });

    it('replies: interactive[interactive.type].title and button.text as conversation, context.id as stanzaId; a reaction\'s message_id and emoji', async () => {
      const asked = sent.find((x) => x.to === ANA)!.id;
      const cases: [string, Json, (m: Json) => unknown, unknown][] = [
        ['interactive', { type: 'button_reply', button_reply: { id: 'entrega', title: 'Entrega' } }, (m) => m.interactive[m.interactive.type].title, 'Entrega'],
        ['interactive', { type: 'list_reply', list_reply: { id: 'calabresa', title: 'Calabresa', description: 'com cebola' } }, (m) => m.interactive[m.interactive.type].title, 'Calabresa'],
        ['button', { text: 'Parar', payload: 'STOP' }, (m) => m.button?.text, 'Parar'],
        ['text', { body: 'Sim, pode ser' }, (m) => m.text.body, 'Sim, pode ser'],
      ];
      for (const [type, content, read, expected] of cases) {
        const id = await userWrites({ from: ANA, type, [type]: content, context: { message_id: asked } });
        const m = readsAsEvolution(await inboundHook(id), ANA, type);
        expect(read(m)).toBe(expected);
        // contextInfo: {stanzaId: message.context.id}: the wamid Evolution keyed its send by.
        expect(m.context.id).toBe(asked);
      }
      // messageReactionJson: reactionMessage {key: {id: reaction.message_id}, text: reaction.emoji}.
      const r = readsAsEvolution(await inboundHook(await userWrites({ from: ANA, type: 'reaction', reaction: { message_id: asked, emoji: '❤️' } })), ANA, 'reaction');
      expect(r.reaction).toEqual({ message_id: asked, emoji: '❤️' });
    });

    it('statuses: each item\'s id finds the Message by key.id, recipient_id its remoteJid, status.toUpperCase() the MESSAGES_UPDATE; a closed window fails', async () => {
      const failed = await send(envelope(COLD, 'text', { text: { body: 'Você está aí?', preview_url: false } }));
      const statusValues = () => hooks().filter((b) => valueOf(b)?.statuses).map((b) => routedToInstance(b));
      const all = await waitUntil('sent, delivered and read of every send to a user who wrote, and the failure', () => {
        const got = statusValues();
        const has = (id: string, status: string) => got.some((v) => v.statuses.some((s: Json) => s.id === id && s.status === status));
        const open = sent.filter((x) => x.to !== COLD);
        return open.every((x) => ['sent', 'delivered', 'read'].every((st) => has(x.id, st))) && has(failed, 'failed') ? got : undefined;
      });
      for (const value of all) {
        // messageHandle: for each of received.statuses; no messages in a status webhook.
        expect(value.messages).toBeUndefined();
        for (const item of value.statuses) {
          expect(item.id).toMatch(WAMID);
          expect(typeof item.recipient_id).toBe('string');
          // isCloudApiStatusFromMe: a recipient that is not the business number → fromMe.
          expect([instance.displayNumber, instance.number]).not.toContain(item.recipient_id);
          expect(['SENT', 'DELIVERED', 'READ', 'FAILED']).toContain(String(item.status).toUpperCase());
          // Not the deletion shape (`message === null && status === undefined`).
          expect(item.status).toBeDefined();
          expect(sent.find((x) => x.id === item.id)?.to.replace(/\D/g, '')).toBe(item.recipient_id);
        }
      }
      const f = all.flatMap((v) => v.statuses).find((s: Json) => s.id === failed && s.status === 'failed');
      expect(f).toMatchObject({ recipient_id: COLD, errors: [{ code: 131047, title: expect.any(String) }] });
      // receiveWebhook takes every body this number got down one of its two branches: a template
      // review (by entry[0].changes[0].field) or a change routed by metadata.phone_number_id.
      for (const body of hooks()) {
        if (body.entry[0].changes[0].field === 'message_template_status_update') expect(typeof valueOf(body).message_template_id).toBe('number');
        else routedToInstance(body);
      }
    });
  });
});

