// A real Cloud API client against openwaba's Cloud flavour: Typebot's WhatsApp integration
// (baptisteArno/typebot.io, packages/whatsapp), which speaks to 360dialog natively (its "360Dialog"
// credentials: an API key, requests to https://waba-v2.360dialog.io with D360-API-KEY, a webhook
// secret in a custom header). Typebot is not run: each request below is the one its code builds,
// replayed against openwaba (whose base URL stands where dialog360BaseUrl is), and every webhook
// body openwaba delivers is parsed with a hand transcription of Typebot's zod schema (zod is no
// dependency here) before the fields its code reads are checked. What the other client tests cover
// is not repeated: this is the client that builds reply buttons from a bot's choices with its own
// title truncation, re-uploads bubble media as an unnamed Blob, appends the media URL's path to its
// own base URL, and refuses (HTTP 400, so the delivery is retried) any webhook body its strict
// schema does not take.
//
// Files read (repository baptisteArno/typebot.io in the code index, which unions forks' histories;
// the newest stored versions found, by commit):
//   packages/whatsapp/src/schemas.ts: 5e0de899 (whatsAppWebhookRequestBodySchema, transcribed
//     below: statuses with id/status/timestamp/conversation/pricing, errors with optional
//     error_data), and the earlier 039244231 / 4208cfc1 / 37ff2f6b (metadata required at first),
//   packages/whatsapp/src/api/handleProductionWebhookRequest.ts: 1dbf7d83 (the 360dialog secret
//     header check, parseWebhookBody: JSON.parse, z.record, the schema, 400 on failure; the session
//     id from metadata.phone_number_id and from_user_id || from; contacts[0].wa_id / user_id),
//   packages/whatsapp/src/constants.ts: dd5b0979 (dialog360BaseUrl, D360-API-KEY,
//     x-typebot-webhook-secret); verifyWhatsAppWebhookSecret.ts: dd5b0979,
//   packages/whatsapp/src/sendWhatsAppMessage.ts: the stored version with the 360dialog branch
//     (`{messaging_product, to, ...message}` to {dialog360BaseUrl}/messages; the Meta branch as at
//     10750f54); sendWhatsAppTypingIndicator.ts: the stored version (returns early for 360dialog),
//   packages/whatsapp/src/getOrUploadMedia.ts: 3c92be8f; downloadMedia.ts: 29ed8991,
//   packages/whatsapp/src/convertMessageToWhatsAppMessage.ts: 0818dcbe (media by id via the
//     upload cache, location embeds) and 37ff2f6b,
//   packages/whatsapp/src/convertInputToWhatsAppMessage.ts: 016386e1 (body truncated to 1024
//     code points, `lastMessageText || "―"`) and 4dc391b9,
//   packages/whatsapp/src/convertWhatsAppMessageToTypebotMessage.ts: 205111a9,
//   packages/whatsapp/src/resumeWhatsAppFlow.ts: 205111a9 (3-minute age check, typing indicator);
//     groupIncomingWebhookEntriesPerUser.ts: 4208cfc1; extractErrorsFromEntry.ts: 5e0de899,
//   packages/whatsapp/src/forwardWhatsAppWebhooks.ts and its test: 3db24c49 (isFailedStatus,
//     isMarketingStatus),
//   packages/whatsapp/src/api/handleStartWhatsAppPreview.ts: 0db8673b (the preview template);
//     api/handleGetWhatsAppMedia.ts: 2bacc7d4 (mediaId.split(".")[0]),
//   apps/builder WhatsAppCredentialsDialog (stored version: the 360dialog setup, a webhook URL
//     and the custom header name and value entered in the 360dialog Hub).
// Upstream Typebot builds no list messages (a fork's extendedSchemas does); none is replayed here.
//
// Mapping: none for the 360dialog branch (openwaba's address is the base URL). The preview
// template goes through the Meta branch (the preview number is always Meta's); it is mapped as a
// 360dialog user maps a Meta client: /v21.0/<phone_number_id>/messages → /messages, the bearer
// token → D360-API-KEY.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplayApp } from '../helpers/client-replay.ts';
import { describeEachDb } from '../helpers/db.ts';
import type { TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, sha256, uploadSample } from './media-fixtures.ts';

type Json = Record<string, any>;

// ---------------------------------------------------------------------------------------------
// schemas.ts (5e0de899) transcribed: each check does what the zod schema line beside it does.
// z.object takes a non-null, non-array object and ignores (strips) keys it does not name;
// .optional() takes undefined only (a null fails); z.number() takes a finite number;
// z.discriminatedUnion fails on a discriminator value none of its options names.
// ---------------------------------------------------------------------------------------------
type Check = (v: unknown, path: string, issues: string[]) => void;
const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const zString: Check = (v, p, i) => void (typeof v !== 'string' && i.push(`${p}: expected string, got ${kindOf(v)}`));
const zNumber: Check = (v, p, i) => void ((typeof v !== 'number' || !Number.isFinite(v)) && i.push(`${p}: expected number, got ${kindOf(v)}`));
const zBoolean: Check = (v, p, i) => void (typeof v !== 'boolean' && i.push(`${p}: expected boolean, got ${kindOf(v)}`));
const zLiteral = (lit: string): Check => (v, p, i) => void (v !== lit && i.push(`${p}: expected "${lit}", got ${JSON.stringify(v)}`));
const zEnum = (values: string[]): Check => (v, p, i) => void (!values.includes(v as string) && i.push(`${p}: expected one of ${values.join('|')}, got ${JSON.stringify(v)}`));
const optional = (c: Check): Check => (v, p, i) => void (v !== undefined && c(v, p, i));
type Shape = Record<string, Check>;
const zObject = (shape: Shape): Check => (v, p, i) => {
  if (!isObject(v)) return void i.push(`${p}: expected object, got ${kindOf(v)}`);
  for (const [k, c] of Object.entries(shape)) c(v[k], `${p}.${k}`, i);
};
const zArray = (item: Check): Check => (v, p, i) => {
  if (!Array.isArray(v)) return void i.push(`${p}: expected array, got ${kindOf(v)}`);
  v.forEach((x, n) => item(x, `${p}[${n}]`, i));
};
const discriminatedUnion = (key: string, options: Shape[]): Check => (v, p, i) => {
  if (!isObject(v)) return void i.push(`${p}: expected object, got ${kindOf(v)}`);
  const option = options.find((o) => {
    const probe: string[] = [];
    o[key]!(v[key], '', probe);
    return probe.length === 0;
  });
  if (!option) return void i.push(`${p}.${key}: invalid discriminator value ${JSON.stringify(v[key])}`);
  zObject(option)(v, p, i);
};

// const incomingMessageReferral = z.object({ ctwa_clid: z.string().optional(), source_id: z.string().optional() })
const incomingMessageReferral = zObject({ ctwa_clid: optional(zString), source_id: optional(zString) });
// const sharedIncomingMessageFieldsSchema = z.object({ id?, from, timestamp, referral? })
const shared: Shape = { id: optional(zString), from: zString, timestamp: zString, referral: optional(incomingMessageReferral) };
// incomingButtonReplySchema, incomingListReplySchema, incomingInteractiveReplySchema
const incomingInteractiveReply = discriminatedUnion('type', [
  { type: zLiteral('button_reply'), button_reply: zObject({ id: zString, title: zString }) },
  { type: zLiteral('list_reply'), list_reply: zObject({ id: zString, title: zString }) },
]);
// export const incomingMessageSchema = z.discriminatedUnion("type", [...])
const incomingMessage = discriminatedUnion('type', [
  { ...shared, type: zLiteral('text'), text: zObject({ body: zString }) },
  { ...shared, type: zLiteral('button'), button: zObject({ text: zString, payload: optional(zString) }) },
  { ...shared, type: zLiteral('interactive'), interactive: optional(incomingInteractiveReply) },
  { ...shared, type: zLiteral('image'), image: zObject({ id: zString, caption: optional(zString), mime_type: zString }) },
  { ...shared, type: zLiteral('video'), video: zObject({ id: zString, caption: optional(zString), mime_type: zString }) },
  { ...shared, type: zLiteral('audio'), audio: zObject({ id: zString, mime_type: zString }) },
  { ...shared, type: zLiteral('document'), document: zObject({ id: zString, caption: optional(zString), mime_type: zString }) },
  { ...shared, type: zLiteral('location'), location: zObject({ latitude: zNumber, longitude: zNumber }) },
  { ...shared, type: zLiteral('webhook'), webhook: zObject({ data: optional(zString) }) },
  { ...shared, type: zLiteral('reaction'), reaction: zObject({ emoji: optional(zString) }) },
  { ...shared, type: zLiteral('sticker'), sticker: zObject({ id: zString, mime_type: zString }) },
  {
    ...shared,
    type: zLiteral('contacts'),
    contacts: zArray(zObject({ name: optional(zObject({ formatted_name: zString })), phones: optional(zArray(zObject({ phone: optional(zString), type: optional(zString) }))) })),
  },
  { ...shared, type: zLiteral('unsupported') },
  { ...shared, type: zLiteral('system'), system: zObject({ body: zString }) },
]);
// const whatsAppError = z.object({ code: number, title: string, message?, details?, href?, error_data?: {details} })
const whatsAppError = zObject({
  code: zNumber,
  title: zString,
  message: optional(zString),
  details: optional(zString),
  href: optional(zString),
  error_data: optional(zObject({ details: zString })),
});
// const incomingStatuses = z.object({...})
const incomingStatuses = zObject({
  id: zString,
  recipient_id: zString,
  status: zEnum(['sent', 'delivered', 'read', 'failed', 'deleted']),
  timestamp: zString,
  type: optional(zLiteral('message')),
  conversation: optional(zObject({ id: zString, expiration_timestamp: optional(zString), origin: optional(zObject({ type: zString })) })),
  pricing: optional(zObject({ billable: zBoolean, pricing_model: zString, category: zString, type: optional(zString) })),
  biz_opaque_callback_data: optional(zString),
  errors: optional(zArray(whatsAppError)),
});
// export const whatsAppWebhookRequestBodySchema = z.object({ entry: [{ changes: [{ value: {...} }] }] })
const whatsAppWebhookRequestBodySchema = zObject({
  entry: zArray(
    zObject({
      changes: zArray(
        zObject({
          value: zObject({
            metadata: optional(zObject({ display_phone_number: optional(zString), phone_number_id: zString })),
            contacts: optional(zArray(zObject({ profile: optional(zObject({ name: zString })) }))),
            messages: optional(zArray(incomingMessage)),
            statuses: optional(zArray(incomingStatuses)),
            errors: optional(zArray(whatsAppError)),
          }),
        }),
      ),
    }),
  ),
});

/**
 * handleProductionWebhookRequest.ts parseWebhookBody: JSON.parse of the raw body,
 * z.record(z.string(), z.unknown()) (an object), then whatsAppWebhookRequestBodySchema; any
 * failure is an ORPCError BAD_REQUEST (HTTP 400, which the sender retries). Returns the issues.
 */
function parseWebhookBody(raw: string): string[] {
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    return ['body: not JSON'];
  }
  if (!isObject(payload)) return [`body: expected record, got ${kindOf(payload)}`];
  const issues: string[] = [];
  whatsAppWebhookRequestBodySchema(payload, 'body', issues);
  return issues;
}

/** convertInputToWhatsAppMessage.ts: a reply title over 20 characters keeps 18 and "..". */
const BUTTON_TITLE_MAX = 20;
/**
 * getUniqueButtonTitles / trimTextTo20Chars restated: titles over 20 UTF-16 units are cut to 18
 * plus ".."; a title equal to an earlier one of the same message becomes its first
 * 20 − len("(n)") − 3 characters, a space, "(n)" and "..", with the first n not yet used.
 */
function uniqueButtonTitles(texts: string[]): string[] {
  const used: string[] = [];
  for (const text of texts) {
    let title = text.length > BUTTON_TITLE_MAX ? `${text.slice(0, BUTTON_TITLE_MAX - 2)}..` : text;
    for (let n = 1; used.includes(title); n++) title = `${text.slice(0, BUTTON_TITLE_MAX - `(${n})`.length - 3)} (${n})..`;
    used.push(title);
  }
  return used;
}
/** truncateWhatsAppInteractiveBody: at most 1024 code points (Array.from). */
const truncateBody = (text: string) => Array.from(text).slice(0, 1024).join('');
/** env.WHATSAPP_INTERACTIVE_GROUP_SIZE's default: a choice input's buttons go out three per message. */
const GROUP_SIZE = 3;
/** The body of the second and later button messages of one choice input (U+2015). */
const NO_BODY = '―';

/** The workspace and credentials of the Typebot webhook URL the 360dialog user enters. */
const WORKSPACE_ID = 'clw0workspace0000000000001';
const CREDENTIALS_ID = 'clw0credentials00000000001';
const WEBHOOK_PATH = `/api/v1/workspaces/${WORKSPACE_ID}/whatsapp/${CREDENTIALS_ID}/webhook`;
/** constants.ts dialog360WebhookSecretHeaderName, and the secret createId() made in the dialog. */
const SECRET_HEADER = 'x-typebot-webhook-secret';
const WEBHOOK_SECRET = 'o2x8k1m3n5b7v9c0z4q6w2e8';
/** A user who writes first, and one who never wrote (reached by the preview template only). */
const TOM = '33612345601';
const LEA = '33612345602';
const WAMID = /^wamid\.[\w=+/-]+$/;

describeEachDb("client: Typebot's WhatsApp integration (360dialog provider) against the Cloud Messaging API", (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phoneNumberId: string;
  /** Where the bot's bubble media live (Typebot's S3 or any URL in a bubble). */
  let mediaHost: http.Server;
  let mediaBase: string;
  /** The upload cache (getMediaIdFromCache / insertMediaIdToCache), by URL without query. */
  const mediaCache = new Map<string, string>();
  /** Wamids of the bot's sends to TOM, for his statuses. */
  const sentToTom: string[] = [];
  /** The buttons message TOM answers. */
  let choiceButtons: Json;

  /**
   * sendWhatsAppMessage, 360dialog branch: ky.post(`${dialog360BaseUrl}/messages`, {headers:
   * {[dialog360AuthHeaderName]: apiKey}, json: {messaging_product, to, ...message}}). ky throws
   * on a non-2xx (HTTPError); sendChatReplyToWhatsApp then logs err.response.status and text.
   */
  async function sendWhatsAppMessage(to: string, message: Json) {
    return t.request('POST', '/messages', { headers: { 'D360-API-KEY': p.channel_api_key, 'content-type': 'application/json' }, raw: JSON.stringify({ messaging_product: 'whatsapp', to, ...message }) });
  }

  /** A send that must go through: 2xx, and the fork's reader of messages[0].id finds one. */
  async function sends(to: string, message: Json): Promise<string> {
    const res = await sendWhatsAppMessage(to, message);
    if (res.status < 200 || res.status >= 300) throw new Error(`openwaba refused Typebot's ${message.type} message (${res.status}): ${res.text}\n${JSON.stringify(message)}`);
    const id = res.body.messages[0].id as string;
    expect(id).toMatch(WAMID);
    // What openwaba kept is exactly the type object Typebot sent (undefined parts dropped by JSON).
    const row = await t.deps.db.kysely.selectFrom('messages').select(['type', 'content', 'wa_id']).where('channel_id', '=', p.channel_id).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ type: message.type, wa_id: to });
    expect(JSON.parse(row.content)[message.type]).toEqual(JSON.parse(JSON.stringify(message[message.type])));
    if (to === TOM) sentToTom.push(id);
    return id;
  }

  /**
   * getOrUploadMedia: the cache by URL without query, else safeKy.get(url), its Content-Type
   * (application/octet-stream when none), a FormData with `file` (a Blob of that type: no file
   * name, so "blob"), `type` and `messaging_product`, ky.post to {dialog360BaseUrl}/media with the
   * key (timeout false) and .json<{id}>(); any failure answers null (the bubble goes by link).
   */
  async function getOrUploadMedia(url: string): Promise<string | null> {
    const key = url.split('?')[0]!;
    const cached = mediaCache.get(key);
    if (cached) return cached;
    const download = await fetch(url);
    const bytes = await download.arrayBuffer();
    const mimeType = download.headers.get('content-type') ?? 'application/octet-stream';
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: mimeType }));
    form.append('type', mimeType);
    form.append('messaging_product', 'whatsapp');
    const res = await fetch(`${t.baseUrl}/media`, { method: 'POST', headers: { 'D360-API-KEY': p.channel_api_key, accept: 'application/json' }, body: form });
    if (!res.ok) return null;
    const { id } = (await res.json()) as { id: string };
    mediaCache.set(key, id);
    return id;
  }

  /** The webhook requests that reached Typebot, and the value of one. */
  const deliveries = () => receiver.requests.filter((r) => r.url === WEBHOOK_PATH);
  const valueOf = (b: any) => b?.entry?.[0]?.changes?.[0]?.value;
  const inboundHook = (id: string) => receiver.waitForBody(`the webhook of inbound ${id}`, (bodies) => bodies.find((b) => valueOf(b)?.messages?.[0]?.id === id));

  /**
   * What handleProductionWebhookRequest does before anything is resumed: the 360dialog secret
   * (verifyWhatsAppWebhookSecret: the header equals the stored secret), parseWebhookBody (no
   * issue), then groupIncomingWebhookEntriesPerUser: per metadata.phone_number_id and `from`,
   * reactions skipped, contactName contacts[0].profile.name. Returns the groups.
   */
  function handledAsTypebot(raw: string, headers: http.IncomingHttpHeaders) {
    expect(headers[SECRET_HEADER]).toBe(WEBHOOK_SECRET);
    expect(parseWebhookBody(raw)).toEqual([]);
    const body = JSON.parse(raw) as Json;
    const groups = new Map<string, Map<string, { message: Json; contactName: string }[]>>();
    for (const { changes } of body.entry) {
      for (const change of changes) {
        for (const message of change.value.messages ?? []) {
          const id = change.value.metadata?.phone_number_id;
          if (!id || !message.from || message.type === 'reaction') continue;
          const byFrom = groups.get(id) ?? new Map();
          groups.set(id, byFrom);
          byFrom.set(message.from, [...(byFrom.get(message.from) ?? []), { message, contactName: change.value.contacts?.at(0)?.profile?.name ?? '' }]);
        }
      }
    }
    return groups;
  }

  /** One inbound message as resumeWhatsAppFlow gets it: grouped under this number and its sender, fresh enough. */
  function resumedMessage(id: string, from: string): Json {
    const req = deliveries().find((r) => valueOf(JSON.parse(r.body))?.messages?.[0]?.id === id)!;
    const groups = handledAsTypebot(req.body, req.headers);
    const entries = groups.get(phoneNumberId)?.get(from);
    expect(entries, `message ${id} grouped under ${phoneNumberId} / ${from}`).toHaveLength(1);
    const message = entries![0]!.message;
    // The session: `${WHATSAPP_SESSION_ID_PREFIX}${phoneNumberId}-${from_user_id || from}`. The
    // sandbox, like Meta since business-scoped user ids, gives from_user_id with `from`; the same
    // handler first renames a session `wa-<id>-<contacts[0].wa_id>` to `wa-<id>-<contacts[0].user_id>`
    // (when both are there), so the message lands in the session the rename made.
    const contact = JSON.parse(req.body).entry[0].changes[0].value.contacts[0] as Json;
    expect(contact.wa_id).toBe(from);
    expect(typeof message.from_user_id).toBe('string');
    expect(message.from_user_id).toBe(contact.user_id);
    expect(`wa-${phoneNumberId}-${message.from_user_id || message.from}`).toBe(`wa-${phoneNumberId}-${contact.user_id}`);
    // The reply goes to receivedMessages[0].from: the phone number.
    expect(message.from).toBe(from);
    // areMessagesTooOld: timestamp (seconds) within 3 minutes.
    expect(Number(message.timestamp) * 1000).toBeGreaterThan(Date.now() - 3 * 60 * 1000);
    // The typing indicator takes receivedMessages[0].id (and is skipped for 360dialog).
    expect(message.id).toBe(id);
    return message;
  }

  const userWrites = async (json: Json) => {
    const res = await t.post('/sandbox/v1/inbound', { headers: { 'D360-API-KEY': p.channel_api_key }, json });
    expect(res.status, res.text).toBe(200);
    return res.body.messages[0].id as string;
  };

  /** The user's phone uploads a file first (as the sandbox phone does) for a media message. */
  const phoneUploads = (name: string) => uploadSample(t, p.channel_api_key, name);

  beforeAll(async () => {
    receiver = await new Receiver().start();
    // The bubble media: each sample under /files/<name> with its type; one without a known type.
    mediaHost = http.createServer((req, res) => {
      const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/files\//, ''));
      const s = SAMPLES.find((x) => x.name === name);
      if (name === 'export.bin') return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(64, 1));
      if (!s) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': s.mime === 'audio/ogg' ? 'audio/ogg; codecs=opus' : s.mime }).end(s.data);
    });
    await new Promise<void>((r) => mediaHost.listen(0, '127.0.0.1', r));
    mediaBase = `http://127.0.0.1:${(mediaHost.address() as AddressInfo).port}/files`;
    t = await startReplayApp(kind);
    p = await t.tenant();
    phoneNumberId = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id;
    // Dialog360Webhook: the webhook URL, and the custom header name and value, set for the number.
    const hook = await t.post('/v1/configs/webhook', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { url: `${receiver.url}${WEBHOOK_PATH}`, headers: { [SECRET_HEADER]: WEBHOOK_SECRET } } });
    expect(hook.status, hook.text).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
    await new Promise<void>((r) => (mediaHost ? mediaHost.close(() => r()) : r()));
  });

  describe('a conversation (the webhook, then sendChatReplyToWhatsApp)', () => {
    it('the first message: secret header, a body the schema takes, grouped under metadata.phone_number_id and from, the contact name', async () => {
      const id = await userWrites({ from: TOM, name: 'Tom Martin', text: { body: 'Bonjour' } });
      await inboundHook(id);
      const message = resumedMessage(id, TOM);
      // convertWhatsAppMessageToTypebotMessage: text.body is the reply.
      expect(message).toMatchObject({ type: 'text', text: { body: 'Bonjour' }, from: TOM });
      const req = deliveries().find((r) => r.body.includes(id))!;
      const value = valueOf(JSON.parse(req.body));
      expect(value.contacts[0].profile.name).toBe('Tom Martin');
      // The newest handler also reads contacts[0].wa_id and user_id (the session rename above).
      expect(value.contacts[0].wa_id).toBe(TOM);
      expect(value.contacts[0].user_id).toEqual(expect.any(String));
      expect(req.method).toBe('POST');
    });

    it('bubbles (convertMessageToWhatsAppMessage): WhatsApp-markdown text, media by link, embeds as text with preview_url, a map embed as a location', async () => {
      // A rich-text bubble after convertRichTextToMarkdown(…, {flavour: "whatsapp"}).
      await sends(TOM, { type: 'text', text: { body: '*Bienvenue* chez _Le Bistrot_ ~fermé~ ouvert 🎉\n\nVoici notre carte :' } });
      // Image (http, not .gif, not .svg), audio and video (VideoBubbleContentType.URL) without the upload cache: {link}.
      await sends(TOM, { type: 'image', image: { link: `${mediaBase}/photo.jpg?v=2` } });
      await sends(TOM, { type: 'audio', audio: { link: `${mediaBase}/voice.ogg` } });
      await sends(TOM, { type: 'video', video: { link: `${mediaBase}/clip.mp4` } });
      // An embeddable video (YouTube) and an embed bubble: the URL as text with a preview.
      await sends(TOM, { type: 'text', text: { body: 'https://www.youtube.com/embed/dQw4w9WgXcQ', preview_url: true } });
      await sends(TOM, { type: 'text', text: { body: 'https://calendly.com/le-bistrot/table', preview_url: true } });
      // A map embed with ?q=lat,lng: the coordinates from q; name = name || q, address (none: undefined, dropped).
      const embed = new URL('https://www.google.com/maps?q=48.8584,2.2945').searchParams;
      const [lat, lng] = embed.get('q')!.split(',');
      const location = { type: 'location', location: { latitude: Number(lat), longitude: Number(lng), name: embed.get('name') || embed.get('q') || undefined, address: embed.get('address') || undefined } };
      expect(JSON.stringify(location)).toBe('{"type":"location","location":{"latitude":48.8584,"longitude":2.2945,"name":"48.8584,2.2945"}}');
      await sends(TOM, location);
    });

    it('getOrUploadMedia: the bubble file re-posted as a typed Blob named "blob", then sent by id (cached for the next bubble); an octet-stream file falls back to its link', async () => {
      const image = await getOrUploadMedia(`${mediaBase}/photo.jpg?v=2`);
      const video = await getOrUploadMedia(`${mediaBase}/clip.mp4`);
      // Served as "audio/ogg; codecs=opus": that text is both the part's type and the `type` field.
      const audio = await getOrUploadMedia(`${mediaBase}/voice.ogg`);
      for (const id of [image, video, audio]) expect(id).toMatch(/^\d+$/);
      const info = await t.request('GET', `/${audio}`, { headers: { 'D360-API-KEY': p.channel_api_key } });
      expect(info.body).toMatchObject({ id: audio, mime_type: 'audio/ogg', sha256: sha256(SAMPLES.find((s) => s.name === 'voice.ogg')!.data) });
      await sends(TOM, { type: 'image', image: { id: image } });
      await sends(TOM, { type: 'video', video: { id: video } });
      await sends(TOM, { type: 'audio', audio: { id: audio } });
      // The next bubble with the same URL (another query) takes the cached id, with no upload.
      expect(await getOrUploadMedia(`${mediaBase}/photo.jpg?v=3`)).toBe(image);
      await sends(TOM, { type: 'image', image: { id: image } });
      // A file served as application/octet-stream: no media type WhatsApp takes, so the upload is
      // refused (as Meta refuses it) and getOrUploadMedia answers null: the bubble goes by link.
      expect(await getOrUploadMedia(`${mediaBase}/export.bin`)).toBeNull();
    });

    it('a single choice (convertInputToWhatsAppMessages): reply buttons three per message, titles cut to 20 and made unique, the last bubble (≤ 1024 code points) as body, then "―"', async () => {
      // The text bubble before the input is its body (isLastMessageIncludedInInput): emoji and
      // letters, cut to 1024 code points (more UTF-16 units than that), which is what the limit counts.
      const lastMessageText = '🍽️'.repeat(150) + 'Que souhaitez-vous faire ? '.repeat(31);
      expect(Array.from(lastMessageText).length).toBeGreaterThan(1024);
      const items = [
        { id: 'cbt7k2v0a000108l4f0h1a2b3', content: 'Réserver une table ce soir' },
        { id: 'cbt7k2v0a000208l4f0h1a2b3', content: 'Réserver une table demain' },
        { id: 'cbt7k2v0a000308l4f0h1a2b3', content: 'Commander' },
        { id: 'cbt7k2v0a000408l4f0h1a2b3', content: 'Horaires' },
        { id: 'cbt7k2v0a000508l4f0h1a2b3', content: 'Parler à un membre de l’équipe' },
      ];
      const groups: (typeof items)[] = [];
      items.forEach((item, i) => (i % GROUP_SIZE ? groups.at(-1)!.push(item) : groups.push([item])));
      const messages = groups.map((group, idx) => {
        const titles = uniqueButtonTitles(group.map((x) => x.content));
        return {
          type: 'interactive',
          interactive: {
            type: 'button',
            body: { text: truncateBody(idx === 0 ? lastMessageText || NO_BODY : NO_BODY) },
            action: { buttons: group.map((item, i) => ({ type: 'reply', reply: { id: item.id, title: titles[i] } })) },
          },
        };
      });
      // The restated rule gives what Typebot's own tests expect of it: 18 characters and "..",
      // and a repeated prefix numbered within 20.
      expect(messages[0]!.interactive.action.buttons.map((b) => b.reply.title)).toEqual(['Réserver une table..', 'Réserver une t (1)..', 'Commander']);
      expect(messages[1]!.interactive.action.buttons.map((b) => b.reply.title)).toEqual(['Horaires', 'Parler à un membre..']);
      expect(Array.from(messages[0]!.interactive.body.text)).toHaveLength(1024);
      for (const m of messages) await sends(TOM, m);
      choiceButtons = messages[0]!;
      // A multiple choice: one text, the bubble's text then a numbered list.
      await sends(TOM, { type: 'text', text: { body: `Vos allergies ?\n\n${['Gluten', 'Lactose', 'Aucune'].map((c, i) => `${i + 1}. ${c}`).join('\n')}` } });
    });

    it('picture choice and cards: an image header (by link or uploaded id), a "*title*\\n\\ndescription" body, one "Select" button or up to three path buttons', async () => {
      const pizza = await getOrUploadMedia(`${mediaBase}/photo.jpg`);
      // Single picture choice, with the upload cache: header {type: image, image: {id}}, and the
      // settings' whatsAppPictureChoiceSelectLabel ("Select" here) as the only button.
      await sends(TOM, {
        type: 'interactive',
        interactive: { type: 'button', header: { type: 'image', image: { id: pizza } }, body: { text: '*Margherita*\n\nTomate, mozzarella, basilic' }, action: { buttons: [{ type: 'reply', reply: { id: 'pic1', title: 'Select' } }] } },
      });
      // Without the cache: the picture by link.
      await sends(TOM, {
        type: 'interactive',
        interactive: { type: 'button', header: { type: 'image', image: { link: `${mediaBase}/chart.png` } }, body: { text: '*Reine*' }, action: { buttons: [{ type: 'reply', reply: { id: 'pic2', title: 'Select' } }] } },
      });
      // Multiple picture choice: the image, then "1. *title*\n\ndescription".
      await sends(TOM, { type: 'image', image: { id: pizza } });
      await sends(TOM, { type: 'text', text: { body: '1. *Margherita*\n\nTomate, mozzarella, basilic' } });
      // Cards: (item.paths ?? []).slice(0, 3), titles made unique, path.text ?? "".
      const paths = ['Voir le menu du jour', 'Voir le menu enfant', 'Réserver', 'Appeler'].map((text, i) => ({ id: `path${i}`, text }));
      const kept = paths.slice(0, 3);
      const titles = uniqueButtonTitles(kept.map((x) => x.text));
      expect(titles).toEqual(['Voir le menu du jour', 'Voir le menu enfant', 'Réserver']);
      await sends(TOM, {
        type: 'interactive',
        interactive: {
          type: 'button',
          header: { type: 'image', image: { link: `${mediaBase}/photo.jpg` } },
          body: { text: '*Le Bistrot*\n\nCuisine de saison' },
          action: { buttons: kept.map((x, i) => ({ type: 'reply', reply: { id: x.id, title: titles[i] } })) },
        },
      });
    });

    it('a card or picture without title and description has no body (body: isEmpty ? undefined): refused as Meta refuses it, and Typebot logs the answer', async () => {
      const res = await sendWhatsAppMessage(TOM, {
        type: 'interactive',
        interactive: { type: 'button', header: { type: 'image', image: { link: `${mediaBase}/photo.jpg` } }, body: undefined, action: { buttons: [{ type: 'reply', reply: { id: 'p0', title: 'Go' } }] } },
      });
      // ky's HTTPError: sendChatReplyToWhatsApp logs err.response.status and await err.response.text().
      expect(res.status).toBe(400);
      expect(res.body.error.error_data.details).toBe('interactive.body: is required');
    });

    it('replies: button_reply and list_reply (id as replyId, title as text), a template quick reply, location, contacts; a reaction parses and is skipped', async () => {
      const button = choiceButtons.interactive.action.buttons[1];
      const cases: [Json, (m: Json) => void][] = [
        [{ type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: button.reply.id, title: button.reply.title } } }, (m) => expect([m.interactive.type, m.interactive.button_reply.id, m.interactive.button_reply.title]).toEqual(['button_reply', button.reply.id, button.reply.title])],
        [{ type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'row-2', title: 'Dessert', description: 'Tarte' } } }, (m) => expect([m.interactive.list_reply.id, m.interactive.list_reply.title]).toEqual(['row-2', 'Dessert'])],
        [{ type: 'button', button: { text: 'Oui', payload: 'YES' } }, (m) => expect(m.button.text).toBe('Oui')],
        // `${latitude}, ${longitude}`: numbers.
        [{ type: 'location', location: { latitude: 48.8566, longitude: 2.3522, name: 'Paris' } }, (m) => expect(`${m.location.latitude}, ${m.location.longitude}`).toBe('48.8566, 2.3522')],
        [{ type: 'contacts', contacts: [{ name: { formatted_name: 'Léa Roux' }, phones: [{ phone: '+33 6 12 34 56 02', type: 'CELL', wa_id: LEA }] }] }, (m) => expect(m.contacts[0].name.formatted_name).toBe('Léa Roux')],
      ];
      for (const [json, reads] of cases) {
        const id = await userWrites({ from: TOM, ...json });
        await inboundHook(id);
        reads(resumedMessage(id, TOM));
      }
      // A reaction: the schema takes it (emoji optional), groupIncomingWebhookEntriesPerUser skips it.
      const reaction = await userWrites({ from: TOM, type: 'reaction', reaction: { message_id: sentToTom[0], emoji: '👍' } });
      const body = await inboundHook(reaction);
      const req = deliveries().find((r) => r.body.includes(reaction))!;
      expect(handledAsTypebot(req.body, req.headers).size).toBe(0);
      expect(valueOf(body).messages[0].reaction.emoji).toBe('👍');
    });

    it('media replies: id and mime_type for each kind; downloadMedia appends the url\'s path to its base URL; a caption that looks like a file name is dropped', async () => {
      const cases: [string, string, Json][] = [
        ['image', 'photo.jpg', { caption: 'Ma réservation' }],
        ['video', 'clip.mp4', { caption: 'La vidéo' }],
        ['audio', 'voice.ogg', { voice: true }],
        ['sticker', 'static.webp', {}],
        ['document', 'invoice.pdf', { filename: 'facture-7.pdf', caption: 'facture-7.pdf' }],
        ['document', 'notes.txt', { filename: 'notes.txt', caption: 'Mes allergies, voir le fichier' }],
      ];
      for (const [type, name, extra] of cases) {
        const up = await phoneUploads(name);
        const id = await userWrites({ from: TOM, type, [type]: { id: up.id, ...extra } });
        await inboundHook(id);
        const m = resumedMessage(id, TOM);
        const media = m[type] as Json;
        expect(media.id).toBe(up.id);
        // getExtensionFromMimeType: the type before any ";", lower case, looked up.
        expect(media.mime_type.split(';')[0].trim().toLowerCase()).toBe(up.sample.mime);
        // The private URL /api/typebots/{id}/whatsapp/media/{mediaId}.{ext}: handleGetWhatsAppMedia
        // takes mediaId.split(".")[0], so an id must hold no dot.
        expect(`${media.id}.pdf`.split('.')[0]).toBe(up.id);
        // A document caption is kept unless it looks like a file name.
        if (type === 'document') {
          const looksLikeFilename = /^[\w,\s-]+\.[A-Za-z0-9]{1,10}$/.test(media.caption);
          expect(looksLikeFilename).toBe(name === 'invoice.pdf');
        }
        // downloadMedia (360dialog): GET {base}/{mediaId} → {url, mime_type}; then GET
        // {base}{url's pathname + search}, both with D360-API-KEY.
        const meta = await fetch(`${t.baseUrl}/${media.id}`, { headers: { 'D360-API-KEY': p.channel_api_key } });
        expect(meta.status).toBe(200);
        const { url, mime_type } = (await meta.json()) as { url: string; mime_type: string };
        expect(mime_type).toBe(up.sample.mime);
        const file = await fetch(`${t.baseUrl}${new URL(url).pathname}${new URL(url).search}`, { headers: { 'D360-API-KEY': p.channel_api_key } });
        expect(file.status).toBe(200);
        expect(Buffer.from(await file.arrayBuffer()).equals(up.sample.data)).toBe(true);
      }
    });
  });

  describe('outside the 24-hour window, statuses and template reviews', () => {
    it('handleStartWhatsAppPreview: the template {language: {code}, name} (no components) reaches a user who never wrote; a session message to them fails with an error Typebot forwards', async () => {
      // Through the Meta branch, mapped: /v21.0/<preview phone number id>/messages → /messages.
      const template = await sends(LEA, { type: 'template', template: { language: { code: 'en_US' }, name: 'hello_world' } });
      expect(template).toMatch(WAMID);
      const text = await sends(LEA, { type: 'text', text: { body: 'Bonjour Léa' } });
      const failed = await receiver.waitForBody(`the failed status of ${text}`, (bodies) => bodies.find((b) => valueOf(b)?.statuses?.[0]?.id === text && valueOf(b).statuses[0].status === 'failed'));
      const req = deliveries().find((r) => valueOf(JSON.parse(r.body))?.statuses?.some((x: Json) => x.id === text && x.status === 'failed'))!;
      expect(handledAsTypebot(req.body, req.headers).size).toBe(0);
      const status = valueOf(failed).statuses[0];
      // forwardWhatsAppWebhooks isFailedStatus: status "failed" or errors; extractErrorsFromEntry
      // reads value.errors (none here: the failure is the status's own).
      expect(status.status === 'failed' || (status.errors?.length ?? 0) > 0).toBe(true);
      expect(status.errors[0]).toMatchObject({ code: 131047, title: expect.any(String), error_data: { details: expect.any(String) } });
      expect(valueOf(failed).errors).toBeUndefined();
    });

    it('a marketing template (created by the 360dialog user) gets statuses whose conversation.origin.type is "marketing" (isMarketingStatus)', async () => {
      const create = await t.post('/message_templates', {
        headers: { 'D360-API-KEY': p.channel_api_key },
        json: { name: 'bistrot_menu_semaine', category: 'MARKETING', language: 'fr', components: [{ type: 'BODY', text: 'Découvrez le menu de la semaine au Bistrot.' }] },
      });
      expect(create.status, create.text).toBe(200);
      await waitUntil('the template approved', async () => (await t.get('/message_templates', { headers: { 'D360-API-KEY': p.channel_api_key }, query: { name: 'bistrot_menu_semaine' } })).body.data?.[0]?.status === 'APPROVED');
      const id = await sends(LEA, { type: 'template', template: { language: { code: 'fr' }, name: 'bistrot_menu_semaine' } });
      const sent = await receiver.waitForBody(`the sent status of ${id}`, (bodies) => bodies.find((b) => valueOf(b)?.statuses?.[0]?.id === id && valueOf(b).statuses[0].status === 'sent'));
      expect(['marketing', 'marketing_lite']).toContain(valueOf(sent).statuses[0].conversation.origin.type);
    });

    it('every delivery — messages, sent/delivered/read of each bubble, failures, template reviews — carried the secret and passed the schema', async () => {
      const statuses = () => deliveries().flatMap((r) => (valueOf(JSON.parse(r.body))?.statuses ?? []) as Json[]);
      await waitUntil('sent, delivered and read of every bubble sent to Tom', () => sentToTom.every((id) => ['sent', 'delivered', 'read'].every((s) => statuses().some((x) => x.id === id && x.status === s))));
      await receiver.waitForBody('the review of bistrot_menu_semaine', (bodies) => bodies.find((b) => b.entry?.[0]?.changes?.[0]?.field === 'message_template_status_update' && valueOf(b).message_template_name === 'bistrot_menu_semaine'));
      const fields = new Set<string>();
      for (const r of deliveries()) {
        // A body the schema refused would be answered 400 and retried by openwaba: none may be.
        expect(r.headers[SECRET_HEADER]).toBe(WEBHOOK_SECRET);
        expect(parseWebhookBody(r.body), r.body).toEqual([]);
        const body = JSON.parse(r.body) as Json;
        fields.add(body.entry[0].changes[0].field);
      }
      expect([...fields].sort()).toEqual(['message_template_status_update', 'messages']);
      // None of Tom's bubbles failed: nothing for the errorStatuses forwarding.
      expect(statuses().filter((s) => sentToTom.includes(s.id) && (s.status === 'failed' || s.errors))).toEqual([]);
      // A template review has no metadata (optional in the schema since it stopped being required).
      const review = deliveries().map((r) => JSON.parse(r.body)).find((b) => b.entry[0].changes[0].field === 'message_template_status_update');
      expect(valueOf(review).metadata).toBeUndefined();
    });

    it('the transcription refuses what the zod schema refuses (openwaba bodies altered): no `from`, a null caption, an order, a status without timestamp, a code as text', async () => {
      const bodies = deliveries().map((r) => JSON.parse(r.body) as Json);
      const text = bodies.find((b) => valueOf(b)?.messages?.[0]?.type === 'text')!;
      const image = bodies.find((b) => valueOf(b)?.messages?.[0]?.type === 'image')!;
      const status = bodies.find((b) => valueOf(b)?.statuses?.[0]?.status === 'failed')!;
      const altered = (body: Json, change: (value: Json) => void) => {
        const copy = structuredClone(body);
        change(valueOf(copy));
        return parseWebhookBody(JSON.stringify(copy));
      };
      // A phoneless user (only from_user_id), as Meta sends for users who hide their number.
      expect(altered(text, (v) => delete v.messages[0].from)).toEqual(['body.entry[0].changes[0].value.messages[0].from: expected string, got undefined']);
      expect(altered(image, (v) => (v.messages[0].image.caption = null))).toEqual(['body.entry[0].changes[0].value.messages[0].image.caption: expected string, got null']);
      expect(altered(text, (v) => (v.messages[0].type = 'order'))).toEqual(['body.entry[0].changes[0].value.messages[0].type: invalid discriminator value "order"']);
      expect(altered(status, (v) => delete v.statuses[0].timestamp)).toEqual(['body.entry[0].changes[0].value.statuses[0].timestamp: expected string, got undefined']);
      expect(altered(status, (v) => (v.statuses[0].errors[0].code = '131047'))).toEqual(['body.entry[0].changes[0].value.statuses[0].errors[0].code: expected number, got string']);
      expect(parseWebhookBody('[]')).toEqual(['body: expected record, got array']);
    });
  });
});
