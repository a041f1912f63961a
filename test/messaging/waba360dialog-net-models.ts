// WABA360Dialog.NET's messaging clients (C#, yuenkik6/WABA360Dialog.NET in the code index) as the
// replays in client-waba360dialog-net-onprem.test.ts and client-waba360dialog-net-cloud.test.ts
// see them: the JSON their Newtonsoft.Json settings write, and the models their answers and
// webhooks are read into. .NET cannot run here, so `newtonsoft` below reads a body the way
// JsonConvert.DeserializeObject<T> reads it into the model classes.
//
// Writing (Common/Helpers/JsonHelper.cs, commit 0b1e666b): SnakeCaseNamingStrategy with
// OverrideSpecifiedNames = false (every model names its properties with [JsonProperty]), nulls
// written unless the class says [JsonObject(ItemNullValueHandling = NullValueHandling.Ignore)]
// (MessageObject, MediaObject, TemplateMessageObject, ParameterObject, InteractiveObject,
// HeaderObject, ActionObject, SectionObject, RowsObject, LocationObject, ContactObject,
// CreateTemplateObject, TemplateComponentObject: their nulls are left out; TextObject,
// ButtonObject, ReplyObject and the request classes write theirs). Enums go through
// Common/Converters/Base/EnumConverter.cs: a lookup table per enum, written as its string.
//
// Reading (JsonHelper.TryDeserializeJson: JsonConvert.DeserializeObject<T>(json), default
// settings): properties matched by their [JsonProperty] names, unknown keys ignored. What throws
// (and makes the client see no answer at all: TryDeserializeJson returns false, the call throws
// ApiClientException even on a 2xx): null into a non-nullable value type (bool, int, long,
// double); an enum's converter given null (JToken.Value<string>() is null and the dictionary
// lookup throws) or an object; an array where the model has a class, an object where it has a
// list; an object into a string property; a number that is not whole into an int or long.
// A string the enum's table lacks is the enum's 0 (`unknown`, or its first member): no throw.
import { expect } from 'vitest';
import type { HttpResponse, TestApp } from '../helpers/app.ts';

/** Newtonsoft's view of one property of a model class. */
export type Kind =
  | 'string'
  | 'bool'
  | 'bool?'
  | 'int'
  | 'int?'
  | 'long'
  | 'double'
  /** An enum with one of the client's converters: a string (or number); null throws. */
  | 'enum'
  /** Dictionary<string, string>: an object of scalar values, or null. */
  | 'dict'
  /** JObject: an object, or null. */
  | 'jobject'
  /** `object`: anything. */
  | 'any'
  /** IEnumerable<string>: an array of scalars, or null. */
  | 'strings';
export interface Model {
  [property: string]: Kind | Model | [Model];
}

const isScalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const whole = (v: unknown) => (typeof v === 'number' ? Number.isInteger(v) : typeof v === 'string' && /^-?\d+$/.test(v));

/**
 * JsonConvert.DeserializeObject<T>(json) as far as the model's properties go. Returns the
 * problems (each one an exception in .NET); empty: the body reads into the model.
 */
export function newtonsoft(value: unknown, model: Model, path = '$'): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: a class got ${JSON.stringify(value)?.slice(0, 80)}`];
  const o = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const [k, kind] of Object.entries(model)) {
    const v = o[k];
    const at = `${path}.${k}`;
    if (v === undefined) continue;
    if (Array.isArray(kind)) {
      if (v === null) continue;
      if (!Array.isArray(v)) problems.push(`${at}: a list got ${JSON.stringify(v).slice(0, 80)}`);
      else v.forEach((x, i) => problems.push(...newtonsoft(x, kind[0]!, `${at}[${i}]`)));
      continue;
    }
    if (typeof kind === 'object') {
      problems.push(...newtonsoft(v, kind, at));
      continue;
    }
    const bad = (what: string) => problems.push(`${at}: ${what} got ${JSON.stringify(v)?.slice(0, 80)}`);
    switch (kind) {
      case 'string':
        if (v !== null && !isScalar(v)) bad('a string');
        break;
      case 'bool':
      case 'bool?':
        if (v === null ? kind === 'bool' : typeof v !== 'boolean' && v !== 'true' && v !== 'false') bad(kind);
        break;
      case 'int':
      case 'int?':
      case 'long':
        if (v === null ? kind !== 'int?' : !whole(v)) bad(kind);
        break;
      case 'double':
        if (v === null || !Number.isFinite(typeof v === 'string' ? Number(v) : v)) bad('a double');
        break;
      case 'enum':
        if (typeof v !== 'string' && typeof v !== 'number') bad('the enum converter');
        break;
      case 'dict':
        if (v !== null && (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => x !== null && !isScalar(x)))) bad('Dictionary<string,string>');
        break;
      case 'jobject':
        if (v !== null && (typeof v !== 'object' || Array.isArray(v))) bad('JObject');
        break;
      case 'strings':
        if (v !== null && (!Array.isArray(v) || v.some((x) => x !== null && !isScalar(x)))) bad('IEnumerable<string>');
        break;
      case 'any':
        break;
    }
  }
  return problems;
}

// ---- Answers (ApiClient/Payloads/*.cs, Cloud/ApiClient/Payloads/Responses/*.cs) ----

/** Models/Common/ErrorObject.cs. */
export const ERROR_OBJECT: Model = { code: 'int', title: 'string', details: 'string', href: 'string' };
/** Models/ClientApiMeta.cs (commit 72c03ee5): success and http_code nullable. */
export const META: Model = { api_status: 'string', version: 'string', success: 'bool?', http_code: 'int?', developer_message: 'string' };
/** Base/ApiResponseBase.cs: every answer, and ErrorClientApiResponse (what a non-2xx is read into). */
export const BASE: Model = { errors: [ERROR_OBJECT], meta: META };

/** SendMessage.cs: SendMessageResponse (SendMessageContactResult, SendMessageResult). */
export const SEND: Model = { ...BASE, contacts: [{ input: 'string', wa_id: 'string' }], messages: [{ id: 'string' }] };
/** Cloud SendMessageResponse: the same plus messaging_product (MessagingProduct, converter). */
export const CLOUD_SEND: Model = { ...SEND, messaging_product: 'enum' };
/** UploadMedia.cs (On-Premise): media[].id. */
export const UPLOAD_ONPREM: Model = { ...BASE, media: [{ id: 'string' }] };
/** Cloud UploadMediaResponse: id. */
export const UPLOAD_CLOUD: Model = { ...BASE, id: 'string' };
/** Cloud GetMediaInformationResponse: file_size is an int. */
export const MEDIA_INFO: Model = { ...BASE, url: 'string', mime_type: 'string', sha256: 'string', file_size: 'int', id: 'string', messaging_product: 'enum' };
/** GetWebhookUrl.cs / SetWebhookUrl.cs (and their Cloud twins). */
export const WEBHOOK_URL: Model = { ...BASE, url: 'string', headers: 'dict' };
/** CheckContacts.cs, Models/CheckContactResult.cs (status a plain string). */
export const CHECK_CONTACTS: Model = { ...BASE, contacts: [{ input: 'string', wa_id: 'string', status: 'string' }] };
/** CheckPhoneNumber.cs. */
export const PHONE_NUMBER: Model = { ...BASE, phone_number: 'string' };
/** HealthCheck.cs: health is a JObject. */
export const HEALTH: Model = { ...BASE, health: 'jobject' };
/** TemplateObjects/CreateTemplateObject.cs (commit 0691f249): TemplateComponentObject, TemplateButtonObject. */
export const TEMPLATE_COMPONENT: Model = {
  type: 'enum',
  format: 'string',
  text: 'string',
  example: 'any',
  add_security_recommendation: 'bool?',
  code_expiration_minutes: 'int?',
  buttons: [{ type: 'enum', url: 'string', text: 'string', example: 'any', phone_number: 'string', otp_type: 'string', autofill_text: 'string', package_name: 'string', signature_hash: 'string' }],
};
/** TemplateObjects/WhatsAppBusinessApiTemplate.cs (status TemplateStatus, language WhatsAppLanguage, category TemplateCategory). */
export const WABA_TEMPLATE: Model = { name: 'string', status: 'enum', language: 'enum', category: 'enum', components: [TEMPLATE_COMPONENT], rejected_reason: 'string', namespace: 'string' };
/** GetTemplate.cs: count, limit, offset, total are ints; sort an IEnumerable<string>. */
export const TEMPLATES: Model = { ...BASE, count: 'int', filters: 'any', sort: 'strings', limit: 'int', offset: 'int', total: 'int', waba_templates: [WABA_TEMPLATE] };
/** CreateTemplate.cs: CreateTemplateResponse (language a LanguageObject class). */
export const CREATED_TEMPLATE: Model = { ...BASE, namespace: 'string', name: 'string', language: { code: 'enum', policy: 'string' }, components: [TEMPLATE_COMPONENT] };

// ---- Webhooks (Models/WABA360DialogWebhookPayload.cs, Models/WebhookObjects/*.cs) ----

const MEDIA: Model = {
  id: 'string',
  caption: 'string',
  filename: 'string',
  // MetadataObject: is-first-party-sticker is a non-nullable int.
  metadata: { 'android-app-store-link': 'string', emojis: 'strings', 'ios-app-store-link': 'string', 'is-first-party-sticker': 'int', 'sticker-pack-id': 'string', 'sticker-pack-name': 'string', 'sticker-pack-publisher': 'string' },
  mime_type: 'string',
  sha256: 'string',
};
/** ContactObjects/ContactObject.cs (commit 4e4c6023): name is a string, the lists are IEnumerable. */
const CONTACT_OBJECT: Model = {
  addresses: [{}],
  birthday: 'string',
  emails: [{}],
  name: 'string',
  org: {},
  phones: [{}],
  urls: [{}],
};
/**
 * WebhookMessageObject.cs (commit 4e4c6023; the version of 092175a3 lacks `contacts`): type is
 * MessageType (converter: unknown strings are `unknown`); location is read as a WebhookMediaObject;
 * `contacts` as ONE ContactObject; no property for sticker, button, reaction (ignored).
 */
export const WEBHOOK_MESSAGE: Model = {
  context: { from: 'string', id: 'string', referred_product: {}, mentions: 'strings', forwarded: 'bool?', frequently_forwarded: 'bool?' },
  from: 'string',
  id: 'string',
  identity: { acknowledged: 'string', created_timestamp: 'long', hash: 'string' },
  timestamp: 'string',
  type: 'enum',
  text: { body: 'string' },
  audio: MEDIA,
  document: MEDIA,
  image: MEDIA,
  location: MEDIA,
  video: MEDIA,
  voice: MEDIA,
  system: { body: 'string' },
  contacts: CONTACT_OBJECT,
  interactive: { type: 'enum', button_reply: { id: 'string', title: 'string' }, list_reply: { id: 'string', title: 'string', description: 'string' } },
};
/** WebhookMessageStatus.cs: conversation.expiration_timestamp a long, pricing.billable a bool. */
export const WEBHOOK_STATUS: Model = {
  id: 'string',
  recipient_id: 'string',
  status: 'enum',
  message: { recipient_id: 'string' },
  timestamp: 'string',
  type: 'string',
  errors: [ERROR_OBJECT],
  conversation: { id: 'string', expiration_timestamp: 'long', origin: { type: 'string' } },
  pricing: { pricing_model: 'string', billable: 'bool', category: 'string' },
};
/** WebhookContactObject.cs, ProfileObject.cs. */
export const WEBHOOK_CONTACT: Model = { profile: { name: 'string' }, input: 'string', wa_id: 'string', status: 'string' };
/** WABA360DialogWebhookPayload: the On-Premise webhook (top-level arrays). */
export const ONPREM_WEBHOOK: Model = { contacts: [WEBHOOK_CONTACT], messages: [WEBHOOK_MESSAGE], statuses: [WEBHOOK_STATUS], errors: [ERROR_OBJECT] };
/** Cloud WebhookNotification → entry[] → changes[] → value (the On-Premise objects inside). */
export const CLOUD_WEBHOOK: Model = {
  object: 'string',
  entry: [
    {
      id: 'string',
      changes: [
        {
          field: 'string',
          value: { messaging_product: 'string', metadata: { display_phone_number: 'string', phone_number_id: 'string' }, ...ONPREM_WEBHOOK },
        },
      ],
    },
  ],
};


/**
 * WABA360Dialog.NET's MakeHttpRequestAsync against a test app: BasePath + MethodName (+ the query
 * without null values), D360-API-KEY, and on every non-GET the request's HttpContent (JSON as
 * "application/json", or a binary body with its type); the answer with what reading it into
 * `model` fails on. `ok`: a 2xx that deserializes into the model. `refused`: the client throws
 * ApiClientException with the body read as ErrorClientApiResponse.
 */
export function dotnetCalls(app: () => { t: TestApp; apiKey: string }) {
  async function call(method: string, methodName: string, model: Model, opts: { query?: Record<string, string | null>; body?: string | Buffer; contentType?: string; key?: string } = {}) {
    const { t, apiKey } = app();
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== null) query[k] = v;
    const headers: Record<string, string> = { 'D360-API-KEY': opts.key ?? apiKey };
    if (method !== 'GET') headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await t.request(method, `/${methodName}`, { headers, query, ...(method !== 'GET' ? { raw: opts.body ?? '{}' } : {}) });
    const problems = typeof res.body === 'object' && res.body !== null ? newtonsoft(res.body, model) : [`not JSON: ${res.text.slice(0, 120)}`];
    return { res, problems };
  }
  function ok(r: { res: HttpResponse; problems: string[] }, status = 200) {
    expect(r.res.status, r.res.text).toBe(status);
    expect(r.problems, r.res.text).toEqual([]);
    return r.res.body;
  }
  function refused(r: { res: HttpResponse; problems: string[] }, status: number) {
    expect(r.res.status, r.res.text).toBe(status);
    expect(newtonsoft(r.res.body, BASE), r.res.text).toEqual([]);
    return r.res.body;
  }
  return { call, ok, refused };
}
