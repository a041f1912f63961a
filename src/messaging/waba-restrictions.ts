// A WABA's restrictions (Meta's account_update ACCOUNT_RESTRICTION, raised in the sandbox or heard
// from Meta: account-update.ts) and its ban (DISABLED_UPDATE with waba_ban_state DISABLE, until a
// REINSTATE: channels.waba_banned_at) as they show where a WABA's state is read: the number's Cloud
// `GET /health_status` and the Partner API's WABA account object (`status`, also inside every channel
// object's `waba_account`). Each restriction lasts until its expiration, which is honoured here at read
// time: nothing needs to run when it ends; a ban lasts until Meta lifts it. This module imports no
// service, so that the services (channels, WABA accounts) can use it without an import cycle.
import type { Executor } from '../db/index.ts';

export const RESTRICTION_TYPES = ['RESTRICTED_BIZ_INITIATED_MESSAGING', 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING', 'RESTRICTED_ADD_PHONE_NUMBER_ACTION'] as const;
export type RestrictionType = (typeof RESTRICTION_TYPES)[number];

/** A stored restriction: expiration as ISO-8601 UTC. */
export interface WabaRestriction {
  restriction_type: RestrictionType;
  expiration: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The stored restrictions (channels.waba_restrictions, a JSON array) that have not expired at nowMs. */
export function activeRestrictions(stored: string | null | undefined, nowMs: number): WabaRestriction[] {
  if (!stored) return [];
  let list: unknown;
  try {
    list = JSON.parse(stored);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list.filter(
    (r): r is WabaRestriction =>
      isRecord(r) && (RESTRICTION_TYPES as readonly unknown[]).includes(r.restriction_type) && typeof r.expiration === 'string' && Date.parse(r.expiration) > nowMs,
  );
}

/**
 * The restrictions in force on an openwaba WABA account: every number of it carries the WABA's
 * restrictions (they are written on all of them together), but a number added after the event
 * carries none, so all are read and merged (per type, the latest expiration).
 */
export async function wabaAccountRestrictions(db: Executor, wabaAccountId: string, nowMs: number): Promise<WabaRestriction[]> {
  return (await wabaAccountStanding(db, wabaAccountId, nowMs)).restrictions;
}

/** What Meta's account_update put on a WABA and is in force now: its restrictions, and since when it is banned (null: not banned). */
export interface WabaStanding {
  restrictions: WabaRestriction[];
  bannedAt: string | null;
}

/**
 * A WABA account's restrictions and ban, read (as wabaAccountRestrictions) from its numbers in one
 * query: a ban is written on every number of the WABA together too; the earliest time is kept.
 */
export async function wabaAccountStanding(db: Executor, wabaAccountId: string, nowMs: number): Promise<WabaStanding> {
  const rows = await db
    .selectFrom('channels')
    .select(['waba_restrictions', 'waba_banned_at'])
    .where('waba_account_id', '=', wabaAccountId)
    .where((eb) => eb.or([eb('waba_restrictions', 'is not', null), eb('waba_banned_at', 'is not', null)]))
    .execute();
  const bans = rows.flatMap((r) => (r.waba_banned_at ? [r.waba_banned_at] : [])).sort();
  return { restrictions: mergeRestrictions(rows.flatMap((r) => activeRestrictions(r.waba_restrictions, nowMs))), bannedAt: bans[0] ?? null };
}

/** One restriction per type (the one that lasts longest), in RESTRICTION_TYPES order. */
export function mergeRestrictions(list: readonly WabaRestriction[]): WabaRestriction[] {
  const byType = new Map<RestrictionType, WabaRestriction>();
  for (const r of list) {
    const had = byType.get(r.restriction_type);
    if (!had || Date.parse(r.expiration) > Date.parse(had.expiration)) byType.set(r.restriction_type, r);
  }
  return RESTRICTION_TYPES.flatMap((t) => (byType.has(t) ? [byType.get(t)!] : []));
}

/**
 * The Partner API's WABA `status` while restrictions are in force: `account_restriction`, one of the
 * statuses the reference lists for a WABA (§1.4: "…, account_violation, account_restriction,
 * account_banned, bsp_removed"). A status that says more (banned, removed) is kept; without a
 * restriction the stored status shows again, so an expired restriction needs no write.
 * While the WABA is banned (`bannedAt`, account_update DISABLED_UPDATE DISABLE) it is
 * `account_banned`, over any restriction; only bsp_removed (the WABA left the BSP) says more. The
 * stored status is never overwritten, so a REINSTATE (which clears bannedAt) shows it again.
 */
export function wabaStatusWith(status: string, restrictions: readonly WabaRestriction[], bannedAt: string | null = null): string {
  if (status === 'bsp_removed') return status;
  if (bannedAt) return 'account_banned';
  if (restrictions.length === 0 || status === 'account_banned') return status;
  return 'account_restriction';
}

export type CanSendMessage = 'AVAILABLE' | 'LIMITED' | 'BLOCKED';

export interface HealthError {
  error_code: number;
  error_description: string;
  possible_solution: string;
}

/** What Meta's health_status shows on the WABA entity for these restrictions. */
export interface WabaHealth {
  can_send_message: CanSendMessage;
  errors?: HealthError[];
  additional_info?: string[];
}

/**
 * Meta's code for a WABA "restricted or disabled for violating a platform policy": 131031 ("Business
 * Account locked"), the code a send refused for the restriction carries too (account-update.ts), so
 * the health status and the refusal name the same thing. Not confirmed: Meta's health status page
 * (developers.facebook.com …/support/health-status, as stored in the search library on 2026-12-07)
 * shows error codes only in its examples (141002 template not approved, 141006 payment method,
 * 141010 business verification) and lists none for a policy restriction; which code Meta's WABA
 * entity carries while an account_update restriction lasts, and whether it uses `errors` or only
 * `additional_info` for a LIMITED entity, could not be found. A client reading can_send_message
 * (what 360dialog's page tells clients to read) sees the right value either way.
 */
export const RESTRICTION_HEALTH_CODE = 131031;

const SOLUTION = 'Review the violation in Business Support Home (Meta Business Suite) and request a review, or wait until the restriction expires.';
const BAN_SOLUTION = 'The account is disabled until Meta reinstates it: request a review of the decision in Business Support Home (Meta Business Suite).';

/**
 * The error a banned WABA carries in health_status and a send refused for the ban (account-update.ts):
 * Meta's 131031 again ("Business Account locked": "restricted or disabled for violating a platform
 * policy"), the same uncertainty as RESTRICTION_HEALTH_CODE about which code Meta's WABA entity shows.
 */
export function banDescription(bannedAt: string): string {
  return `The WhatsApp Business Account has been disabled (banned) for violating a platform policy since ${bannedAt} (account_update DISABLED_UPDATE, waba_ban_state DISABLE); no message can be sent until it is reinstated.`;
}

/**
 * The WABA entity's health under these restrictions: both messaging restrictions → BLOCKED (nothing
 * can be sent), one of them → LIMITED (the other kind still goes), none → AVAILABLE. Adding phone
 * numbers is not messaging: RESTRICTED_ADD_PHONE_NUMBER_ACTION alone leaves the WABA AVAILABLE
 * (the Partner API's WABA status still shows it). A banned WABA (`bannedAt`) is BLOCKED, its
 * error first, then those of any restrictions still in force.
 */
export function wabaHealth(restrictions: readonly WabaRestriction[], bannedAt: string | null = null): WabaHealth {
  const biz = restrictions.find((r) => r.restriction_type === 'RESTRICTED_BIZ_INITIATED_MESSAGING');
  const customer = restrictions.find((r) => r.restriction_type === 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING');
  const errors: HealthError[] = [];
  if (bannedAt) errors.push({ error_code: RESTRICTION_HEALTH_CODE, error_description: banDescription(bannedAt), possible_solution: BAN_SOLUTION });
  if (biz) {
    errors.push({
      error_code: RESTRICTION_HEALTH_CODE,
      error_description: `The WhatsApp Business Account is restricted for violating a platform policy: no business-initiated messages until ${biz.expiration} (RESTRICTED_BIZ_INITIATED_MESSAGING).`,
      possible_solution: SOLUTION,
    });
  }
  if (customer) {
    errors.push({
      error_code: RESTRICTION_HEALTH_CODE,
      error_description: `The WhatsApp Business Account is restricted for violating a platform policy: no replies to customer-initiated conversations until ${customer.expiration} (RESTRICTED_CUSTOMER_INITIATED_MESSAGING).`,
      possible_solution: SOLUTION,
    });
  }
  if (bannedAt || (biz && customer)) return { can_send_message: 'BLOCKED', errors };
  if (biz) return { can_send_message: 'LIMITED', errors, additional_info: ['Replies to users who wrote in the last 24 hours can still be sent.'] };
  if (customer) return { can_send_message: 'LIMITED', errors, additional_info: ['Business-initiated messages (templates) can still be sent.'] };
  return { can_send_message: 'AVAILABLE' };
}

const RANK: Record<CanSendMessage, number> = { AVAILABLE: 0, LIMITED: 1, BLOCKED: 2 };

/** The overall value: the worst of the entities' (BLOCKED over LIMITED over AVAILABLE), as Meta sums them up. */
export function worstOf(values: readonly CanSendMessage[]): CanSendMessage {
  return values.reduce<CanSendMessage>((a, b) => (RANK[b] > RANK[a] ? b : a), 'AVAILABLE');
}
