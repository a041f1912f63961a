// Partners: the tenants of the hub.
import type { Selectable } from 'kysely';
import { isoNow, wireTime } from '../clock.ts';
import type { PartnersTable } from '../db/schema.ts';
import type { Executor } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { hubId } from '../ids.ts';
import { inTransaction } from '../webhooks/partner-events.ts';
import { newWebhookSecret } from '../webhooks/signing.ts';
import { createHubUser, type HubUser } from './hub-users.ts';

export type PartnerRow = Selectable<PartnersTable>;

export interface PartnerWire {
  id: string;
  brand_name: string;
  logo_url: string | null;
  webhook_url: string | null;
  partner_redirect_url: string | null;
  country: string | null;
  allow_client_to_add_phone_no: boolean;
  settings: Record<string, unknown> | null;
  payment_required: boolean;
  onboarding_deeplink_add_params: boolean;
  blocked_new_submission: boolean;
  billing_system: string;
  publishable_key: null;
  created_at: string | null;
  modified_at: string | null;
}

export function partnerWebhookHeaders(p: PartnerRow): Record<string, string> {
  return p.webhook_headers ? (JSON.parse(p.webhook_headers) as Record<string, string>) : {};
}

export function partnerToWire(p: PartnerRow): PartnerWire {
  return {
    id: p.id,
    brand_name: p.brand_name,
    logo_url: p.logo_url,
    webhook_url: p.webhook_url,
    partner_redirect_url: p.partner_redirect_url,
    country: p.country,
    allow_client_to_add_phone_no: p.allow_client_to_add_phone_no === 1,
    settings: p.settings ? (JSON.parse(p.settings) as Record<string, unknown>) : null,
    // Deprecated / internal fields 360dialog still returns; fixed values a self-hosted hub implies.
    payment_required: false,
    onboarding_deeplink_add_params: false,
    blocked_new_submission: false,
    billing_system: 'partner',
    publishable_key: null,
    created_at: wireTime(p.created_at),
    modified_at: wireTime(p.modified_at),
  };
}

export interface NewPartner {
  brand_name: string;
  country?: string | null;
  logo_url?: string | null;
  webhook_url?: string | null;
  partner_redirect_url?: string | null;
}

export async function createPartner(deps: Deps, input: NewPartner, tx: Executor = deps.db.kysely): Promise<PartnerRow> {
  const now = isoNow(deps.clock);
  const row: PartnerRow = {
    id: hubId('partner'),
    brand_name: input.brand_name,
    logo_url: input.logo_url ?? null,
    webhook_url: input.webhook_url ?? null,
    partner_redirect_url: input.partner_redirect_url ?? null,
    country: input.country ?? null,
    allow_client_to_add_phone_no: 1,
    settings: null,
    created_at: now,
    modified_at: now,
    webhook_secret: newWebhookSecret(),
    webhook_headers: null,
  };
  await tx.insertInto('partners').values(row).execute();
  return row;
}

/** The limits of a new partner and its first hub user (checkNewPartner; the admin API's schema is built from them). */
export const NEW_PARTNER = { brandNameMax: 200, usernameMin: 3, usernameMax: 320, passwordMin: 10, passwordMax: 1024 } as const;

/**
 * The rules for a new partner and its first hub user, for every way one is made (admin API, CLI
 * `partners create` and `bootstrap`): a 400 naming the field. The admin API's schema says the
 * same to its clients; the CLI had none and stored empty names and one-letter passwords.
 */
function checkNewPartner(input: { partner: NewPartner; username: string; password: string }): void {
  const L = NEW_PARTNER;
  const name = input.partner.brand_name.trim();
  if (name.length < 1 || name.length > L.brandNameMax) throw new ApiError(400, `brand name must be 1 to ${L.brandNameMax} characters`);
  if (input.username.length < L.usernameMin || input.username.length > L.usernameMax || /\s/.test(input.username)) {
    throw new ApiError(400, `username must be ${L.usernameMin} to ${L.usernameMax} characters without spaces`);
  }
  if (input.password.length < L.passwordMin || input.password.length > L.passwordMax) throw new ApiError(400, `password must be ${L.passwordMin} to ${L.passwordMax} characters`);
  if (input.partner.country != null && !/^[A-Z]{2}$/.test(input.partner.country)) throw new ApiError(400, `country must be a two-letter code such as DE, got "${input.partner.country.slice(0, 10)}"`);
}

/**
 * A partner and its first hub user, in one transaction (the given one, or a new one): a taken
 * username (409) leaves no partner behind.
 */
export async function createPartnerWithHubUser(
  deps: Deps,
  input: { partner: NewPartner; username: string; password: string },
  outer: Executor = deps.db.kysely,
): Promise<{ partner: PartnerRow; user: HubUser }> {
  checkNewPartner(input);
  return inTransaction(deps, outer, async (tx) => {
    const partner = await createPartner(deps, input.partner, tx);
    const user = await createHubUser(deps, { partnerId: partner.id, username: input.username, password: input.password }, tx);
    return { partner, user };
  });
}

export async function findPartner(deps: Deps, id: string): Promise<PartnerRow | undefined> {
  return deps.db.kysely.selectFrom('partners').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getPartner(deps: Deps, id: string): Promise<PartnerRow> {
  const p = await findPartner(deps, id);
  if (!p) throw notFound(`Partner ${id} not found`);
  return p;
}

export interface PartnerPatch {
  webhook_url?: string | null;
  partner_redirect_url?: string | null;
  allow_client_to_add_phone_no?: boolean;
  brand_name?: string;
  logo_url?: string | null;
  country?: string | null;
  /** Custom headers sent with every partner webhook (e.g. Authorization). */
  webhook_headers?: Record<string, string> | null;
}

export async function updatePartner(deps: Deps, id: string, patch: PartnerPatch): Promise<PartnerRow> {
  const values: Partial<PartnerRow> = { modified_at: isoNow(deps.clock) };
  if (patch.webhook_url !== undefined) values.webhook_url = patch.webhook_url;
  if (patch.partner_redirect_url !== undefined) values.partner_redirect_url = patch.partner_redirect_url;
  if (patch.allow_client_to_add_phone_no !== undefined) values.allow_client_to_add_phone_no = patch.allow_client_to_add_phone_no ? 1 : 0;
  if (patch.brand_name !== undefined) values.brand_name = patch.brand_name;
  if (patch.logo_url !== undefined) values.logo_url = patch.logo_url;
  if (patch.country !== undefined) values.country = patch.country;
  if (patch.webhook_headers !== undefined) values.webhook_headers = patch.webhook_headers ? JSON.stringify(patch.webhook_headers) : null;
  const res = await deps.db.kysely.updateTable('partners').set(values).where('id', '=', id).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw notFound(`Partner ${id} not found`);
  return getPartner(deps, id);
}

export async function listPartners(deps: Deps): Promise<PartnerRow[]> {
  return deps.db.kysely.selectFrom('partners').selectAll().orderBy('created_at').orderBy('id').execute();
}
