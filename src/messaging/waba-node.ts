// The key's WABA as Graph's WhatsApp Business Account node (Meta's "Get WhatsApp Business Account",
// GET /{version}/{waba-id}), built from openwaba's own rows: the waba_accounts row as the Partner
// API's WABA object shows it, and its numbers' restrictions and ban (waba-restrictions.ts).
//
// Without `fields` Graph answers id, name, timezone_id and message_template_namespace; other fields
// come when named. What each named field holds here:
// - account_review_status (Meta: PENDING, APPROVED, REJECTED): from the WABA's stored status, see
//   REVIEW below; a status that says nothing of the review (bsp_removed, sandbox, error, …) leaves
//   the field out.
// - business_verification_status: the Partner API's fb_account_status when it is one of Meta's
//   values (`unverified` read as Meta's `not_verified`), else left out.
// - on_behalf_of_business_info: the Partner API's object of the same name, Meta's
//   {name, id, status, type} with Meta's upper-case status; left out when the WABA has none.
// - marketing_messages_lite_api_status: the Partner API's settings value (INELIGIBLE, ELIGIBLE, ONBOARDED).
// - health_status: Meta's WABA, BUSINESS and APP entities (Meta: a WABA node's health_status has no
//   PHONE_NUMBER entity), the WABA's restrictions merged over all its numbers.
// - analytics, conversation_analytics, pricing_analytics: counted from the stored messages of the
//   WABA's numbers (waba-analytics.ts), with Meta's field modifiers (`analytics.start(…).end(…)
//   .granularity(DAY)`; graph-field-modifiers.ts parses them, a malformed one is Graph's 400).
// - owner_business_info (and owner_business): {name, id} of the client's Meta business.
// - whatsapp_business_manager_messaging_limit: the number's messaging limit tier (current_limit).
// - currency: "USD" (openwaba keeps no billing currency; USD is Meta's default for a WABA and what
//   most partner-funded WABAs bill in; clients mostly read it to label prices).
// - country: the ISO 3166 alpha-2 region of the key's number (libphonenumber-js), left out when the
//   number names none (the sandbox's +999 test range).
// - ownership_type (Meta: CLIENT_OWNED, ON_BEHALF_OF, SELF): ON_BEHALF_OF when the WABA has an
//   on-behalf-of business, else CLIENT_OWNED (a partner's client owns its WABA and shares it).
// - primary_funding_id: a stable numeric id derived from the WABA (the partner's line of credit
//   that pays for it; openwaba bills nothing, so it names no real funding source).
// Fields of Meta's node openwaba holds nothing for (primary_business_location, purchase_order_number,
// status, auth_international_rate_eligibility, …) are accepted and left out of the answer, as
// Graph leaves out a field that has no value (purchase_order_number when none was supplied), and
// Graph's "nonexisting field" error for a field Meta does have would fail a client's whole request. A name Meta's node does not have is that
// error: "(#100) Tried accessing nonexisting field (<f>) on node type (WhatsAppBusinessAccount)".
import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Deps } from '../deps.ts';
import { notFound } from '../errors.ts';
import type { ChannelRow } from '../services/channels.ts';
import type { WabaAccountRow } from '../services/waba-accounts.ts';
import { parseModifiedField, type ModifiedField } from './graph-field-modifiers.ts';
import { askedFields, nonexistingField } from './graph-node-fields.ts';
import { conversationAnalytics, messagingAnalytics, pricingAnalytics } from './waba-analytics.ts';
import { sandboxWabaHealthEntities } from './phone-number-node.ts';
import { wabaAccountStanding, worstOf } from './waba-restrictions.ts';

const DEFAULT_FIELDS = ['id', 'name', 'timezone_id', 'message_template_namespace'];

/** The WABA's stored status (reference §1.4) as Meta's account review outcome. */
const REVIEW: Record<string, 'PENDING' | 'APPROVED' | 'REJECTED'> = {
  created: 'PENDING',
  consents_pending: 'PENDING',
  unverified: 'PENDING',
  pending: 'PENDING',
  approved: 'APPROVED',
  // A restriction, a violation or a ban comes after the account passed its review.
  account_violation: 'APPROVED',
  account_restriction: 'APPROVED',
  account_banned: 'APPROVED',
  verification_failed: 'REJECTED',
};

/** Meta's business_verification_status values. */
const VERIFICATION = new Set(['expired', 'failed', 'ineligible', 'not_verified', 'pending', 'pending_need_more_info', 'pending_submission', 'rejected', 'revoked', 'verified']);

interface Ctx {
  deps: Deps;
  ch: ChannelRow;
  waba: WabaAccountRow;
  /** The field as asked, with its modifiers. */
  field: ModifiedField;
}
/** A field's value; undefined leaves it out of the answer. */
type FieldValue = (c: Ctx) => unknown;

const FIELDS: Record<string, FieldValue> = {
  id: ({ waba }) => waba.external_id,
  name: ({ waba }) => waba.name,
  timezone_id: ({ waba }) => waba.timezone_id,
  message_template_namespace: ({ waba }) => waba.namespace,
  account_review_status: ({ waba }) => REVIEW[waba.status],
  business_verification_status: ({ waba }) => {
    const s = waba.fb_account_status.toLowerCase();
    return s === 'unverified' ? 'not_verified' : VERIFICATION.has(s) ? s : undefined;
  },
  on_behalf_of_business_info: ({ waba }) =>
    waba.obo_business_id
      ? { name: waba.obo_business_name ?? '', id: waba.obo_business_id, status: (waba.obo_status ?? '').toUpperCase(), type: 'OWNING_BUSINESS' }
      : undefined,
  marketing_messages_lite_api_status: ({ waba }) => waba.mm_lite_status,
  health_status: async ({ deps, ch }) => {
    const standing = await wabaAccountStanding(deps.db.kysely, ch.waba_account_id, deps.clock.now().getTime());
    const entities = await sandboxWabaHealthEntities(deps, ch, standing);
    return { can_send_message: worstOf(entities.map((e) => e.can_send_message)), entities };
  },
  // The business that owns the WABA: the client's Meta business (fb_business_id) under the client's
  // name, Meta's {name, id}; left out when the WABA has no business id. owner_business is the same
  // Business node ({id, name}) as an edge-like field.
  owner_business_info: ({ deps, waba }) => ownerBusiness(deps, waba),
  owner_business: ({ deps, waba }) => ownerBusiness(deps, waba),
  // The portfolio's messaging limit (Meta's field, v24.0+): the number's tier, as its node shows it.
  whatsapp_business_manager_messaging_limit: ({ ch }) => ch.current_limit,
  // Unix seconds, as Meta's SDKs type it (creation_time: int).
  creation_time: ({ waba }) => Math.floor(Date.parse(waba.created_at) / 1000),
  currency: () => 'USD',
  country: ({ ch }) => parsePhoneNumberFromString(`+${ch.phone_number.replace(/\D/g, '')}`)?.country,
  ownership_type: ({ waba }) => (waba.obo_business_id ? 'ON_BEHALF_OF' : 'CLIENT_OWNED'),
  primary_funding_id: ({ waba }) => fundingId(waba.id),
  analytics: ({ deps, ch, field }) => messagingAnalytics(deps, ch, field),
  conversation_analytics: ({ deps, ch, field }) => conversationAnalytics(deps, ch, field),
  pricing_analytics: ({ deps, ch, field }) => pricingAnalytics(deps, ch, field),
};

/** Fields of Meta's node with nothing behind them here: accepted, left out (see the head of this file). */
const UNHELD = [
  'primary_business_location',
  'purchase_order_number',
  'is_enabled_for_insights',
  'is_shared_with_partners',
  'marketing_messages_onboarding_status',
  // Meta's WABA status and its authentication-international-rate eligibility: openwaba keeps neither
  // in Meta's terms (the Partner API's WABA status is another vocabulary).
  'status',
  'auth_international_rate_eligibility',
  'linked_commerce_account',
  'disable_marketing_messages_on_cloud_api',
];

/** A numeric Graph-like id for the WABA's funding: stable, 15 digits, telling nothing of the WABA's own id. */
function fundingId(wabaId: string): string {
  const h = createHash('sha256').update(`openwaba primary funding\0${wabaId}`).digest();
  return String(100_000_000_000_000 + h.readUIntBE(0, 6));
}

async function ownerBusiness(deps: Deps, waba: WabaAccountRow): Promise<{ name: string; id: string } | undefined> {
  if (!waba.fb_business_id) return undefined;
  const client = await deps.db.kysely.selectFrom('clients').select('name').where('id', '=', waba.client_id).executeTakeFirst();
  return { name: client?.name ?? '', id: waba.fb_business_id };
}

/** Graph's WhatsApp Business Account node of the channel's WABA: the fields asked for, or Graph's default set; `id` always, first. */
export async function wabaNode(deps: Deps, channel: ChannelRow, fields: string | readonly string[] | undefined): Promise<Record<string, unknown>> {
  // Each asked field with its modifiers (`analytics.start(…)…`); the first of a name asked twice wins.
  const want = new Map<string, ModifiedField>();
  for (const raw of askedFields(fields, DEFAULT_FIELDS)) {
    const f = parseModifiedField(raw);
    if (!Object.hasOwn(FIELDS, f.name) && !UNHELD.includes(f.name)) throw nonexistingField('WhatsAppBusinessAccount', 'a WhatsApp Business Account', f.name, [...Object.keys(FIELDS), ...UNHELD]);
    if (!want.has(f.name)) want.set(f.name, f);
  }
  const waba = await deps.db.kysely.selectFrom('waba_accounts').selectAll().where('id', '=', channel.waba_account_id).executeTakeFirst();
  // Every channel has its WABA (a foreign key); a missing row would be a broken database.
  if (!waba) throw notFound('WABA account not found');
  const node: Record<string, unknown> = { id: waba.external_id };
  for (const [f, field] of want) {
    if (f === 'id' || !Object.hasOwn(FIELDS, f)) continue;
    const v = await FIELDS[f]!({ deps, ch: channel, waba, field });
    if (v !== undefined) node[f] = v;
  }
  return node;
}
