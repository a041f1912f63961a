// WABA accounts: a client's WhatsApp Business Account (Meta's id is `external_id`).
import type { Selectable } from 'kysely';
import { isoNow, wireTime } from '../clock.ts';
import type { WabaAccountsTable } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { digits, fillRandom, hubId } from '../ids.ts';
import { SYSTEM_ACTOR, type Actor } from './clients.ts';
import { ensureDefaultTemplates } from '../messaging/templates/store.ts';
import { wabaStatusWith, type WabaRestriction } from '../messaging/waba-restrictions.ts';

export type WabaAccountRow = Selectable<WabaAccountsTable>;

/**
 * `restrictions`: those in force on the WABA now, `bannedAt`: since when it is banned, null when it is
 * not (messaging/waba-restrictions.ts): they show in `status`.
 */
export function wabaAccountToWire(w: WabaAccountRow, restrictions: readonly WabaRestriction[] = [], bannedAt: string | null = null) {
  return {
    id: w.id,
    external_id: w.external_id,
    name: w.name,
    namespace: w.namespace,
    partner_id: w.partner_id,
    client_id: w.client_id,
    timezone_id: w.timezone_id,
    fb_business_id: w.fb_business_id,
    status: wabaStatusWith(w.status, restrictions, bannedAt),
    fb_account_status: w.fb_account_status,
    on_behalf_of_business_info: {
      id: w.obo_business_id,
      name: w.obo_business_name,
      status: w.obo_status,
      type: 'OWNING_BUSINESS',
    },
    consents: {},
    // Marketing Messages Lite API (messaging/marketing-messages.ts): INELIGIBLE, ELIGIBLE or ONBOARDED.
    settings: { marketing_messages_lite_api_status: w.mm_lite_status },
    created_at: wireTime(w.created_at),
    created_by: JSON.parse(w.created_by) as Actor,
    modified_at: wireTime(w.modified_at),
  };
}
export type WabaAccountWire = ReturnType<typeof wabaAccountToWire>;

/**
 * A WhatsApp template namespace looks like `1212e9fb_86f2_4b6a_…`: 32 random hex digits in groups
 * of 8, 4, 4, 4 and 12 joined by `_`. (It was the hex of base62 characters' ASCII codes: mostly
 * digits, and about one in sixty had no letter at all, so it read the same upper-cased.)
 */
export function newNamespace(): string {
  const bytes = Buffer.alloc(16);
  fillRandom(bytes, 0, 16);
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}_${h.slice(8, 12)}_${h.slice(12, 16)}_${h.slice(16, 20)}_${h.slice(20)}`;
}

export async function createWabaAccount(
  deps: Deps,
  input: { partnerId: string; clientId: string; name: string; status?: string; fbAccountStatus?: string },
  actor: Actor = SYSTEM_ACTOR,
  tx: Executor = deps.db.kysely,
): Promise<WabaAccountRow> {
  const now = isoNow(deps.clock);
  const fbBusinessId = digits(15);
  const row: WabaAccountRow = {
    id: hubId('waba'),
    partner_id: input.partnerId,
    client_id: input.clientId,
    external_id: digits(15),
    name: input.name,
    namespace: newNamespace(),
    timezone_id: '1',
    fb_business_id: fbBusinessId,
    status: input.status ?? 'approved',
    fb_account_status: input.fbAccountStatus ?? 'verified',
    obo_business_id: fbBusinessId,
    obo_business_name: input.name,
    obo_status: 'approved',
    created_at: now,
    created_by: JSON.stringify(actor),
    modified_at: now,
    // As 360dialog's MM Lite sandbox number: onboarded (migration 0017).
    mm_lite_status: 'ONBOARDED',
    // No WABA-level webhook override (migration 0027; POST /subscribed_apps sets one).
    override_callback_uri: null,
    override_headers: null,
  };
  await tx.insertInto('waba_accounts').values(row).execute();
  // Meta gives every new WABA an approved hello_world template.
  await ensureDefaultTemplates(deps, tx, row);
  return row;
}

export async function getWabaAccount(deps: Deps, partnerId: string, wabaId: string): Promise<WabaAccountRow> {
  const w = await deps.db.kysely
    .selectFrom('waba_accounts')
    .selectAll()
    .where('id', '=', wabaId)
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
  if (!w) throw notFound(`WABA account ${wabaId} not found`);
  return w;
}

export async function findWabaForClient(deps: Deps, clientId: string, tx: Executor = deps.db.kysely): Promise<WabaAccountRow | undefined> {
  return tx.selectFrom('waba_accounts').selectAll().where('client_id', '=', clientId).orderBy('created_at').executeTakeFirst();
}

/** One of a partner's WABAs as a listing of them shows it: with its client's name. */
export interface PartnerWaba {
  id: string;
  name: string;
  client_id: string;
  client_name: string;
}

/** A listing of a partner's WABAs holds at most this many (a partner with more narrows it by `ids` or `include`). */
export const MAX_PARTNER_WABAS = 500;

/**
 * The partner's WABAs, by client name then WABA name: these `ids` only (those of the partner;
 * others are left out, not refused), or the first MAX_PARTNER_WABAS, plus `include` when it is
 * the partner's and not among them (the one a link or form named, so that it can be shown chosen).
 */
export async function listPartnerWabas(deps: Deps, partnerId: string, opts: { ids?: readonly string[]; include?: string } = {}): Promise<PartnerWaba[]> {
  const query = (ids?: string[]) => {
    let q = deps.db.kysely
      .selectFrom('waba_accounts')
      .innerJoin('clients', 'clients.id', 'waba_accounts.client_id')
      .select(['waba_accounts.id as id', 'waba_accounts.name as name', 'clients.id as client_id', 'clients.name as client_name'])
      .where('waba_accounts.partner_id', '=', partnerId);
    if (ids) q = q.where('waba_accounts.id', 'in', ids);
    return q.orderBy('clients.name').orderBy('waba_accounts.name').orderBy('waba_accounts.id').limit(MAX_PARTNER_WABAS);
  };
  if (opts.ids) return opts.ids.length === 0 ? [] : query([...new Set(opts.ids)]).execute();
  const list = await query().execute();
  if (opts.include && !list.some((w) => w.id === opts.include)) list.unshift(...(await query([opts.include]).execute()));
  return list;
}
