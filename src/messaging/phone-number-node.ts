// A sandbox number as Graph's phone number node (GET /{version}/{phone-number-id}, reached on a
// Graph path only: graph-paths.ts), and its health_status (also GET /health_status).
//
// Graph answers a phone number node without `fields` with verified_name, code_verification_status,
// display_phone_number, quality_rating, platform_type, throughput and id (Meta's "Get phone
// number" reference); other fields come when named. A field the node does not have is Graph's
// `(#100) Tried accessing nonexisting field (<f>) on node type (WhatsAppBusinessPhoneNumber)`.
// The values are the channel's own: its name, number, quality rating and messaging limit tier as
// the Partner API shows them, its hosting type, its throughput (Meta's levels: STANDARD up to the
// default 80 messages per second, HIGH above), its two-step PIN and display name request
// (phone-number-update.ts), its Official Business Account request (official-business-account.ts).
// A field of Meta's node openwaba holds nothing for is accepted and left out of the answer (UNHELD
// below), as Graph leaves out a field without a value.
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { askedFields, nonexistingField } from './graph-node-fields.ts';
import { readAutomation } from './conversational-automation.ts';
import { webhookConfigurationField } from './webhook-override.ts';
import { isPinEnabled } from './phone-number-update.ts';
import { obaField, readObaRequest } from './official-business-account.ts';
import { activeRestrictions, wabaHealth, worstOf, type CanSendMessage, type WabaStanding } from './waba-restrictions.ts';

/** Meta's health_status of a sandbox number: the number, its WABA (with restrictions in force, or its ban), business and app. */
export async function sandboxHealthStatus(deps: Deps, ch: ChannelRow) {
  const number: CanSendMessage = ch.availability_status === 'ready' && !ch.cancellation_requested_at ? 'AVAILABLE' : ch.availability_status === 'error' ? 'BLOCKED' : 'LIMITED';
  // The WABA's restrictions as the channel row carries them, honoured until their expiration, and its ban.
  const standing = { restrictions: activeRestrictions(ch.waba_restrictions, deps.clock.now().getTime()), bannedAt: ch.waba_banned_at };
  const rest = await sandboxWabaHealthEntities(deps, ch, standing);
  return {
    can_send_message: worstOf([number, ...rest.map((e) => e.can_send_message)]),
    entities: [{ entity_type: 'PHONE_NUMBER', id: ch.external_id, can_send_message: number }, ...rest],
  };
}

/**
 * The entities every node's health_status has (Meta: "WABA, business, and app always included"):
 * the channel's WABA with this standing (its restrictions in force and its ban), its business, the app.
 */
export async function sandboxWabaHealthEntities(deps: Deps, ch: ChannelRow, standing: WabaStanding) {
  const waba = await deps.db.kysely.selectFrom('waba_accounts').select(['external_id', 'fb_business_id']).where('id', '=', ch.waba_account_id).executeTakeFirst();
  return [
    { entity_type: 'WABA', id: waba?.external_id ?? '', ...wabaHealth(standing.restrictions, standing.bannedAt) },
    { entity_type: 'BUSINESS', id: waba?.fb_business_id ?? '', can_send_message: 'AVAILABLE' as CanSendMessage },
    { entity_type: 'APP', id: ch.app_id, can_send_message: 'AVAILABLE' as CanSendMessage },
  ];
}

const DEFAULT_FIELDS = ['verified_name', 'code_verification_status', 'display_phone_number', 'quality_rating', 'platform_type', 'throughput', 'id'];

/** What a field's value may need beyond the channel row, read once per node when a field asks. */
interface Ctx {
  deps: Deps;
  ch: ChannelRow;
  nameRequest(): Promise<{ new_display_name: string; status: string } | undefined>;
  obaRequest(): ReturnType<typeof readObaRequest>;
}
/** A field's value; undefined leaves it out of the answer, as Graph leaves out a field without one. */
type FieldValue = (c: Ctx) => unknown;
const FIELDS: Record<string, FieldValue> = {
  id: ({ ch }) => ch.external_id,
  verified_name: ({ ch }) => ch.phone_name,
  display_phone_number: ({ ch }) => ch.phone_number,
  // A number verified and not registered yet (submitted: add-phone-number.ts) is VERIFIED too.
  code_verification_status: ({ ch }) => (ch.availability_status === 'ready' || ch.status === 'submitted' ? 'VERIFIED' : 'NOT_VERIFIED'),
  quality_rating: ({ ch }) => ch.current_quality_rating,
  // Meta's quality_score object ({score, …}); the score is the quality rating, the rest Meta's own.
  quality_score: ({ ch }) => ({ score: ch.current_quality_rating }),
  platform_type: ({ ch }) => (ch.hosting_type === 'onpremise' ? 'ON_PREMISE' : 'CLOUD_API'),
  throughput: ({ deps, ch }) => ({ level: (ch.throughput_mps ?? deps.config.defaultThroughputMps) > 80 ? 'HIGH' : 'STANDARD' }),
  messaging_limit_tier: ({ ch }) => ch.current_limit,
  // Meta's replacement of messaging_limit_tier (v24.0 and newer; its messaging limits page shows
  // "TIER_250"): the same tier, the channel's current_limit.
  whatsapp_business_manager_messaging_limit: ({ ch }) => ch.current_limit,
  name_status: ({ ch }) => (ch.availability_status === 'ready' ? 'APPROVED' : 'PENDING_REVIEW'),
  // A display name change request (phone-number-update.ts): left out when none was made.
  new_name_status: async ({ nameRequest }) => (await nameRequest())?.status,
  new_display_name: async ({ nameRequest }) => (await nameRequest())?.new_display_name,
  account_mode: ({ ch }) => ch.account_mode,
  // The Official Business Account request (official-business-account.ts): NOT_STARTED before one;
  // the tick while the latest request is APPROVED.
  official_business_account: async ({ obaRequest }) => obaField(await obaRequest()),
  is_official_business_account: async ({ obaRequest }) => (await obaRequest())?.status === 'APPROVED',
  // The sandbox has no WhatsApp Business app (coexistence) and no pre-verified numbers.
  is_on_biz_app: () => false,
  is_preverified_number: () => false,
  is_pin_enabled: ({ deps, ch }) => isPinEnabled(deps.db.kysely, ch.id),
  // When the number joined its WABA (Meta: when Embedded Signup completed), in Graph's time form.
  last_onboarded_time: ({ ch }) => ch.created_at.replace(/\.\d{3}Z$/, '+0000'),
  status: ({ ch }) => (ch.availability_status === 'ready' ? 'CONNECTED' : ch.availability_status === 'error' ? 'DISCONNECTED' : 'PENDING'),
  health_status: ({ deps, ch }) => sandboxHealthStatus(deps, ch),
  webhook_configuration: ({ deps, ch }) => webhookConfigurationField(deps, ch),
  conversational_automation: ({ deps, ch }) => readAutomation(deps, ch.id),
};

/**
 * Fields of Meta's node with nothing behind them here (Meta's phone number reference, v23): accepted
 * and left out, as waba-node.ts does; a certificate or a search visibility invented would mislead.
 */
const UNHELD = ['certificate', 'new_certificate', 'search_visibility', 'eligibility_for_api_business_global_search'];

/** The node's fields the client asked for (`fields=a,b`), or Graph's default set; `id` always. */
export async function phoneNumberNode(deps: Deps, ch: ChannelRow, fields: string | undefined): Promise<Record<string, unknown>> {
  const want = askedFields(fields, DEFAULT_FIELDS);
  for (const f of want) if (!Object.hasOwn(FIELDS, f) && !UNHELD.includes(f)) throw nonexistingField('WhatsAppBusinessPhoneNumber', 'a phone number', f, [...Object.keys(FIELDS), ...UNHELD]);
  let request: Promise<{ new_display_name: string; status: string } | undefined> | undefined;
  let oba: ReturnType<typeof readObaRequest> | undefined;
  const ctx: Ctx = {
    deps,
    ch,
    nameRequest: () => (request ??= deps.db.kysely.selectFrom('channel_name_requests').select(['new_display_name', 'status']).where('channel_id', '=', ch.id).executeTakeFirst()),
    obaRequest: () => (oba ??= readObaRequest(deps.db.kysely, ch.id)),
  };
  const node: Record<string, unknown> = {};
  for (const f of want) {
    if (f === 'id' || !Object.hasOwn(FIELDS, f)) continue;
    const v = await FIELDS[f]!(ctx);
    if (v !== undefined) node[f] = v;
  }
  node.id = ch.external_id;
  return node;
}
