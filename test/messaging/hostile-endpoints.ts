// The messaging endpoints hostile-input.test.ts knows, with a valid body for each (the base the
// hostile variants start from) and which inputs each could accept. The test takes the endpoint
// list from the app's OpenAPI document; this list says how to talk to each, and a listed endpoint
// missing from the document fails the test.
import { ApiError } from '../../src/errors.ts';
import { validateCloudSend, validateV1Send } from '../../src/messaging/validate/message.ts';
import { parseAppendBody, parsePatchBody, parseSetBody } from '../../src/messaging/multi-webhook.ts';
import { validateMarketingSend } from '../../src/messaging/marketing-messages.ts';
import { parseAccountUpdate } from '../../src/messaging/account-update.ts';
import { parseBusinessPublicKey } from '../../src/messaging/flows/business-key.ts';
import { parseBlockBody } from '../../src/messaging/blocklist.ts';
import { parseCreateGroup } from '../../src/messaging/groups.ts';
import { parseCommerceSettings, parseRegister, parseRequestCode, parseVerifyCode } from '../../src/messaging/routes/phone-settings.ts';
import { parseCallRequest } from '../../src/messaging/call-request.ts';
import { parseCallingSettings } from '../../src/messaging/calling-settings.ts';
import { parseAutomationUpdate } from '../../src/messaging/conversational-automation.ts';
import { parseComplianceInfo } from '../../src/messaging/compliance-info.ts';
import { parseTemplateEdit } from '../../src/messaging/templates/validate.ts';
import { parseFlowUpdate, parseNewFlow } from '../../src/messaging/flows/input.ts';
import { MAX_FLOW_JSON_BYTES } from '../../src/messaging/flows/flow-json.ts';
import { overrideInput } from '../../src/messaging/webhook-override.ts';
import { parseMetaMigration } from '../../src/messaging/templates/migrate.ts';
import { createClient } from '../../src/services/clients.ts';
import { createChannel } from '../../src/services/channels.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';
import { sandboxPhoneNumber } from '../../src/services/bootstrap.ts';
import type { Deps } from '../../src/deps.ts';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { multipart, type HostileCase, type Part } from './hostile-bodies.ts';
import { MINIMAL_FLOW_JSON } from '../helpers/flows.ts';
import { uploadEndpoints } from './hostile-uploads.ts';
import { graphGapEndpoints } from './hostile-graph-gaps.ts';
import { appFlowEndpoints } from './hostile-app-flows.ts';
import { wabaEdgeEndpoints } from './hostile-waba-edges.ts';
import { addPhoneNumberEndpoints } from './hostile-add-phone-number.ts';
import { coexistenceEndpoints } from './hostile-coexistence.ts';
import { messageHistoryEndpoints } from './hostile-message-history.ts';
import { realClientEndpoints } from './hostile-real-clients.ts';
import { debugTokenEndpoints } from './hostile-debug-token.ts';
import { appSecretEndpoints } from './hostile-app-secret.ts';
import { paymentConfigurationEndpoints } from './hostile-payment-configurations.ts';
import { paymentEndpoints } from './hostile-payments.ts';
import { sandboxInboundKindEndpoints } from './hostile-sandbox-inbound-kinds.ts';
import { conversionEventEndpoints } from './hostile-conversion-events.ts';
import { officialBusinessAccountEndpoints } from './hostile-official-business-account.ts';
import { graphMeEndpoints } from './hostile-graph-me.ts';
import { sdkPathEndpoints } from './hostile-sdk-paths.ts';
import { FLOW_ID, FLOW_SCREEN, MARKETING_TEMPLATE, MEDIA_ID, TEMPLATE, TEMPLATE_COMPONENTS } from './send-fixtures.ts';
import { parseUserCallAnswer } from '../../src/messaging/sandbox-call-answer.ts';

/** 'message': 360dialog's newer services' error body `{"error":"<text>"}` (/multi_webhook). */
export type EndpointFlavour = 'cloud' | 'onpremise' | 'channel' | 'message';

export interface EndpointProfile {
  method: string;
  /** OpenAPI form: /messages/{message_id}. */
  path: string;
  /** 'channel': errors follow the channel's hosting type (/v1/configs/templates). */
  flavour: EndpointFlavour;
  body: 'json' | 'multipart' | 'raw' | 'none';
  /** Path parameters naming nothing that exists. */
  params?: Record<string, string>;
  /** A base query (hostile values replace one parameter at a time). */
  query?: Record<string, string>;
  /** Valid bodies: the base of the structural cases (the first) and of the mutations (all). */
  valid?: unknown[];
  /** Whether a parsed JSON body could be accepted; by default none is (answers must be 4xx). */
  mayAccept?: (body: unknown) => boolean;
  /** Hostile query values: 'either' where the endpoint ignores or tolerates them (GET lists). */
  queryExpect?: 'reject' | 'either';
  /**
   * Per query parameter: whether a hostile value (decoded, as the parameter receives it) may be
   * taken (2xx or 4xx); a value it refuses must answer 4xx. Parameters not named follow queryExpect.
   */
  queryAccepts?: Record<string, (value: string) => boolean>;
  /** An answer that is not JSON (a file download). */
  binary?: boolean;
  /** Creates what other cases look up (templates), or changes the WABA (account_update restrictions): sent on a channel (and WABA) of its own. */
  isolated?: boolean;
  /** Also takes form-encoded and multipart bodies (as Meta's endpoint does): the valid body sent as a form may be accepted. */
  forms?: boolean;
  /** Keys Meta's error body of this endpoint carries beside `error` (block_users: the user lists of a partial failure). */
  errorKeys?: string[];
  /** Hostile requests of this endpoint's own, besides the generic ones (a multipart upload's forms). */
  cases?: () => HostileCase[];
  /**
   * Run once before the storm with the key the endpoint's cases use: makes what the valid bodies
   * need (a user who wrote, a template, a QR code, a flow) and returns what of the profile changes
   * with it (valid bodies too, where they name what was made).
   */
  prepare?: (request: PrepareRequest, env: PrepareEnv) => Promise<Partial<Pick<EndpointProfile, 'params' | 'query' | 'valid'>> | void>;
}

export type PrepareRequest = (method: string, path: string, json?: unknown) => Promise<{ status: number; body: any }>;
/** What `prepare` may use besides its key: the app's services, the key's partner, requests with another key. */
export interface PrepareEnv {
  deps: Deps;
  partnerId: string;
  requestAs: (apiKey: string) => PrepareRequest;
}

export const MISSING_MEDIA_ID = '900000000000777';
export const SANDBOX_USER = '4917600000999';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const keysWithin = (v: unknown, allowed: string[]) => isObj(v) && Object.keys(v).every((k) => allowed.includes(k));

/** The validator's verdict: a body it refuses must be refused over HTTP; one it takes may still fail later checks. */
export const validatedBy = (validate: (b: unknown) => unknown) => (body: unknown) => {
  try {
    validate(body);
    return true;
  } catch (e) {
    return !(e instanceof ApiError);
  }
};

const link = (ext: string) => `https://cdn.example.com/file.${ext}`;
const bodyText = { text: 'Choose' };

/** One valid type object per message type (and per interactive type). */
export const MESSAGE_TYPES: [string, unknown][] = [
  ['text', { body: 'hello', preview_url: false }],
  ['image', { id: MEDIA_ID, caption: 'a picture' }],
  ['audio', { link: link('ogg'), voice: true }],
  ['video', { link: link('mp4'), caption: 'a film' }],
  ['document', { link: link('pdf'), filename: 'report.pdf' }],
  ['sticker', { link: link('webp') }],
  ['location', { latitude: 52.52, longitude: 13.405, name: 'Berlin', address: 'Unter den Linden 1' }],
  ['contacts', [{ name: { formatted_name: 'Ada Lovelace', first_name: 'Ada' }, phones: [{ phone: '+44 20 7946 0000', type: 'WORK' }], emails: [{ email: 'ada@example.com' }], birthday: '1815-12-10' }]],
  ['interactive', { type: 'button', header: { type: 'image', image: { id: MEDIA_ID } }, body: bodyText, footer: { text: 'f' }, action: { buttons: [{ type: 'reply', reply: { id: 'y', title: 'Yes' } }, { type: 'reply', reply: { id: 'n', title: 'No' } }] } }],
  ['interactive', { type: 'list', body: bodyText, action: { button: 'Menu', sections: [{ title: 'A', rows: [{ id: 'a1', title: 'One', description: 'first' }] }] } }],
  ['interactive', { type: 'cta_url', body: bodyText, action: { name: 'cta_url', parameters: { display_text: 'Open', url: 'https://example.com' } } }],
  ['interactive', { type: 'flow', body: bodyText, action: { name: 'flow', parameters: { flow_message_version: '3', flow_id: FLOW_ID, flow_cta: 'Start', flow_action: 'navigate', flow_action_payload: { screen: FLOW_SCREEN } } } }],
  ['interactive', { type: 'product', action: { catalog_id: 'cat', product_retailer_id: 'sku1' } }],
  ['interactive', { type: 'product_list', header: { type: 'text', text: 'Picks' }, body: bodyText, action: { catalog_id: 'cat', sections: [{ title: 'A', product_items: [{ product_retailer_id: 'sku1' }] }] } }],
  ['interactive', { type: 'location_request_message', body: bodyText, action: { name: 'send_location' } }],
  [
    'interactive',
    {
      type: 'carousel',
      body: bodyText,
      action: {
        cards: [0, 1].map((i) => ({
          card_index: i,
          type: 'cta_url',
          header: { type: 'image', image: i === 0 ? { id: MEDIA_ID } : { link: link('jpg') } },
          body: { text: `Card ${i}` },
          action: { name: 'cta_url', parameters: { display_text: 'Open', url: 'https://example.com' } },
        })),
      },
    },
  ],
  ['interactive', { type: 'carousel', body: bodyText, action: { cards: [0, 1].map((i) => ({ card_index: i, header: { type: 'video', video: { link: link('mp4') } }, action: { buttons: [{ type: 'quick_reply', quick_reply: { id: `q${i}`, title: 'More' } }] } })) } }],
  ['interactive', { type: 'voice_call', body: bodyText, action: { name: 'voice_call', parameters: { display_text: 'Call us', ttl_minutes: 60, payload: 'p' } } }],
  ['interactive', { type: 'call_permission_request', body: bodyText, action: { name: 'call_permission_request' } }],
  ['reaction', { message_id: 'wamid.HBgLNDkxNzYxMjM0NTY3OBUCABIYFjNFQjBDMEE1RjI2', emoji: '👍' }],
];

const TO = '4917612345678';

export function cloudMessages(): unknown[] {
  return [
    ...MESSAGE_TYPES.map(([type, value]) => ({ messaging_product: 'whatsapp', recipient_type: 'individual', to: TO, type, [type]: value })),
    { messaging_product: 'whatsapp', to: TO, type: 'template', template: { name: TEMPLATE, language: { code: 'en_US' }, components: TEMPLATE_COMPONENTS } },
    { messaging_product: 'whatsapp', to: TO, type: 'text', context: { message_id: 'wamid.abc' }, biz_opaque_callback_data: 'x', text: { body: 'reply' } },
    { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.missing', typing_indicator: { type: 'text' } },
  ];
}

/** MM Lite sends (POST /marketing_messages): the MARKETING template, with and without the MM Lite fields. */
export function marketingMessages(): unknown[] {
  const template = { name: MARKETING_TEMPLATE, language: { code: 'en_US', policy: 'deterministic' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }] }] };
  return [
    { messaging_product: 'whatsapp', recipient_type: 'individual', to: TO, type: 'template', template, message_activity_sharing: true },
    { messaging_product: 'whatsapp', to: TO, type: 'template', template, product_policy: 'STRICT', biz_opaque_callback_data: 'campaign-7' },
  ];
}

/** `namespace`: the channel's WABA's, which On-Premise template sends must name. */
export function onPremMessages(namespace: string): unknown[] {
  return [
    ...MESSAGE_TYPES.map(([type, value]) => ({ recipient_type: 'individual', to: TO, type, [type]: value, ...(type === 'text' ? { preview_url: true } : {}) })),
    { to: TO, type: 'template', template: { namespace, name: TEMPLATE, language: { policy: 'deterministic', code: 'en_US' }, components: TEMPLATE_COMPONENTS } },
    { to: TO, type: 'hsm', hsm: { namespace, element_name: TEMPLATE, language: { policy: 'deterministic', code: 'en_US' }, localizable_params: [{ default: 'Ada' }] } },
    { to: TO, type: 'image', image: { link: link('png'), provider: { name: 'cdn' } } },
  ];
}

/** The sandbox's account_update control: each event, a restriction with and without its expiration. */
function accountUpdates(): unknown[] {
  const tomorrow = new Date(Date.now() + 24 * 3600_000).toISOString().replace(/\.\d{3}Z$/, '+0000');
  return [
    { event: 'ACCOUNT_VIOLATION', violation_info: { violation_type: 'SCAM' } },
    {
      event: 'ACCOUNT_RESTRICTION',
      restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: tomorrow }, { restriction_type: 'RESTRICTED_ADD_PHONE_NUMBER_ACTION' }],
      violation_info: { violation_type: 'ADULT' },
    },
    { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'SCHEDULE_FOR_DISABLE', waba_ban_date: 'December 8, 2026' } },
  ];
}

/** A business public key for /whatsapp_business_encryption (2048-bit RSA, made once). */
let businessKey: string | undefined;
const businessPublicKey = () => (businessKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString());

const templateCreate = () => [
  { name: 'hostile_tpl', category: 'UTILITY', language: 'en_US', components: [{ type: 'BODY', text: 'Hello {{1}}, your order is ready', example: { body_text: [['Ann']] } }, { type: 'FOOTER', text: 'Thanks' }] },
];
const mayCreateTemplate = (b: unknown) => isObj(b) && typeof b.name === 'string' && b.category !== undefined && b.language !== undefined;

// ---- Graph edges of a number (block users, QR codes, commerce settings, registration) ----

/** The user who writes to the block_users cases' channel before the storm (Meta blocks only users who wrote in the last 24 hours). */
export const BLOCK_USER = '4917600000777';
/** Placeholders until `prepare` names the real ones (the test listing the endpoints does not prepare). */
const MISSING_QR_CODE = 'HOSTILEMISSING1';
const MISSING_TEMPLATE_ID = '900000000000778';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const text = (v: unknown, max: number) => typeof v === 'string' && v.length > 0 && [...v].length <= max && !LONE_SURROGATE.test(v);
/** A Graph parameter set as routes/graph-params.ts reads a body: an object, or none at all (no body, `null`). */
const graphBody = (b: unknown) => (b === undefined || b === null ? {} : isObj(b) ? b : undefined);
/** As validatedBy, for a route that reads its parameters through graphParams. */
export const graphValidatedBy = (parse: (p: Record<string, unknown>) => unknown) =>
  validatedBy((b) => {
    const p = graphBody(b);
    if (!p) throw new ApiError(400, 'not an object');
    return parse(p);
  });

/** POST /message_qrdls[/{code}]: prefilled_message of 1 to 140 characters, generate_qr_image SVG or PNG (any case) or none. */
const qrParamsOk = (b: unknown) => {
  const p = graphBody(b);
  const f = p?.generate_qr_image;
  return !!p && text(p.prefilled_message, 140) && (f === undefined || f === '' || (typeof f === 'string' && ['SVG', 'PNG'].includes(f.toUpperCase())));
};

const expectOk = (what: string, res: { status: number; body: any }) => {
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body;
};

/** A QR code of the channel, for the cases that name an existing one. */
const qrCode = async (request: PrepareRequest) =>
  ({ params: { code: expectOk('creating a QR code', await request('POST', '/message_qrdls', { prefilled_message: 'Hostile base', generate_qr_image: 'SVG' })).code as string } });

/** The id of a template of the key's WABA, by name. */
async function templateId(request: PrepareRequest, name: string): Promise<string> {
  const list = expectOk('listing the templates', await request('GET', `/message_templates?name=${name}&fields=id,name`));
  const id = (list.data as { id: string; name: string }[]).find((x) => x.name === name)?.id;
  if (!id) throw new Error(`no template ${name}: ${JSON.stringify(list).slice(0, 300)}`);
  return id;
}

/** India commerce compliance details (POST /business_compliance_info, /v1/settings/business/compliance_info). */
const complianceInfos = () => [
  {
    messaging_product: 'whatsapp',
    entity_name: 'Lucky Shrub',
    entity_type: 'PARTNERSHIP',
    is_registered: true,
    customer_care_details: { email: 'support@luckyshrub.com', landline_number: '+913857614343' },
    grievance_officer_details: { name: 'Chandravati P.', email: 'chandravati@luckyshrub.com', mobile_number: '+913854559033' },
  },
  {
    entity_name: 'Shrub Pvt Ltd',
    entity_type: 'Private Company',
    customer_care_details: { email: 'care@shrub.in', mobile_number: '+91 385 455 9000' },
    grievance_officer_details: { name: 'A. Rao', email: 'rao@shrub.in', landline_number: '+913857614300' },
  },
];

const blockBody = (...users: string[]) => ({ messaging_product: 'whatsapp', block_users: users.map((user) => ({ user })) });

function graphEdgeEndpoints(): EndpointProfile[] {
  const blockUsers = {
    flavour: 'cloud',
    body: 'json',
    // Every valid body names users the channel can block (the user wrote first) or unblock.
    valid: [blockBody(BLOCK_USER), blockBody(`+${BLOCK_USER}`, `+49 176 0000 0777`)],
    // A well-formed body may be taken (200), or fail for some users: Meta's 400 with the lists beside the error.
    mayAccept: validatedBy(parseBlockBody),
    errorKeys: ['messaging_product', 'block_users'],
    // Query parameters are ignored, as Graph ignores unknown ones.
    queryExpect: 'either',
    // Blocking and unblocking change a blocklist sends and inbound messages read: a channel of its own.
    isolated: true,
  } satisfies Partial<EndpointProfile>;
  const registration = (path: string, valid: unknown[] | undefined, parse: (p: Record<string, unknown>) => unknown): EndpointProfile => ({
    method: 'POST',
    path,
    flavour: 'cloud',
    body: 'json',
    ...(valid ? { valid } : {}),
    mayAccept: graphValidatedBy(parse),
    forms: true,
    queryExpect: 'either',
    // Registration: a sandbox number's answer changes nothing, a number on Meta's network would be (de)registered.
    isolated: true,
  });
  const templateEdit = [
    { components: [{ type: 'HEADER', format: 'TEXT', text: 'Hello again' }, { type: 'BODY', text: 'Welcome back, {{1}}!', example: { body_text: [['Ann']] } }, { type: 'FOOTER', text: 'Thanks' }] },
    { category: 'UTILITY', allow_category_change: false, message_send_ttl_seconds: 3600, components: [{ type: 'BODY', text: 'Your order is ready' }] },
  ];
  return [
    { method: 'GET', path: '/phone_numbers', flavour: 'cloud', body: 'none', query: { fields: 'id,display_phone_number,verified_name,quality_rating,health_status' } },
    { method: 'POST', path: '/block_users', ...blockUsers, prepare: async (request) => void expectOk('the block user writing first', await request('POST', '/sandbox/v1/inbound', { from: BLOCK_USER, name: 'Blocky', text: { body: 'hi' } })) },
    { method: 'DELETE', path: '/block_users', ...blockUsers },
    // On the channel where users are blocked, so that the list has an entry to page from.
    { method: 'GET', path: '/block_users', flavour: 'cloud', body: 'none', query: { limit: '10' }, isolated: true },
    {
      method: 'POST',
      path: '/message_qrdls',
      flavour: 'cloud',
      body: 'json',
      valid: [{ prefilled_message: 'I would like to order', generate_qr_image: 'SVG' }, { prefilled_message: 'Hi 👋', generate_qr_image: 'png', access_token: 'ignored' }],
      // A body naming `code` updates that code, which is no code of this channel: never taken.
      mayAccept: (b) => qrParamsOk(b) && graphBody(b)!.code === undefined,
      // Parameters in the query are read under the body's (the body wins): a hostile one may be masked.
      queryExpect: 'either',
    },
    { method: 'GET', path: '/message_qrdls', flavour: 'cloud', body: 'none', query: { generate_qr_image: 'SVG' } },
    {
      method: 'POST',
      path: '/message_qrdls/{code}',
      flavour: 'cloud',
      body: 'json',
      params: { code: MISSING_QR_CODE },
      valid: [{ prefilled_message: 'Updated message', generate_qr_image: 'PNG' }],
      mayAccept: qrParamsOk,
      queryExpect: 'either',
      prepare: qrCode,
    },
    { method: 'GET', path: '/message_qrdls/{code}', flavour: 'cloud', body: 'none', params: { code: MISSING_QR_CODE }, query: { generate_qr_image: 'png' }, prepare: qrCode },
    // A code that is not there: every DELETE is refused (one that is there would be gone after the first).
    { method: 'DELETE', path: '/message_qrdls/{code}', flavour: 'cloud', body: 'json', params: { code: MISSING_QR_CODE }, queryExpect: 'reject' },
    {
      method: 'GET',
      path: '/message_qrdls/{code}/{file}',
      flavour: 'cloud',
      body: 'none',
      params: { code: MISSING_QR_CODE, file: 'image.svg' },
      binary: true,
      prepare: async (request) => ({ params: { ...(await qrCode(request)).params, file: 'image.png' } }),
    },
    { method: 'GET', path: '/whatsapp_commerce_settings', flavour: 'cloud', body: 'none' },
    {
      method: 'POST',
      path: '/whatsapp_commerce_settings',
      flavour: 'cloud',
      body: 'json',
      valid: [{ is_cart_enabled: true, is_catalog_visible: false }, { is_catalog_visible: 'true', messaging_product: 'whatsapp' }],
      mayAccept: graphValidatedBy(parseCommerceSettings),
      forms: true,
      queryExpect: 'either',
    },
    { method: 'GET', path: '/conversational_automation', flavour: 'cloud', body: 'none' },
    {
      method: 'POST',
      path: '/conversational_automation',
      flavour: 'cloud',
      body: 'json',
      valid: [
        { enable_welcome_message: true, prompts: ['Book a table'], commands: [{ command_name: 'menu', command_description: "Today's menu" }] },
        { prompts: '["Hi"]', messaging_product: 'whatsapp' },
      ],
      mayAccept: graphValidatedBy(parseAutomationUpdate),
      forms: true,
      queryExpect: 'either',
    },
    { method: 'GET', path: '/business_compliance_info', flavour: 'cloud', body: 'none' },
    {
      method: 'POST',
      path: '/business_compliance_info',
      flavour: 'cloud',
      body: 'json',
      valid: complianceInfos(),
      mayAccept: graphValidatedBy(parseComplianceInfo),
      forms: true,
      queryExpect: 'either',
    },
    registration('/register', [{ messaging_product: 'whatsapp', pin: '123456' }, { messaging_product: 'whatsapp', pin: 654321, data_localization_region: 'DE' }], parseRegister),
    // No parameters: any object, or no body at all, is a deregistration.
    registration('/deregister', [{ messaging_product: 'whatsapp' }], () => undefined),
    registration('/request_code', [{ code_method: 'SMS', language: 'en_US' }, { code_method: 'VOICE', language: 'en' }], parseRequestCode),
    registration('/verify_code', [{ code: '123456' }, { code: 654321 }], parseVerifyCode),
    // One template by id: the seeded TEMPLATE of the main WABA (read only).
    {
      method: 'GET',
      path: '/message_templates/{template_id}',
      flavour: 'cloud',
      body: 'none',
      params: { template_id: MISSING_TEMPLATE_ID },
      query: { fields: 'id,name,status,components' },
      prepare: async (request) => ({ params: { template_id: await templateId(request, TEMPLATE) } }),
    },
    {
      method: 'POST',
      path: '/message_templates/{template_id}',
      flavour: 'cloud',
      body: 'json',
      params: { template_id: MISSING_TEMPLATE_ID },
      valid: templateEdit,
      // hello_world is UTILITY. After the first edit it is PENDING (in review): later edits are refused, in Meta's body.
      mayAccept: validatedBy((b) => parseTemplateEdit(b, 'UTILITY')),
      // Graph's template edit takes query, form and multipart parameters too (templates/graph-input.ts).
      forms: true,
      queryExpect: 'either',
      // An edit sends the template back to review: the isolated WABA's hello_world, which no send uses.
      isolated: true,
      prepare: async (request) => ({ params: { template_id: await templateId(request, 'hello_world') } }),
    },
  ];
}

// ---- The template library, migration and previews (routes/template-library.ts, template-migrate.ts, template-previews.ts) ----

/** A placeholder until `prepare` names the source WABA (the test listing the endpoints does not prepare). */
const MISSING_WABA_ID = 'hostile_missing_waba';
const anyValue = () => true;
/** A whole number in decimal digits (blanks around it allowed), within [min, max]; none ('') leaves the default. */
const wholeOrNone = (min: number, max: number) => (v: string) => v === '' || (/^\s*\+?\d+\s*$/.test(v) && Number(v) >= min && Number(v) <= max);
/** A paging cursor of the library (base64url of the JSON [name, language]) or none. */
const libraryCursorOrNone = (v: string) => {
  if (v === '') return true;
  try {
    const x = JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) as unknown;
    return Array.isArray(x) && x.length === 2 && x.every((e) => typeof e === 'string');
  } catch {
    return false;
  }
};
/** Comma-separated WhatsApp language codes (en, en_US), at most 100; blank asks for every language. */
const languageList = (v: string) => {
  if (v.trim() === '') return true;
  const parts = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  return parts.length >= 1 && parts.length <= 100 && parts.every((l) => /^[a-z]{2,3}(_[A-Z]{2})?$/.test(l));
};

/**
 * A second WABA of the key's partner with an APPROVED template (made from the library, approved at
 * once) besides hello_world (which every WABA has, so its copy always fails): the source of the
 * migrations. Its Meta id, openwaba's id and the template's id.
 */
async function migrationSource(env: PrepareEnv): Promise<{ externalId: string; id: string; templateId: string }> {
  const client = await createClient(env.deps, env.partnerId, { name: 'hostile migration source', email: 'hostile-migration@example.com' });
  const ch = await createChannel(env.deps, { partnerId: env.partnerId, clientId: client.id, phoneNumber: sandboxPhoneNumber(), phoneName: 'hostile migration source', status: 'ready' });
  const key = await createChannelApiKey(env.deps, ch);
  const made = expectOk(
    'a library template in the migration source',
    await env.requestAs(key.api_key)('POST', '/message_templates', { name: 'hostile_migrated', category: 'AUTHENTICATION', language: 'en_US', library_template_name: 'verification_code_copy' }),
  );
  if (made.status !== 'APPROVED') throw new Error(`the migration source's template is ${String(made.status)}, not APPROVED`);
  const waba = await env.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', ch.waba_account_id).executeTakeFirstOrThrow();
  return { externalId: waba.external_id, id: ch.waba_account_id, templateId: made.id as string };
}

function templateToolEndpoints(): EndpointProfile[] {
  // Authentication previews: the query is the input. A base asking for everything (every language:
  // no `languages`, so that a hostile `language` is read too).
  const preview = (path: string): EndpointProfile => ({
    method: 'GET',
    path,
    flavour: 'cloud',
    body: 'none',
    query: { category: 'AUTHENTICATION', add_security_recommendation: 'true', code_expiration_minutes: '10', button_types: 'OTP' },
    // Parameters the route does not read (the whole-query oddities) are ignored, as Graph ignores unknown ones.
    queryExpect: 'either',
    queryAccepts: {
      category: (v) => v.trim().toUpperCase() === 'AUTHENTICATION',
      // Any well-formed code is previewed (in English where openwaba has no words of its own).
      languages: languageList,
      language: languageList,
      // A boolean as Graph reads one: true/false (any casing) or 1/0; blank is "not given".
      add_security_recommendation: (v) => v === '' || ['true', 'false', '1', '0'].includes(v.trim().toLowerCase()),
      code_expiration_minutes: wholeOrNone(1, 90),
      button_types: (v) => {
        const types = v.split(',').map((x) => x.trim().toUpperCase()).filter((x) => x !== '');
        return v === '' || (types.length > 0 && types.every((x) => x === 'OTP'));
      },
    },
  });
  return [
    {
      method: 'GET',
      path: '/message_template_library',
      flavour: 'cloud',
      body: 'none',
      query: { limit: '2', topic: 'PAYMENTS', search: 'invoice' },
      // Unknown parameters are ignored, as Graph ignores them.
      queryExpect: 'either',
      queryAccepts: {
        // A filter value no entry has is an empty page, not a refusal (library-list.ts: Meta's topics and use cases grow).
        search: anyValue,
        topic: anyValue,
        usecase: anyValue,
        industry: anyValue,
        language: anyValue,
        name: anyValue,
        // Digits (clamped to 1…1000), or none for the default 25.
        limit: (v) => v === '' || /^\d{1,6}$/.test(v),
        // Only a cursor of a previous page.
        after: libraryCursorOrNone,
        before: libraryCursorOrNone,
      },
    },
    preview('/message_template_previews'),
    preview('/message_templates/previews'),
    {
      method: 'POST',
      path: '/migrate_message_templates',
      flavour: 'cloud',
      body: 'json',
      // The first (the carrier of the query cases) names only the source: page_number and count are read from the query.
      valid: [{ source_waba_id: MISSING_WABA_ID }],
      // The route's own parser; a well-formed body naming no WABA of the partner is Graph's node error (400, subcode 33).
      mayAccept: validatedBy((b) => parseMetaMigration(b, {})),
      // Parameters the route does not read are ignored, as Graph ignores unknown ones.
      queryExpect: 'either',
      queryAccepts: {
        // The body's source_waba_id wins over the query's.
        source_waba_id: anyValue,
        page_number: wholeOrNone(0, 1_000_000),
        count: wholeOrNone(1, 500),
      },
      // Every accepted case copies templates into the key's WABA: the isolated one (its own partner, with the source WABA).
      isolated: true,
      prepare: async (_request, env) => {
        const source = await migrationSource(env);
        return {
          valid: [
            { source_waba_id: source.externalId },
            { source_waba_id: source.id, page_number: 0, count: 10 },
            // Graph clients send ids as numbers too.
            { source_waba_id: /^[1-9]\d{0,14}$/.test(source.externalId) ? Number(source.externalId) : source.externalId, template_ids: [source.templateId] },
          ],
        };
      },
    },
  ];
}

// ---- WhatsApp Flows on the Messaging API (routes/flows.ts) ----

/** A placeholder until `prepare` names the real flow (the test listing the endpoints does not prepare). */
const MISSING_FLOW_ID = '900000000000779';
const FLOW_JSON_TEXT = JSON.stringify(MINIMAL_FLOW_JSON);
/** The parsers' URL policy in the test app (OPENWABA_WEBHOOK_URL_POLICY unset outside production). */
const POLICY = 'local' as const;

/** A flow of the key's WABA, created and then moved on (published, deprecated); its id. */
async function makeFlow(request: PrepareRequest, body: Record<string, unknown>, ...then: ('publish' | 'deprecate')[]): Promise<string> {
  const id = expectOk(`creating the flow ${String(body.name)}`, await request('POST', '/flows', body)).id as string;
  for (const action of then) expectOk(`${action} flow ${id}`, await request('POST', `/flows/${id}/${action}`));
  return id;
}
const flowPrepare =
  (body: Record<string, unknown>, ...then: ('publish' | 'deprecate')[]) =>
  async (request: PrepareRequest) => ({ params: { flow_id: await makeFlow(request, body, ...then) } });

/** POST /flows/{flow_id}/assets: Flow JSON uploads, well-formed and not. The flow stays a DRAFT (nothing else touches it). */
function flowAssetCases(): HostileCase[] {
  const B = 'flowAssetBoundary';
  const FIELDS = { name: 'flow.json', asset_type: 'FLOW_JSON' };
  const file = (value: string | Buffer, type = 'application/json', name = 'file'): Part => ({ name, value, filename: 'flow.json', type });
  const form = (f: Part | undefined, fields: Record<string, string> = FIELDS, extra: Part[] = []) =>
    multipart(B, [...Object.entries(fields).map(([name, value]) => ({ name, value })), ...(f ? [f] : []), ...extra]);
  const up = (label: string, body: string | Buffer, expect: 'reject' | 'either' = 'reject', contentType = `multipart/form-data; boundary=${B}`): HostileCase => ({
    label: `flow asset: ${label}`,
    headers: { 'content-type': contentType },
    body,
    expect,
  });
  const valid = file(FLOW_JSON_TEXT);
  return [
    // Taken: the Flow JSON is stored, its problems (if any) answered as validation_errors with a 200, as Meta does.
    up('a valid upload', form(valid), 'either'),
    up('the file before the fields', multipart(B, [valid, { name: 'asset_type', value: 'FLOW_JSON' }]), 'either'),
    up('no name (flow.json assumed)', form(valid, { asset_type: 'FLOW_JSON' }), 'either'),
    up('asset_type twice, FLOW_JSON last', form(valid, {}, [{ name: 'asset_type', value: 'IMAGE' }, { name: 'asset_type', value: 'FLOW_JSON' }]), 'either'),
    up('a Flow JSON with validation errors', form(file('{"version":"7.0","screens":[]}')), 'either'),
    up('a PNG instead of JSON', form(file(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'image/png')), 'either'),
    up('invalid UTF-8 in the file', form(file(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))), 'either'),
    up('a UTF-16 file', form(file(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(FLOW_JSON_TEXT, 'utf16le')]))), 'either'),
    up('100,000 nested arrays in the file', form(file('['.repeat(100_000) + ']'.repeat(100_000))), 'either'),
    up('prototype keys in the file', form(file(`{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}},"version":"7.0","screens":[{"__proto__":[],"id":"WELCOME"}]}`)), 'either'),
    up('escaped NULs in the Flow JSON', form(file('{"version":"7.0\\u0000","data_api_version":"3.0\\u0000","routing_model":{"A\\u0000":[]},"screens":[{"id":"A\\u0000","title":"\\u0000"}]}')), 'either'),
    up('a raw NUL byte in the file', form(file(Buffer.concat([Buffer.from('{"version":"7'), Buffer.from([0]), Buffer.from('.0","screens":[]}')]))), 'either'),
    up('lone surrogates escaped in the file', form(file('{"version":"\\ud800","screens":[{"id":"\\udc00","title":"\\ud800x","terminal":true}]}')), 'either'),
    up('hostile values in every property', form(file(JSON.stringify({ version: 1e308, data_api_version: [], routing_model: 'x', screens: [{ id: {}, layout: null, data: { a: { type: 'string', __example__: 'x'.repeat(5000) } } }, null, 7] }))), 'either'),
    up('a 3 MB Flow JSON', form(file(JSON.stringify({ ...MINIMAL_FLOW_JSON, padding: 'p'.repeat(3 * 1024 * 1024) }))), 'either'),
    // Refused.
    up('a file over the 10 MB limit', form(file(Buffer.alloc(MAX_FLOW_JSON_BYTES + 1, 0x20)))),
    up('a field named __proto__ (a reserved name)', form(valid, FIELDS, [{ name: '__proto__', value: 'polluted' }])),
    up('no asset_type', form(valid, { name: 'flow.json' })),
    up('asset_type IMAGE', form(valid, { name: 'flow.json', asset_type: 'IMAGE' })),
    up('asset_type in lower case', form(valid, { name: 'flow.json', asset_type: 'flow_json' })),
    up('asset_type of 2,000 characters', form(valid, { name: 'flow.json', asset_type: `FLOW_JSON${'x'.repeat(2000)}` })),
    up('asset_type twice, IMAGE last', form(valid, {}, [{ name: 'asset_type', value: 'FLOW_JSON' }, { name: 'asset_type', value: 'IMAGE' }])),
    up('no file', form(undefined)),
    up('an empty file', form(file(''))),
    up('the file in another field', form(file(FLOW_JSON_TEXT, 'application/json', 'flow_json'))),
    up('the Flow JSON as a plain field', form(undefined, { ...FIELDS, file: FLOW_JSON_TEXT })),
    up('two files', form(valid, FIELDS, [file(FLOW_JSON_TEXT)])),
    up('a name of 300 characters', form(valid, { name: 'n'.repeat(300), asset_type: 'FLOW_JSON' })),
    up('a blank name', form(valid, { name: '  ', asset_type: 'FLOW_JSON' })),
    up('12 fields', form(valid, { ...FIELDS, ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, 'x'])) })),
    up('cut in the middle of the file', form(valid).subarray(0, 160)),
    up('no closing boundary', multipart(B, [{ name: 'asset_type', value: 'FLOW_JSON' }, valid], { end: false })),
    up('a form-encoded body', `asset_type=FLOW_JSON&name=flow.json&file=${encodeURIComponent(FLOW_JSON_TEXT)}`, 'reject', 'application/x-www-form-urlencoded'),
    up('the Flow JSON as a JSON body', FLOW_JSON_TEXT, 'reject', 'application/json'),
    up('multipart without a boundary', form(valid), 'reject', 'multipart/form-data'),
  ];
}

function flowEndpoints(): EndpointProfile[] {
  const flowId = { params: { flow_id: MISSING_FLOW_ID } };
  // A DRAFT with a valid Flow JSON: read (GET, assets, the download) and renamed (POST), never published or deleted.
  const draft = (name: string) => flowPrepare({ name, categories: ['OTHER'], flow_json: FLOW_JSON_TEXT });
  const newFlows = [
    { name: 'hostile flow', categories: ['SIGN_UP'] },
    { name: 'hostile flow with json', categories: '["SURVEY","OTHER"]', flow_json: FLOW_JSON_TEXT, publish: true, endpoint_uri: '' },
    { name: 'hostile flow from a template', categories: ['APPOINTMENT_BOOKING'], clone_template: 'book_appointment' },
  ];
  return [
    { method: 'GET', path: '/flows', flavour: 'cloud', body: 'none', query: { limit: '5', fields: 'id,name,status,categories,validation_errors' } },
    {
      method: 'POST',
      path: '/flows',
      flavour: 'cloud',
      body: 'json',
      valid: newFlows,
      // Well-formed creations may still be refused (a name taken by the valid body's first creation): 400 in Graph's body.
      mayAccept: validatedBy((b) => parseNewFlow(b, POLICY)),
      forms: true,
      // No query parameters: ignored, as Graph ignores unknown ones.
      queryExpect: 'either',
      // Every accepted case is a new flow: in a WABA of its own, out of GET /flows's list.
      isolated: true,
      // A copy of a flow of the WABA (clone_flow_id), besides the bodies above.
      prepare: async (request) => ({
        valid: [
          ...newFlows,
          { name: 'hostile flow copy', categories: ['OTHER'], clone_flow_id: await makeFlow(request, { name: 'hostile clone source', categories: ['OTHER'], flow_json: FLOW_JSON_TEXT }) },
        ],
      }),
    },
    { method: 'GET', path: '/flows/{flow_id}', flavour: 'cloud', body: 'none', ...flowId, query: { fields: 'id,name,status,categories,validation_errors,json_version' }, prepare: draft('hostile read') },
    {
      method: 'POST',
      path: '/flows/{flow_id}',
      flavour: 'cloud',
      body: 'json',
      ...flowId,
      valid: [
        { name: 'hostile renamed', categories: ['SIGN_UP', 'OTHER'] },
        { endpoint_uri: 'https://flows.example.com/data', application_id: '1234567890' },
        { categories: '["SURVEY"]', endpoint_uri: null },
      ],
      // No body is no change (200); a well-formed change may still clash with another flow's name (400).
      mayAccept: validatedBy((b) => parseFlowUpdate(b, POLICY)),
      forms: true,
      queryExpect: 'either',
      prepare: draft('hostile update'),
    },
    // A PUBLISHED flow: no DELETE is taken (only a DRAFT is deleted, and a deleted one would make every later case "not found").
    { method: 'DELETE', path: '/flows/{flow_id}', flavour: 'cloud', body: 'json', ...flowId, prepare: flowPrepare({ name: 'hostile published', categories: ['OTHER'], flow_json: FLOW_JSON_TEXT, publish: true }) },
    { method: 'GET', path: '/flows/{flow_id}/assets', flavour: 'cloud', body: 'none', ...flowId, prepare: draft('hostile assets') },
    { method: 'GET', path: '/flows/{flow_id}/assets/FLOW_JSON', flavour: 'cloud', body: 'none', ...flowId, prepare: draft('hostile download') },
    {
      method: 'POST',
      path: '/flows/{flow_id}/assets',
      flavour: 'cloud',
      body: 'multipart',
      ...flowId,
      cases: flowAssetCases,
      // A key of its own (multipart cases otherwise rotate over the upload keys, which have no such flow).
      isolated: true,
      prepare: flowPrepare({ name: 'hostile upload', categories: ['OTHER'] }),
    },
    // A DRAFT whose Flow JSON has validation errors: every publish is refused (139002), whatever the body (none is read).
    { method: 'POST', path: '/flows/{flow_id}/publish', flavour: 'cloud', body: 'json', ...flowId, prepare: flowPrepare({ name: 'hostile unpublishable', categories: ['OTHER'], flow_json: '{"version":"7.0","screens":[]}' }) },
    // A DEPRECATED flow: every deprecation is refused (139003).
    { method: 'POST', path: '/flows/{flow_id}/deprecate', flavour: 'cloud', body: 'json', ...flowId, prepare: flowPrepare({ name: 'hostile deprecated', categories: ['OTHER'], flow_json: FLOW_JSON_TEXT, publish: true }, 'deprecate') },
  ];
}

// ---- The WABA's webhook override (routes/subscribed-apps.ts) ----

/** A callback URL that passes Meta's verification: echoes hub.challenge (started once, never keeps the process up). */
let echoUrl: Promise<string> | undefined;
export function challengeEcho(): Promise<string> {
  return (echoUrl ??= new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' }).end(new URL(req.url ?? '/', 'http://x').searchParams.get('hub.challenge') ?? '');
    });
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`);
    });
  }));
}

function subscribedAppEndpoints(): EndpointProfile[] {
  const overrideDeps = { config: { webhookUrlPolicy: POLICY } } as unknown as Deps;
  return [
    { method: 'GET', path: '/subscribed_apps', flavour: 'cloud', body: 'none' },
    {
      method: 'POST',
      path: '/subscribed_apps',
      flavour: 'cloud',
      body: 'json',
      // Until prepare names the echoing callback: a URL that fails the verification (400, code 2200).
      valid: [{ override_callback_uri: 'http://127.0.0.1:9/callback', verify_token: 'hostile-token' }, { override_callback_uri: '' }],
      // overrideInput's verdict; a URL it takes must still answer the challenge (400 code 2200 if not).
      mayAccept: graphValidatedBy((params) => overrideInput(overrideDeps, params)),
      // Query parameters are read under the body's (the body wins): a hostile one may be masked.
      queryExpect: 'either',
      // Sets the WABA's override, where the WABA's numbers without a URL of their own deliver: a WABA of its own.
      isolated: true,
      prepare: async () => ({ valid: [{ override_callback_uri: await challengeEcho(), verify_token: 'hostile-token' }, { override_callback_uri: '' }] }),
    },
    // No parameters: no body, null or any object removes the override; anything else is refused (hostile-regressions-3).
    { method: 'DELETE', path: '/subscribed_apps', flavour: 'cloud', body: 'json', mayAccept: graphValidatedBy(() => undefined), queryExpect: 'either', isolated: true },
  ];
}

/** Every messaging endpoint this test knows (the OpenAPI document must list each); `namespace` is the channel's WABA's. */
export function knownEndpoints(webhookUrl: string, namespace: string): EndpointProfile[] {
  const webhook = { valid: [{ url: webhookUrl, headers: { 'X-Test': 'hostile' } }], mayAccept: (b: unknown) => keysWithin(b, ['url', 'headers']) && 'url' in (b as object) };
  return [
    { method: 'POST', path: '/messages', flavour: 'cloud', body: 'json', valid: cloudMessages(), mayAccept: validatedBy(validateCloudSend) },
    { method: 'PUT', path: '/messages/{message_id}', flavour: 'cloud', body: 'json', params: { message_id: 'wamid.missing' }, valid: [{ status: 'read' }] },
    { method: 'POST', path: '/marketing_messages', flavour: 'cloud', body: 'json', valid: marketingMessages(), mayAccept: validatedBy(validateMarketingSend) },
    { method: 'GET', path: '/sandbox/v1/marketing_messages_lite', flavour: 'cloud', body: 'none' },
    {
      method: 'POST',
      path: '/sandbox/v1/marketing_messages_lite',
      flavour: 'cloud',
      body: 'json',
      valid: [{ marketing_messages_lite_api_status: 'ONBOARDED' }],
      mayAccept: (b) => keysWithin(b, ['marketing_messages_lite_api_status']),
    },
    { method: 'POST', path: '/v1/messages', flavour: 'onpremise', body: 'json', valid: onPremMessages(namespace), mayAccept: validatedBy(validateV1Send) },
    { method: 'PUT', path: '/v1/messages/{message_id}', flavour: 'onpremise', body: 'json', params: { message_id: 'wamid.missing' }, valid: [{ status: 'read' }] },
    { method: 'GET', path: '/v1/configs/webhook', flavour: 'onpremise', body: 'none' },
    { method: 'POST', path: '/v1/configs/webhook', flavour: 'onpremise', body: 'json', ...webhook },
    { method: 'GET', path: '/configs/webhook', flavour: 'cloud', body: 'none' },
    { method: 'POST', path: '/configs/webhook', flavour: 'cloud', body: 'json', ...webhook },
    { method: 'GET', path: '/multi_webhook', flavour: 'message', body: 'none' },
    {
      method: 'POST',
      path: '/multi_webhook',
      flavour: 'message',
      body: 'json',
      valid: [{ enabled: true, destinations: [{ name: 'crm', url: webhookUrl, headers: { 'X-Test': 'hostile' } }] }, { enabled: false }],
      mayAccept: validatedBy((b) => parseSetBody(b, 'local')),
    },
    { method: 'PUT', path: '/multi_webhook', flavour: 'message', body: 'json', valid: [{ destinations: [{ name: 'archive', url: webhookUrl }] }], mayAccept: validatedBy((b) => parseAppendBody(b, 'local')) },
    { method: 'PATCH', path: '/multi_webhook', flavour: 'message', body: 'json', valid: [{ name: 'crm', url: webhookUrl, headers: { 'X-Test': 'patched' } }], mayAccept: validatedBy((b) => parsePatchBody(b, 'local')) },
    {
      method: 'POST',
      path: '/sandbox/v1/inbound',
      flavour: 'cloud',
      body: 'json',
      valid: [
        { from: '4917600000100', name: 'Ann', type: 'text', text: { body: 'hi' } },
        { from: '4917600000101', type: 'location', location: { latitude: 1.5, longitude: 2.5, name: 'x' } },
        { from: '4917600000102', type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'a', title: 'A', description: 'd' } }, context: { message_id: 'wamid.x' } },
        { from: '4917600000105', type: 'interactive', interactive: { type: 'call_permission_reply', call_permission_reply: { response: 'accept', is_permanent: false, response_source: 'user_action' } }, context: { message_id: 'wamid.x' } },
        { from: '4917600000103', type: 'contacts', contacts: [{ name: { formatted_name: 'B' } }] },
        { from: '4917600000104', type: 'image', image: { id: 'm1', mime_type: 'image/jpeg', caption: 'c' } },
      ],
      mayAccept: (b) => isObj(b) && 'from' in b,
    },
    { method: 'GET', path: '/sandbox/v1/users', flavour: 'cloud', body: 'none' },
    {
      method: 'POST',
      path: '/sandbox/v1/users/{wa_id}',
      flavour: 'cloud',
      body: 'json',
      params: { wa_id: SANDBOX_USER },
      valid: [{ name: 'Bob', unreachable: false, blocked: false }, { calls: 'decline=2s' }, { calls: 'ignore' }],
      // A `calls` value the parser refuses must answer 4xx (the others may still fail later checks).
      mayAccept: (b) => keysWithin(b, ['name', 'unreachable', 'blocked', 'username', 'hide_number', 'calls']) && validatedBy((x) => isObj(x) && x.calls !== undefined && parseUserCallAnswer(x.calls))(b),
    },
    { method: 'GET', path: '/sandbox/v1/messages', flavour: 'cloud', body: 'none', query: { wa_id: TO, limit: '5', before: '2100-01-01T00:00:00.000Z' } },
    { method: 'GET', path: '/sandbox/v1/account_update', flavour: 'cloud', body: 'none' },
    // A restriction would refuse the other endpoints' sends: raised on a WABA of its own.
    { method: 'POST', path: '/sandbox/v1/account_update', flavour: 'cloud', body: 'json', valid: accountUpdates(), mayAccept: validatedBy((b) => parseAccountUpdate(b, new Date())), isolated: true },
    { method: 'GET', path: '/whatsapp_business_encryption', flavour: 'cloud', body: 'none' },
    {
      method: 'POST',
      path: '/whatsapp_business_encryption',
      flavour: 'cloud',
      body: 'json',
      valid: [{ business_public_key: businessPublicKey() }],
      mayAccept: validatedBy((b) => {
        if (!isObj(b)) throw new ApiError(400, 'not an object');
        return parseBusinessPublicKey(b.business_public_key);
      }),
      forms: true,
    },
    { method: 'GET', path: '/v1/configs/phone_number', flavour: 'onpremise', body: 'none' },
    { method: 'GET', path: '/v1/health', flavour: 'onpremise', body: 'none' },
    { method: 'GET', path: '/health_status', flavour: 'cloud', body: 'none' },
    { method: 'GET', path: '/whatsapp_business_profile', flavour: 'cloud', body: 'none', query: { fields: 'about,websites' } },
    {
      method: 'POST',
      path: '/whatsapp_business_profile',
      flavour: 'cloud',
      body: 'json',
      valid: [{ messaging_product: 'whatsapp', about: 'About us', address: 'Main St 1', description: 'We sell', email: 'shop@example.com', vertical: 'RETAIL', websites: ['https://example.com'] }],
      mayAccept: (b) => isObj(b) && b.messaging_product === 'whatsapp',
    },
    { method: 'GET', path: '/v1/settings/business/profile', flavour: 'onpremise', body: 'none' },
    {
      method: 'POST',
      path: '/v1/settings/business/profile',
      flavour: 'onpremise',
      body: 'json',
      valid: [{ address: 'Main St 1', description: 'We sell', email: 'shop@example.com', vertical: 'Shopping and Retail', websites: ['https://example.com'] }],
      mayAccept: (b) => keysWithin(b, ['address', 'description', 'email', 'vertical', 'websites']),
    },
    { method: 'GET', path: '/v1/settings/profile/about', flavour: 'onpremise', body: 'none' },
    { method: 'PATCH', path: '/v1/settings/profile/about', flavour: 'onpremise', body: 'json', valid: [{ text: 'About us' }], mayAccept: (b) => keysWithin(b, ['text']) },
    { method: 'GET', path: '/v1/settings/business/compliance_info', flavour: 'onpremise', body: 'none' },
    {
      method: 'POST',
      path: '/v1/settings/business/compliance_info',
      flavour: 'onpremise',
      body: 'json',
      valid: complianceInfos(),
      mayAccept: validatedBy((b) => {
        if (!isObj(b)) throw new ApiError(400, 'not an object');
        return parseComplianceInfo(b);
      }),
    },
    {
      method: 'POST',
      path: '/v1/contacts',
      flavour: 'onpremise',
      body: 'json',
      valid: [{ blocking: 'wait', contacts: ['+4917612345678', '4915112345678'], force_check: false }],
      mayAccept: (b) => isObj(b) && Array.isArray(b.contacts) && b.contacts.length > 0,
    },
    { method: 'GET', path: '/v1/configs/templates', flavour: 'channel', body: 'none', query: { filters: '{"status":"APPROVED"}', sort: 'business_templates.name', limit: '10', offset: '0' } },
    { method: 'POST', path: '/v1/configs/templates', flavour: 'channel', body: 'json', valid: templateCreate(), mayAccept: mayCreateTemplate, isolated: true },
    { method: 'DELETE', path: '/v1/configs/templates/{name}', flavour: 'channel', body: 'json', params: { name: 'hostile_missing' } },
    { method: 'GET', path: '/message_templates', flavour: 'cloud', body: 'none', query: { limit: '2', fields: 'name,status', status: 'APPROVED' } },
    { method: 'POST', path: '/message_templates', flavour: 'cloud', body: 'json', valid: templateCreate(), mayAccept: mayCreateTemplate, isolated: true },
    { method: 'DELETE', path: '/message_templates', flavour: 'cloud', body: 'json', query: { name: 'hostile_missing' }, queryExpect: 'reject' },
    { method: 'POST', path: '/media', flavour: 'cloud', body: 'multipart' },
    { method: 'POST', path: '/v1/media', flavour: 'onpremise', body: 'raw' },
    // The number has no profile photo: GET and DELETE answer 404.
    { method: 'POST', path: '/v1/settings/profile/photo', flavour: 'onpremise', body: 'raw' },
    { method: 'GET', path: '/v1/settings/profile/photo', flavour: 'onpremise', body: 'none' },
    { method: 'DELETE', path: '/v1/settings/profile/photo', flavour: 'onpremise', body: 'json' },
    { method: 'GET', path: '/whatsapp_business/attachments/', flavour: 'cloud', body: 'none', query: { mid: MISSING_MEDIA_ID, ext: '1700000000', hash: 'abc' }, queryExpect: 'reject' },
    { method: 'GET', path: '/v1/media/{media_id}', flavour: 'onpremise', body: 'none', params: { media_id: MISSING_MEDIA_ID } },
    { method: 'DELETE', path: '/v1/media/{media_id}', flavour: 'onpremise', body: 'json', params: { media_id: MISSING_MEDIA_ID } },
    { method: 'GET', path: '/{media_id}', flavour: 'cloud', body: 'none', params: { media_id: MISSING_MEDIA_ID } },
    { method: 'DELETE', path: '/{media_id}', flavour: 'cloud', body: 'json', params: { media_id: MISSING_MEDIA_ID } },
    ...graphEdgeEndpoints(),
    ...templateToolEndpoints(),
    ...flowEndpoints(),
    ...subscribedAppEndpoints(),
    ...groupEndpoints(),
    ...callingEndpoints(),
    ...templateAnalyticsEndpoints(),
    ...uploadEndpoints(),
    ...graphGapEndpoints(),
    ...appFlowEndpoints(),
    ...wabaEdgeEndpoints(),
    ...addPhoneNumberEndpoints(),
    ...coexistenceEndpoints(),
    ...messageHistoryEndpoints(),
    ...debugTokenEndpoints(),
    ...appSecretEndpoints(),
    ...paymentConfigurationEndpoints(),
    ...paymentEndpoints(),
    ...sandboxInboundKindEndpoints(),
    ...conversionEventEndpoints(),
    ...officialBusinessAccountEndpoints(),
    ...graphMeEndpoints(),
    ...realClientEndpoints(webhookUrl, MISSING_MEDIA_ID),
    ...sdkPathEndpoints(webhookUrl),
  ];
}

/** A profile for an endpoint the document lists and this file does not (yet): generic hostile input. */
export function defaultProfile(method: string, path: string): EndpointProfile {
  const params = Object.fromEntries([...path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1]!, 'hostile_missing']));
  return {
    method,
    path,
    flavour: path.startsWith('/v1/') ? 'onpremise' : 'cloud',
    body: method === 'GET' ? 'none' : 'json',
    params,
    // Unknown semantics: whatever it takes may be valid, so only "never 5xx, right format" is checked.
    mayAccept: () => true,
    queryExpect: 'either',
  };
}

// ---- Groups API (routes/groups.ts) ----

/** A well-formed group id no number has: every request naming it is refused (400, Graph's code 100 subcode 33). */
const MISSING_GROUP = 'Y2FwaV9ncm91cDoxMjM0NTY3ODkwOjEyMDM2MzAwMDAwMDAwMDAwMA';

function groupEndpoints(): EndpointProfile[] {
  const params = { group_id: MISSING_GROUP };
  const product = { messaging_product: 'whatsapp' };
  return [
    { method: 'GET', path: '/groups', flavour: 'cloud', body: 'none', query: { limit: '10' }, queryExpect: 'either' },
    {
      method: 'POST',
      path: '/groups',
      flavour: 'cloud',
      body: 'json',
      valid: [{ ...product, subject: 'Hostile group' }, { ...product, subject: 'Other', description: 'About', join_approval_mode: 'approval_required' }],
      mayAccept: validatedBy(parseCreateGroup),
      queryExpect: 'either',
      // Creates groups: a channel of its own.
      isolated: true,
    },
    { method: 'GET', path: '/groups/{group_id}', flavour: 'cloud', body: 'none', params, query: { fields: 'subject' } },
    { method: 'POST', path: '/groups/{group_id}', flavour: 'cloud', body: 'json', params, valid: [{ ...product, subject: 'Renamed' }] },
    { method: 'DELETE', path: '/groups/{group_id}', flavour: 'cloud', body: 'json', params },
    { method: 'GET', path: '/groups/{group_id}/invite_link', flavour: 'cloud', body: 'none', params },
    { method: 'POST', path: '/groups/{group_id}/invite_link', flavour: 'cloud', body: 'json', params },
    { method: 'DELETE', path: '/groups/{group_id}/participants', flavour: 'cloud', body: 'json', params, valid: [{ ...product, participants: [{ user: '4915550008001' }] }] },
    { method: 'GET', path: '/groups/{group_id}/join_requests', flavour: 'cloud', body: 'none', params },
    { method: 'POST', path: '/groups/{group_id}/join_requests', flavour: 'cloud', body: 'json', params, valid: [{ ...product, join_requests: ['1234567890123456'] }] },
    { method: 'DELETE', path: '/groups/{group_id}/join_requests', flavour: 'cloud', body: 'json', params, valid: [{ ...product, join_requests: ['1234567890123456'] }] },
    // A join naming a group no number has: never taken.
    { method: 'POST', path: '/sandbox/v1/group_join', flavour: 'cloud', body: 'json', valid: [{ from: '4915550008001', group_id: MISSING_GROUP }, { from: '4915550008001', type: 'group_join', invite_link: 'https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv' }] },
    // A participant leaving, Meta suspending: naming a group no number has, never taken.
    { method: 'POST', path: '/sandbox/v1/group_leave', flavour: 'cloud', body: 'json', valid: [{ from: '4915550008001', group_id: MISSING_GROUP }, { from: '4915550008001', type: 'group_leave', group_id: MISSING_GROUP }] },
    { method: 'POST', path: '/sandbox/v1/group_status', flavour: 'cloud', body: 'json', valid: [{ group_id: MISSING_GROUP, type: 'group_suspend' }, { group_id: MISSING_GROUP, type: 'group_suspend_cleared' }] },
    // A participant writing to a group no number has (the inbound endpoint's other bodies are profiled above): never taken;
    // a mutation dropping group_id is a user's own message, which may be.
    {
      method: 'POST',
      path: '/sandbox/v1/inbound',
      flavour: 'cloud',
      body: 'json',
      valid: [{ from: '4915550008001', group_id: MISSING_GROUP, type: 'text', text: { body: 'hi all' } }],
      mayAccept: (b) => isObj(b) && 'from' in b && !('group_id' in b),
    },
  ];
}

// ---- Calling API (routes/calling.ts) ----

const CALL_SDP = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=rtpmap:111 opus/48000/2', ''].join('\r\n');

function callingEndpoints(): EndpointProfile[] {
  const settings = (path: string): EndpointProfile[] => [
    { method: 'GET', path, flavour: 'cloud', body: 'none' },
    {
      method: 'POST',
      path,
      flavour: 'cloud',
      body: 'json',
      valid: [
        { calling: { status: 'ENABLED', call_icon_visibility: 'DEFAULT', callback_permission_status: 'ENABLED' } },
        { calling: { call_hours: { status: 'ENABLED', timezone_id: 'Europe/Berlin', weekly_operating_hours: [{ day_of_week: 'MONDAY', open_time: '0900', close_time: '1700' }] } } },
      ],
      mayAccept: validatedBy(parseCallingSettings),
      queryExpect: 'either',
      // Changes the number's calling settings: a channel of its own.
      isolated: true,
    },
  ];
  const calls = (path: string): EndpointProfile => ({
    method: 'POST',
    path,
    flavour: 'cloud',
    body: 'json',
    valid: [
      { messaging_product: 'whatsapp', to: '4917612345678', action: 'connect', session: { sdp_type: 'offer', sdp: CALL_SDP }, biz_opaque_callback_data: 'hostile' },
      { messaging_product: 'whatsapp', call_id: 'wacid.hostilemissing', action: 'accept', session: { sdp_type: 'answer', sdp: CALL_SDP } },
      { messaging_product: 'whatsapp', call_id: 'wacid.hostilemissing', action: 'terminate' },
    ],
    // Calling is DISABLED on the storm's number (and no user granted permission): every call is refused.
    mayAccept: validatedBy(parseCallRequest),
    queryExpect: 'either',
  });
  return [
    ...settings('/calling/settings'),
    ...settings('/settings'),
    calls('/calling/calls'),
    calls('/calls'),
    { method: 'GET', path: '/calling/permissions/{wa_id}', flavour: 'cloud', body: 'none', params: { wa_id: SANDBOX_USER } },
    { method: 'GET', path: '/call_permissions', flavour: 'cloud', body: 'none', query: { user_wa_id: SANDBOX_USER } },
    // The simulated user's side (routes/calling.ts): a call no number has, so every request is refused.
    ...(['accept', 'terminate'] as const).map((action): EndpointProfile => ({
      method: 'POST',
      path: `/sandbox/v1/calls/{call_id}/${action}`,
      flavour: 'cloud',
      body: 'json',
      params: { call_id: 'wacid.hostilemissing' },
      valid: [{}],
      queryExpect: 'either',
    })),
  ];
}

// ---- Template analytics (routes/template-analytics.ts) ----

function templateAnalyticsEndpoints(): EndpointProfile[] {
  return [
    {
      method: 'GET',
      path: '/template_analytics',
      flavour: 'cloud',
      body: 'none',
      // A well-formed query naming a template id no WABA has: refused (400, code 100), as is every hostile variant.
      query: { start: '1759276800', end: '1759363200', granularity: 'DAILY', template_ids: '["900000000000888"]', metric_types: 'SENT,READ' },
      queryExpect: 'reject',
    },
  ];
}
