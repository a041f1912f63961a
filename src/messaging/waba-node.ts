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
// Fields of Meta's node openwaba holds nothing for (currency, country, ownership_type,
// primary_business_location, purchase_order_number, …) are accepted and left out of the answer, as
// Graph leaves out a field that has no value (purchase_order_number when none was supplied):
// inventing a currency or a country would mislead, and Graph's "nonexisting field" error for a field
// Meta does have would fail a client's whole request. A name Meta's node does not have is that
// error: "(#100) Tried accessing nonexisting field (<f>) on node type (WhatsAppBusinessAccount)".
import type { Deps } from '../deps.ts';
import { notFound } from '../errors.ts';
import type { ChannelRow } from '../services/channels.ts';
import type { WabaAccountRow } from '../services/waba-accounts.ts';
import { askedFields, nonexistingField } from './graph-node-fields.ts';
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
};

/** Fields of Meta's node with nothing behind them here: accepted, left out (see the head of this file). */
const UNHELD = [
  'currency',
  'country',
  'ownership_type',
  'primary_business_location',
  'purchase_order_number',
  'primary_funding_id',
  'analytics',
  'is_enabled_for_insights',
  'is_shared_with_partners',
  'marketing_messages_onboarding_status',
];

/** Graph's WhatsApp Business Account node of the channel's WABA: the fields asked for, or Graph's default set; `id` always, first. */
export async function wabaNode(deps: Deps, channel: ChannelRow, fields: string | readonly string[] | undefined): Promise<Record<string, unknown>> {
  const want = askedFields(fields, DEFAULT_FIELDS);
  for (const f of want) {
    if (!Object.hasOwn(FIELDS, f) && !UNHELD.includes(f)) throw nonexistingField('WhatsAppBusinessAccount', 'a WhatsApp Business Account', f, [...Object.keys(FIELDS), ...UNHELD]);
  }
  const waba = await deps.db.kysely.selectFrom('waba_accounts').selectAll().where('id', '=', channel.waba_account_id).executeTakeFirst();
  // Every channel has its WABA (a foreign key); a missing row would be a broken database.
  if (!waba) throw notFound('WABA account not found');
  const ctx: Ctx = { deps, ch: channel, waba };
  const node: Record<string, unknown> = { id: waba.external_id };
  for (const f of new Set(want)) {
    if (f === 'id' || !Object.hasOwn(FIELDS, f)) continue;
    const v = await FIELDS[f]!(ctx);
    if (v !== undefined) node[f] = v;
  }
  return node;
}
