// A sandbox number as Graph's phone number node (GET /{version}/{phone-number-id}, reached on a
// Graph path only: graph-paths.ts), and its health_status (also GET /health_status).
//
// Graph answers a phone number node without `fields` with verified_name, code_verification_status,
// display_phone_number, quality_rating, platform_type, throughput and id (Meta's "Get phone
// number" reference); other fields come when named. A field the node does not have is Graph's
// `(#100) Tried accessing nonexisting field (<f>) on node type (WhatsAppBusinessPhoneNumber)`.
// The values are the channel's own: its name, number, quality rating and messaging limit tier as
// the Partner API shows them, its hosting type, its throughput (Meta's levels: STANDARD up to the
// default 80 messages per second, HIGH above).
import type { Deps } from '../deps.ts';
import type { ChannelRow } from '../services/channels.ts';
import { askedFields, nonexistingField } from './graph-node-fields.ts';
import { readAutomation } from './conversational-automation.ts';
import { webhookConfigurationField } from './webhook-override.ts';
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

type FieldValue = (deps: Deps, ch: ChannelRow) => unknown;
const FIELDS: Record<string, FieldValue> = {
  id: (_d, ch) => ch.external_id,
  verified_name: (_d, ch) => ch.phone_name,
  display_phone_number: (_d, ch) => ch.phone_number,
  code_verification_status: (_d, ch) => (ch.availability_status === 'ready' ? 'VERIFIED' : 'NOT_VERIFIED'),
  quality_rating: (_d, ch) => ch.current_quality_rating,
  platform_type: (_d, ch) => (ch.hosting_type === 'onpremise' ? 'ON_PREMISE' : 'CLOUD_API'),
  throughput: (d, ch) => ({ level: (ch.throughput_mps ?? d.config.defaultThroughputMps) > 80 ? 'HIGH' : 'STANDARD' }),
  messaging_limit_tier: (_d, ch) => ch.current_limit,
  name_status: (_d, ch) => (ch.availability_status === 'ready' ? 'APPROVED' : 'PENDING_REVIEW'),
  account_mode: (_d, ch) => ch.account_mode,
  is_official_business_account: () => false,
  status: (_d, ch) => (ch.availability_status === 'ready' ? 'CONNECTED' : ch.availability_status === 'error' ? 'DISCONNECTED' : 'PENDING'),
  health_status: async (d, ch) => sandboxHealthStatus(d, ch),
  webhook_configuration: async (d, ch) => webhookConfigurationField(d, ch),
  conversational_automation: async (d, ch) => readAutomation(d, ch.id),
};

/** The node's fields the client asked for (`fields=a,b`), or Graph's default set; `id` always. */
export async function phoneNumberNode(deps: Deps, ch: ChannelRow, fields: string | undefined): Promise<Record<string, unknown>> {
  const want = askedFields(fields, DEFAULT_FIELDS);
  for (const f of want) if (!Object.hasOwn(FIELDS, f)) throw nonexistingField('WhatsAppBusinessPhoneNumber', 'a phone number', f, Object.keys(FIELDS));
  const node: Record<string, unknown> = {};
  for (const f of want) if (f !== 'id') node[f] = await FIELDS[f]!(deps, ch);
  node.id = ch.external_id;
  return node;
}
