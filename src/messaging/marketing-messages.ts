// Marketing Messages Lite API ("MM Lite", now Meta's "Marketing Messages API for WhatsApp"):
// POST /marketing_messages on 360dialog's Cloud API host, Graph's POST /{phone-number-id}/marketing_messages.
//
// The body is a Cloud API template send (messaging_product, recipient_type, to or recipient,
// type "template", template, biz_opaque_callback_data) plus two fields of its own:
// `message_activity_sharing` (true/false: share the message's activity with Meta) and
// `product_policy` (CLOUD_API_FALLBACK | STRICT: what Meta does for a business not onboarded).
// Sources: 360dialog "MM Lite versus Cloud API" (same base URL, key and payload; endpoint
// /marketing_messages), 360dialog "Sending Messages" (message_activity_sharing), Meta's MM Lite
// "Get started" and "Support" pages (statuses, error codes).
//
// What is refused, with the answers 360dialog's "Expected Errors" page documents:
// - anything but a template message: 400, (#100) Invalid parameter, "Message must be a template message.";
// - a template whose category is not MARKETING: 400, (#131055) Method not allowed, "Only marketing
//   template messages are supported" (Meta's Graph v23+ names it 134100; 360's page shows 131055);
// - a WABA not onboarded (its terms not accepted, or not eligible): (#200) "You must accept the
//   Marketing Messages Lite API terms to use the API." with code 131055, unless the client asked
//   for product_policy CLOUD_API_FALLBACK: then the message goes as a Cloud API marketing message.
// A number on Meta's network is Meta's to judge (its template store, its onboarding): the message
// goes to Graph's marketing_messages edge and Meta's answer, or error, is the client's.
//
// Statuses and webhooks are a template send's (sent, delivered, read, failed), as Meta's "Get
// started" page says; an MM Lite message's statuses name `marketing_lite` as conversation.origin.type
// and pricing.category. That is the category the message is stored under (usage statistics count
// it as marketing: services/usage.ts). MM Lite is send-only: replies arrive through the Cloud API
// webhook as before.
import { randomBytes } from 'node:crypto';
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { ApiError } from '../errors.ts';
import { metaError, type MetaErrorInfo } from './errors.ts';
import { bool, fail, isObj, oneOf, type Obj } from './validate/check.ts';
import { validateCloudSend, type NormalizedMessage } from './validate/message.ts';

export const MM_LITE_STATUSES = ['INELIGIBLE', 'ELIGIBLE', 'ONBOARDED'] as const;
export type MmLiteStatus = (typeof MM_LITE_STATUSES)[number];
export const PRODUCT_POLICIES = ['CLOUD_API_FALLBACK', 'STRICT'] as const;
export type ProductPolicy = (typeof PRODUCT_POLICIES)[number];

/** The pricing category of a message sent through MM Lite, as Meta's status webhooks name it. */
export const MM_LITE_CATEGORY = 'marketing_lite';

/** How a send through /marketing_messages goes (Messenger.send's `marketing` option). */
export interface MarketingSend {
  /** false: the WABA is not onboarded and the client asked for CLOUD_API_FALLBACK: a Cloud API marketing message. */
  lite: boolean;
  /** The MM Lite fields for Graph's marketing_messages edge, as the client gave them. */
  graphFields: { message_activity_sharing?: boolean; product_policy?: ProductPolicy };
}

export interface MarketingRequest {
  msg: NormalizedMessage;
  graphFields: MarketingSend['graphFields'];
}

const notTemplate = () => metaError(400, 100, 'Invalid parameter', 'Message must be a template message.');

/**
 * A /marketing_messages body → the template send and its MM Lite fields. The Cloud API's rules
 * check the rest (validateCloudSend): a field neither API knows is refused by name.
 */
export function validateMarketingSend(raw: unknown): MarketingRequest {
  if (!isObj(raw)) throw fail('body', 'must be a JSON object');
  if (raw.messaging_product !== 'whatsapp') {
    throw fail('messaging_product', raw.messaging_product === undefined ? 'is required and must be "whatsapp"' : 'must be "whatsapp"');
  }
  const { message_activity_sharing, product_policy, ...rest } = raw;
  // A mark-as-read, a text (the Cloud API's default type) or any other type is no template message.
  if (rest.type !== 'template' || rest.status !== undefined) throw notTemplate();
  const graphFields: MarketingSend['graphFields'] = {};
  const sharing = bool(message_activity_sharing, 'message_activity_sharing');
  if (sharing !== undefined) graphFields.message_activity_sharing = sharing;
  if (product_policy !== undefined) graphFields.product_policy = oneOf(product_policy, 'product_policy', PRODUCT_POLICIES);
  const msg = validateCloudSend(rest as Obj);
  if (msg.kind !== 'message' || !msg.template) throw notTemplate();
  return { msg, graphFields };
}

/**
 * The category to store a /marketing_messages send under; refuses a template of another category
 * than MARKETING. `templateCategory`: the stored template's (lower-case), undefined on Meta's
 * network (Meta checks its own templates, and our copy may be out of date).
 */
export function marketingCategory(templateCategory: string | undefined, send: MarketingSend): string {
  if (templateCategory !== undefined && templateCategory !== 'marketing') {
    throw metaError(400, 131055, 'Method not allowed', `Only marketing template messages are supported (this template's category is ${templateCategory.toUpperCase()})`);
  }
  return send.lite ? MM_LITE_CATEGORY : 'marketing';
}

/** The WABA's MM Lite status (settings.marketing_messages_lite_api_status). */
export async function mmLiteStatusOf(deps: Deps, wabaAccountId: string): Promise<MmLiteStatus> {
  const row = await deps.db.kysely.selectFrom('waba_accounts').select('mm_lite_status').where('id', '=', wabaAccountId).executeTakeFirst();
  const s = row?.mm_lite_status;
  return (MM_LITE_STATUSES as readonly string[]).includes(s ?? '') ? (s as MmLiteStatus) : 'INELIGIBLE';
}

/** Sets the WABA's MM Lite status (the sandbox's stand-in for accepting, or not having, the terms). */
export async function setMmLiteStatus(deps: Deps, wabaAccountId: string, status: MmLiteStatus): Promise<void> {
  await deps.db.kysely.updateTable('waba_accounts').set({ mm_lite_status: status, modified_at: deps.clock.now().toISOString() }).where('id', '=', wabaAccountId).execute();
}

/**
 * The error of an MM Lite send from a WABA that is not onboarded, as 360dialog documents it: the
 * message "(#200) You must accept the Marketing Messages Lite API terms to use the API." with
 * code 131055 (Meta's own numbering, kept as given: the message names the permission error, the
 * code the MM Lite one). A 403, as Meta answers its permission errors (200–299).
 */
function termsNotAccepted(status: MmLiteStatus): ApiError {
  const details =
    status === 'ELIGIBLE'
      ? "This WABA's marketing_messages_lite_api_status is ELIGIBLE: its Marketing Messages Lite API terms are not accepted (in the sandbox: POST /sandbox/v1/marketing_messages_lite)"
      : "This WABA's marketing_messages_lite_api_status is INELIGIBLE: it cannot use the Marketing Messages Lite API";
  const graph = {
    message: '(#200) You must accept the Marketing Messages Lite API terms to use the API.',
    type: 'OAuthException',
    code: 131055,
    error_data: { messaging_product: 'whatsapp', details },
    fbtrace_id: 'A' + randomBytes(15).toString('base64url').slice(0, 20),
  };
  return new ApiError(403, details, { extra: { metaCode: 131055, title: 'You must accept the Marketing Messages Lite API terms to use the API.', graph } satisfies MetaErrorInfo });
}

/**
 * How a sandbox number's send goes: through MM Lite when its WABA is onboarded; as a Cloud API
 * marketing message when not and the client asked for CLOUD_API_FALLBACK; refused otherwise.
 * On Meta's network Meta decides (the client's product_policy goes along).
 */
export async function marketingSendFor(deps: Deps, channel: ChannelRow, graphFields: MarketingSend['graphFields']): Promise<MarketingSend> {
  if (channel.network === 'meta') return { lite: true, graphFields };
  const status = await mmLiteStatusOf(deps, channel.waba_account_id);
  if (status === 'ONBOARDED') return { lite: true, graphFields };
  if (graphFields.product_policy === 'CLOUD_API_FALLBACK') return { lite: false, graphFields };
  throw termsNotAccepted(status);
}
